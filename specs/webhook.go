package specs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// indexCallbacks adds the callback operations of op to the webhooks. They
// are kept apart from the routes: the system sends them, nobody serves them.
func (c *Checker) indexCallbacks(doc *openapi3.T, op *openapi3.Operation) {
	for _, cb := range op.Callbacks {
		if cb == nil || cb.Value == nil {
			continue
		}
		for expr, item := range cb.Value.Map() {
			for method, wop := range item.Operations() {
				if wop.OperationID != "" {
					c.webhooks[wop.OperationID] = &routers.Route{Spec: doc, Path: expr, PathItem: item, Method: method, Operation: wop}
				}
			}
		}
	}
}

// WebhookIDs lists the callback operations of the document, sorted.
func (c *Checker) WebhookIDs() []string {
	ids := make([]string, 0, len(c.webhooks))
	for id := range c.webhooks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Webhook checks a request the system sent (a notification received by a
// merchant, say) against the callback operation: its method, headers and
// body. The body is the raw bytes as received.
func (c *Checker) Webhook(operationID, method string, header http.Header, body []byte) error {
	route := c.webhooks[operationID]
	if route == nil {
		return fmt.Errorf("spec %s has no callback operation %q", c.name, operationID)
	}
	if method != route.Method {
		return fmt.Errorf("%s %s: method %s, the spec documents %s", c.name, operationID, method, route.Method)
	}
	req, err := http.NewRequest(method, "/", io.NopCloser(bytes.NewReader(body)))
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SkipSettingDefaults: true, MultiError: true}
	opts.WithCustomSchemaErrorFunc(schemaReason)
	in := &openapi3filter.RequestValidationInput{Request: req, Route: route, Options: opts, PathParams: map[string]string{}}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s: %w", c.name, operationID, Simplify(err))
	}
	return nil
}
