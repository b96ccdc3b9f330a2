package mopay

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/simulator/engine"
	wire "herald/specs/wire/mopay"
)

// Error is a failure named after one of the spec's error examples, such as
// "response_empty". Detail says exactly what is wrong; it is appended to the
// vendor's text in DETAILS.
type Error struct {
	Name   string
	Detail string
	// RetryAfter, in seconds, is sent as a Retry-After header when positive.
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Name
	}
	return e.Name + ": " + e.Detail
}

func fail(name, format string, args ...any) *Error {
	return &Error{Name: name, Detail: fmt.Sprintf(format, args...)}
}

// errorKind is what the spec's example of an error says about it.
type errorKind struct {
	Status int
	Key    string // "ID" or "MSG"
	Text   string // DETAILS without the (MPS…) reference
}

// catalogue indexes the error examples of the spec: per operation, and the
// shared ones under components.examples.
type catalogue struct {
	byOp   map[string]map[string]errorKind
	shared map[string]errorKind
	// firstByStatus is, per operation and status, the first example name.
	firstByStatus map[string]map[int]string
}

var mpsSuffix = regexp.MustCompile(` ?\(MPS[0-9]+\)$`)

func exampleKind(v any) (errorKind, bool) {
	env, _ := v.(map[string]any)
	errs, _ := env["ERRORS"].(map[string]any)
	if errs == nil {
		return errorKind{}, false
	}
	k := errorKind{Key: "MSG"}
	if _, ok := errs["ID"]; ok {
		k.Key = "ID"
	}
	code, _ := errs["CODE"].(float64)
	k.Status = int(code)
	details, _ := errs["DETAILS"].(string)
	k.Text = mpsSuffix.ReplaceAllString(details, "")
	return k, true
}

func newCatalogue(doc *openapi3.T) (*catalogue, error) {
	c := &catalogue{byOp: map[string]map[string]errorKind{}, shared: map[string]errorKind{}, firstByStatus: map[string]map[int]string{}}
	var problems []string
	for name, ref := range doc.Components.Examples {
		if k, ok := exampleKind(ref.Value.Value); ok {
			c.shared[name] = k
		}
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			names := map[string]errorKind{}
			first := map[int]string{}
			for code, resp := range op.Responses.Map() {
				status, err := strconv.Atoi(code)
				if err != nil || status < 400 {
					continue
				}
				mt := resp.Value.Content.Get("application/json")
				if mt == nil {
					continue
				}
				exNames := make([]string, 0, len(mt.Examples))
				for name := range mt.Examples {
					exNames = append(exNames, name)
				}
				sort.Strings(exNames)
				for _, name := range exNames {
					k, ok := exampleKind(mt.Examples[name].Value.Value)
					if !ok {
						continue
					}
					if k.Status != status {
						problems = append(problems, fmt.Sprintf("%s example %s has CODE %d under status %d", op.OperationID, name, k.Status, status))
					}
					names[name] = k
					if _, ok := first[status]; !ok {
						first[status] = name
					}
				}
			}
			c.byOp[op.OperationID] = names
			c.firstByStatus[op.OperationID] = first
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("mopay spec: %s", strings.Join(problems, "; "))
	}
	return c, nil
}

// lookup finds an error: the operation's own example first, then the shared one.
func (c *catalogue) lookup(operationID, name string) (errorKind, bool) {
	if k, ok := c.byOp[operationID][name]; ok {
		return k, true
	}
	if operationID != "" {
		return errorKind{}, false
	}
	k, ok := c.shared[name]
	return k, ok
}

var actionName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// action is the action a request names, for the envelope.
func action(ex *engine.Exchange) string {
	if ex.OperationID != "" {
		return ex.OperationID
	}
	a := strings.TrimPrefix(ex.Request.URL.Path, "/")
	if actionName.MatchString(a) {
		return a
	}
	return ""
}

// errorName maps a failure to the name of the spec example that answers it.
func (s *Sim) errorName(ex *engine.Exchange, err error) (name, detail string) {
	var me *Error
	if errors.As(err, &me) {
		return me.Name, me.Detail
	}
	var p *engine.Problem
	if !errors.As(err, &p) {
		return "server_error", "unexpected failure: " + err.Error()
	}
	switch p.Kind {
	case engine.NotFound:
		return "action_unknown", "no such action; use /?req=<action> or /<action>"
	case engine.MethodNotAllowed:
		return "method_not_allowed", p.Reason
	case engine.BodyTooLarge:
		return "request_too_large", p.Reason
	case engine.HeadersTooLarge:
		return "headers_too_large", p.Reason
	case engine.ContentType:
		return "content_type_invalid", p.Reason
	case engine.BodyInvalid:
		return "body_invalid", p.Reason
	case engine.Ambiguous:
		return "request_ambiguous", p.Describe()
	case engine.Missing:
		// An empty optional parameter is reported missing; it has no
		// _required error, so it is answered as invalid.
		if name := fieldError(ex.Operation(), p, "x-mopay-missing", "_required"); s.errors.has(ex.OperationID, name) {
			return name, p.Describe()
		}
		return fieldError(ex.Operation(), p, "x-mopay-invalid", "_invalid"), p.Describe()
	case engine.Invalid:
		name := fieldError(ex.Operation(), p, "x-mopay-invalid", "_invalid")
		if p.In == "body" && !s.errors.has(ex.OperationID, name) {
			name = "body_invalid" // a property the body may not have
		}
		return name, p.Describe()
	case engine.Credentials: // herald proxy's refusal of a signature it checked
		return "signature_invalid", p.Reason
	case engine.Fault:
		if name, ok := s.errors.firstByStatus[ex.OperationID][p.Status]; ok {
			return name, p.Reason
		}
		return "server_error", p.Reason
	default:
		return "server_error", p.Reason
	}
}

// fieldError names the error for a parameter or body field: the field's
// extension when it has one, else <field><suffix>.
func fieldError(op *openapi3.Operation, p *engine.Problem, extension, suffix string) string {
	if name := fieldExtension(op, p.In, p.Field, extension); name != "" {
		return name
	}
	return p.Field + suffix
}

func fieldExtension(op *openapi3.Operation, in, field, extension string) string {
	if op == nil {
		return ""
	}
	var ext map[string]any
	if in == "body" {
		if op.RequestBody != nil {
			if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				if prop := mt.Schema.Value.Properties[field]; prop != nil {
					ext = prop.Value.Extensions
				}
			}
		}
	} else if param := op.Parameters.GetByInAndName(in, field); param != nil {
		ext = param.Extensions
	}
	name, _ := ext[extension].(string)
	return name
}

// render writes a failure as the Mopay error envelope.
func (s *Sim) render(ex *engine.Exchange, err error) engine.Reply {
	name, detail := s.errorName(ex, err)
	kind, ok := s.errors.lookup(ex.OperationID, name)
	if !ok {
		// A name the spec does not document is a simulator bug; the spec
		// check at start-up and the tests keep this path unused.
		detail = fmt.Sprintf("the simulator has no documented error %q for this action (%s)", name, detail)
		name = "server_error"
		kind, ok = s.errors.lookup(ex.OperationID, name)
		if !ok {
			kind = errorKind{Status: http.StatusInternalServerError, Key: "MSG", Text: "Could not process your request"}
		}
	}
	if p := (*engine.Problem)(nil); errors.As(err, &p) && p.Kind == engine.Upstream { // herald proxy's: the vendor did not answer
		kind.Status, kind.Text = p.Status, "The service did not answer"
	}
	text := kind.Text
	if detail != "" {
		text += ": " + detail
	}
	body := &wire.Errors{CODE: kind.Status, DETAILS: text + " (MPS" + s.random.Digits(15) + ")"}
	switch {
	case name == "": // neither, as before the envelope was shared
	case kind.Key == "ID":
		body.ID = &name
	default:
		body.MSG = &name
	}
	b, _ := json.Marshal(wire.Envelope{REQUEST: wire.Request{VERSION: "1.0", ACTION: action(ex), STATUS: "FAILED"}, ERRORS: body})
	reply := engine.Reply{Status: kind.Status, Header: http.Header{"Content-Type": {"application/json"}}, Body: b}
	if kind.Status == http.StatusTooManyRequests { // the spec requires Retry-After on every 429
		retry := 60 // an injected fault's: a minute, like the rate window
		if me := (*Error)(nil); errors.As(err, &me) && me.RetryAfter > 0 {
			retry = me.RetryAfter
		}
		reply.Header.Set("Retry-After", strconv.Itoa(retry))
	}
	return reply
}

// ok wraps DATA in the success envelope.
func ok(ex *engine.Exchange, data any) (engine.Reply, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Internal, Reason: "encoding DATA: " + err.Error()}
	}
	return okRaw(ex, b), nil
}

// okRaw wraps DATA, already encoded, in the success envelope.
func okRaw(ex *engine.Exchange, data []byte) engine.Reply {
	b := appendOKHead(make([]byte, 0, len(data)+96), ex)
	return replyOK(appendOKTail(append(b, data...)))
}

// appendOKHead appends the success envelope up to DATA's value. The
// operation id is a plain name from the spec, so it needs no escaping.
func appendOKHead(b []byte, ex *engine.Exchange) []byte {
	b = append(b, `{"REQUEST":{"VERSION":"1.0","ACTION":"`...)
	b = append(b, ex.OperationID...)
	return append(b, `","STATUS":"OK"},"DATA":`...)
}

func appendOKTail(b []byte) []byte { return append(b, '}') }

func replyOK(body []byte) engine.Reply {
	return engine.Reply{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
}

func (c *catalogue) has(operationID, name string) bool {
	_, ok := c.lookup(operationID, name)
	return ok
}

// checkFields makes sure every parameter and body field has a documented
// error for when it is missing (if required) and for when it is invalid, so
// that a validation failure never falls back to an undocumented name.
func (c *catalogue) checkFields(doc *openapi3.T) error {
	var problems []string
	need := func(op *openapi3.Operation, in, field string, required bool) {
		missing := fieldError(op, &engine.Problem{In: in, Field: field}, "x-mopay-missing", "_required")
		invalid := fieldError(op, &engine.Problem{In: in, Field: field}, "x-mopay-invalid", "_invalid")
		if required && !c.has(op.OperationID, missing) {
			problems = append(problems, fmt.Sprintf("%s: %s %s has no error example %s", op.OperationID, in, field, missing))
		}
		if !c.has(op.OperationID, invalid) {
			problems = append(problems, fmt.Sprintf("%s: %s %s has no error example %s", op.OperationID, in, field, invalid))
		}
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if !c.has(op.OperationID, "server_error") {
				problems = append(problems, fmt.Sprintf("%s: no error example server_error", op.OperationID))
			}
			for _, ref := range op.Parameters {
				need(op, ref.Value.In, ref.Value.Name, ref.Value.Required)
			}
			if op.RequestBody == nil {
				continue
			}
			mt := op.RequestBody.Value.Content.Get("application/json")
			if mt == nil || mt.Schema == nil {
				continue
			}
			for name := range mt.Schema.Value.Properties {
				need(op, "body", name, slices.Contains(mt.Schema.Value.Required, name))
			}
			for _, name := range []string{"body_invalid", "content_type_invalid"} {
				if !c.has(op.OperationID, name) {
					problems = append(problems, fmt.Sprintf("%s: no error example %s", op.OperationID, name))
				}
			}
		}
	}
	for _, name := range []string{"action_unknown", "method_not_allowed", "request_too_large", "headers_too_large"} {
		if !c.has("", name) {
			problems = append(problems, "components.examples has no "+name)
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("mopay spec: %s", strings.Join(problems, "; "))
	}
	return nil
}
