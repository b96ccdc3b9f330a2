package specs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Checker validates responses against the operations of one document. The
// simulator checks its own answers with it, and the conformance steps check
// every answer a target gives, so both hold the target to the same text.
//
// Response bodies are checked by schemas compiled when the Checker is made
// (compiled.go), which accept and reject exactly what kin-openapi's
// ValidateResponse does, several times faster. kin-openapi stays the
// reference: it checks what the compiler does not handle, and it words the
// error of every answer the compiled check rejects.
type Checker struct {
	name   string
	doc    *openapi3.T
	routes map[string]*routers.Route
	// webhooks are the callback operations: requests the system sends
	// rather than serves, such as Monnet's payout notification.
	webhooks map[string]*routers.Route
	opts     *openapi3filter.Options
	// headerOpts has kin-openapi check a response's status and headers but
	// not its body.
	headerOpts *openapi3filter.Options
	// compiled holds the compiled schema of each response media type;
	// notCompiled says why the others are left to kin-openapi.
	compiled    map[*openapi3.MediaType]*node
	notCompiled map[*openapi3.MediaType]string
	tapes       sync.Pool
	// mutualTLS: the document requires a client certificate of every
	// request (x-herald-mutual-tls), a scheme for coverage.
	mutualTLS bool
}

// NewChecker indexes the operations of doc, a validated document.
func NewChecker(name string, doc *openapi3.T) *Checker {
	c := &Checker{name: name, doc: doc, routes: map[string]*routers.Route{}, webhooks: map[string]*routers.Route{}, mutualTLS: requiresMutualTLS(doc)}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				continue
			}
			c.routes[op.OperationID] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			c.indexCallbacks(doc, op)
		}
	}
	c.opts = &openapi3filter.Options{IncludeResponseStatus: true}
	c.opts.WithCustomSchemaErrorFunc(schemaReason)
	c.headerOpts = &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: true}
	c.headerOpts.WithCustomSchemaErrorFunc(schemaReason)
	c.compileResponses(newCompiler())
	c.tapes.New = func() any { return &tape{} }
	return c
}

// OperationIDs lists the operations of the document, sorted.
func (c *Checker) OperationIDs() []string {
	ids := make([]string, 0, len(c.routes))
	for id := range c.routes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Route returns the route of an operation, or nil.
func (c *Checker) Route(operationID string) *routers.Route { return c.routes[operationID] }

// Response checks that status, header and body are a response the operation
// documents. An undocumented status is a violation.
func (c *Checker) Response(operationID string, status int, header http.Header, body []byte) error {
	route := c.routes[operationID]
	if route == nil {
		return fmt.Errorf("spec %s has no operation %q", c.name, operationID)
	}
	v, why := c.quick(route, status, header, body)
	if v == accepted {
		return nil
	}
	err := c.reference(route, operationID, status, header, body)
	if err == nil && v == rejected {
		// The two paths disagree: keep the stricter verdict, and say so.
		return fmt.Errorf("%s %s, status %d: %v (kin-openapi accepts this answer, the compiled check does not: a bug in the compiled check)", c.name, operationID, status, why)
	}
	return err
}

// reference checks a response with kin-openapi alone.
func (c *Checker) reference(route *routers.Route, operationID string, status int, header http.Header, body []byte) error {
	if err := c.validate(route, c.opts, status, header, body); err != nil {
		return fmt.Errorf("%s %s, status %d: %w", c.name, operationID, status, Simplify(err))
	}
	return nil
}

func (c *Checker) validate(route *routers.Route, opts *openapi3filter.Options, status int, header http.Header, body []byte) error {
	req, _ := http.NewRequest(route.Method, route.Path, http.NoBody)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route, Options: opts},
		Status:                 status,
		Header:                 header,
		Options:                opts,
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// Schema checks a JSON value against a named schema of the components, for
// answers that belong to no operation (an unknown path, say).
func (c *Checker) Schema(name string, value any) error {
	ref := c.doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("spec %s has no schema %q", c.name, name)
	}
	if err := ref.Value.VisitJSON(value, openapi3.MultiErrors()); err != nil {
		return fmt.Errorf("%s schema %s: %w", c.name, name, Simplify(err))
	}
	return nil
}

// Simplify shortens kin-openapi's errors to one line per problem, without the
// schema dumps, keeping the JSON pointer of the value at fault.
func Simplify(err error) error {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		msgs := make([]error, 0, len(me))
		for _, e := range me {
			msgs = append(msgs, Simplify(e))
		}
		return errors.Join(msgs...)
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return fmt.Errorf("%s", schemaReason(se))
	}
	return err
}

// schemaReason renders a schema error as "at /pointer: reason".
func schemaReason(se *openapi3.SchemaError) string {
	ptr := ""
	for _, p := range se.JSONPointer() {
		ptr += "/" + p
	}
	if ptr == "" {
		ptr = "/"
	}
	return fmt.Sprintf("at %s: %s", ptr, se.Reason)
}
