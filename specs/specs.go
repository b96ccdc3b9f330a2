package specs

import (
	"context"
	"embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed *.yaml
var files embed.FS

// Names of the embedded documents.
const (
	Mopay          = "mopay"
	MopayControl   = "mopay-control"
	Mnotify        = "mnotify"
	MnotifyControl = "mnotify-control"
	Monnet         = "monnet"
	MonnetControl  = "monnet-control"
	Control        = "control"
)

// registerFormats defines the string formats the documents use. kin-openapi
// keeps them in a process-wide table and leaves "email" unchecked unless it
// is registered, so this runs once, before any document is loaded.
var registerFormats = sync.OnceFunc(func() {
	openapi3.DefineStringFormatValidator("email", openapi3.NewRegexpFormatValidator(`^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$`))
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
})

// Names lists the embedded documents, sorted.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Source returns the YAML text of the named document.
func Source(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("spec %s: no such embedded document (have %s)", name, strings.Join(Names(), ", "))
	}
	return b, nil
}

// Load parses and validates the named document. Every call returns a fresh
// document, so a caller may adjust it (its servers, say) without affecting
// others. Errors name the document.
func Load(name string) (*openapi3.T, error) {
	src, err := Source(name)
	if err != nil {
		return nil, err
	}
	return Parse(name, src)
}

// Parse parses and validates a document given as YAML or JSON text.
func Parse(name string, src []byte) (*openapi3.T, error) {
	registerFormats()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(src)
	if err != nil {
		return nil, fmt.Errorf("spec %s: load: %w", name, err)
	}
	if doc.OpenAPI != "3.0.3" {
		return nil, fmt.Errorf("spec %s: openapi version %q: Herald's documents are OpenAPI 3.0.3", name, doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("spec %s: invalid: %w", name, err)
	}
	return doc, nil
}
