package engine

import (
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"herald/specs"
)

// Compiled holds what engines compile from their documents, so that engines
// built from the same document (one per world) share it. Everything it holds
// is read-only once built, but for the memory of valid answers, which locks:
// a response check is a pure function of the document, the operation and the
// answer, whichever world gave it. The zero value is not usable: use
// NewCompiled. A nil *Compiled compiles afresh for every engine.
type Compiled struct {
	mu    sync.Mutex
	byDoc map[compiledKey]*compiledParts
}

type compiledKey struct {
	name       string
	doc        *openapi3.T
	checkCache int
}

// compiledParts is one document's share.
type compiledParts struct {
	check  *specs.Checker
	router routers.Router
	valid  *answerMemo
	// unsecured holds each operation's route with its security removed.
	unsecured                  map[string]*routers.Route
	singleHeaders, singleQuery []string
	// shapes find the closest operation to a request that matched none.
	shapes *shapes
}

// maxCompiled bounds the documents a Compiled keeps: a Herald has a few per
// system (its API and its control routes) and the control API's.
const maxCompiled = 64

// NewCompiled returns an empty store of compiled documents.
func NewCompiled() *Compiled {
	return &Compiled{byDoc: map[compiledKey]*compiledParts{}}
}

// parts returns doc's compiled parts, compiling them on first use.
func (c *Compiled) parts(name string, doc *openapi3.T, checkCache int) (*compiledParts, error) {
	if c == nil {
		return compile(name, doc, checkCache)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := compiledKey{name: name, doc: doc, checkCache: checkCache}
	if p := c.byDoc[key]; p != nil {
		return p, nil
	}
	p, err := compile(name, doc, checkCache)
	if err != nil {
		return nil, err
	}
	if len(c.byDoc) < maxCompiled { // a document per world would grow without end: compile those afresh
		c.byDoc[key] = p
	}
	return p, nil
}

// compile builds the parts of an engine that depend only on its document.
func compile(name string, doc *openapi3.T, checkCache int) (*compiledParts, error) {
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" || len(doc.Servers[0].Variables) > 0 {
		// Written once: worlds share one document, read-only after this.
		doc.Servers = openapi3.Servers{{URL: "/"}}
	}
	check := specs.NewChecker(name, doc)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("engine %s: router: %w", name, err)
	}
	if checkCache == 0 {
		checkCache = 4096
	}
	p := &compiledParts{check: check, router: router, valid: newAnswerMemo(checkCache), unsecured: map[string]*routers.Route{},
		shapes: newShapes(check)}
	for _, id := range check.OperationIDs() {
		route := *check.Route(id)
		op := *route.Operation
		op.Security = &openapi3.SecurityRequirements{}
		route.Operation = &op
		p.unsecured[id] = &route
	}
	var schemes openapi3.SecuritySchemes
	if doc.Components != nil {
		schemes = doc.Components.SecuritySchemes
	}
	for _, ref := range schemes {
		if ref.Value != nil && ref.Value.Type == "apiKey" && ref.Value.In == "header" {
			p.singleHeaders = append(p.singleHeaders, ref.Value.Name)
		}
		if ref.Value != nil && ref.Value.Type == "apiKey" && ref.Value.In == "query" {
			p.singleQuery = append(p.singleQuery, ref.Value.Name)
		}
	}
	return p, nil
}
