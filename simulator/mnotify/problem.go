package mnotify

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"herald/simulator/engine"
	wire "herald/specs/wire/mnotify"
)

// Error is a failure the simulator answers in ProblemDetails. Fields, on a
// 400, names every field at fault in the vendor's JSON path spelling
// (Recipients[0].Value), each with what is wrong.
type Error struct {
	Status int
	Detail string
	Fields map[string][]string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%d: %s", e.Status, e.Detail)
	}
	return fmt.Sprintf("%d: %s", e.Status, e.detail())
}

// detail is Detail, or the field errors in one line.
func (e *Error) detail() string {
	if e.Detail != "" || len(e.Fields) == 0 {
		return e.Detail
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+strings.Join(e.Fields[k], "; "))
	}
	return strings.Join(parts, "; ")
}

func failf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Detail: fmt.Sprintf(format, args...)}
}

// invalid is a 400 naming one field.
func invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Fields: map[string][]string{field: {fmt.Sprintf(format, args...)}}}
}

// fieldErrors collects validation errors, as ASP.NET reports them all at once.
type fieldErrors map[string][]string

func (f fieldErrors) add(field, format string, args ...any) {
	f[field] = append(f[field], fmt.Sprintf(format, args...))
}

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Status: http.StatusBadRequest, Fields: f}
}

// problemType is the type and title ASP.NET Core writes for a status.
func problemType(status int) (typ, title string) {
	switch status {
	case 400:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.1", "One or more validation errors occurred."
	case 401:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.2", "Unauthorized"
	case 403:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.4", "Forbidden"
	case 404:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found"
	case 405:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.6", "Method Not Allowed"
	case 409:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.10", "Conflict"
	case 413:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.14", "Content Too Large"
	case 415:
		return "https://tools.ietf.org/html/rfc9110#section-15.5.16", "Unsupported Media Type"
	case 431:
		return "https://tools.ietf.org/html/rfc6585#section-5", "Request Header Fields Too Large"
	case 500:
		return "https://tools.ietf.org/html/rfc9110#section-15.6.1", "An error occurred while processing your request."
	}
	title = http.StatusText(status)
	if title == "" {
		title = "Error"
	}
	return "https://tools.ietf.org/html/rfc9110#section-15", title
}

// toError turns any failure into an Error.
func toError(err error) *Error {
	var me *Error
	if errors.As(err, &me) {
		return me
	}
	var p *engine.Problem
	if !errors.As(err, &p) {
		return &Error{Status: http.StatusInternalServerError, Detail: "unexpected failure: " + err.Error()}
	}
	switch p.Kind {
	case engine.NotFound:
		return &Error{Status: http.StatusNotFound, Detail: p.Reason}
	case engine.MethodNotAllowed:
		return &Error{Status: http.StatusMethodNotAllowed, Detail: p.Reason}
	case engine.BodyTooLarge:
		return &Error{Status: http.StatusRequestEntityTooLarge, Detail: p.Reason}
	case engine.HeadersTooLarge:
		return &Error{Status: http.StatusRequestHeaderFieldsTooLarge, Detail: p.Reason}
	case engine.ContentType:
		// ProblemDetails has errors on a 400 only: the detail names the header.
		detail := p.Reason
		if p.Field != "" {
			detail = p.Field + ": " + p.Reason
		}
		return &Error{Status: http.StatusUnsupportedMediaType, Detail: detail}
	case engine.BodyInvalid:
		return invalid("$", "%s", p.Reason)
	case engine.Missing:
		return invalid(fieldPath(p), "the field is required")
	case engine.Invalid, engine.Ambiguous:
		return invalid(fieldPath(p), "%s", p.Reason)
	case engine.Fault, engine.Credentials, engine.Upstream: // injected, or a proxy's refusal of the caller, or its vendor's silence
		return &Error{Status: p.Status, Detail: p.Reason}
	default:
		return &Error{Status: http.StatusInternalServerError, Detail: p.Reason}
	}
}

// fieldPath names the field of an engine problem as the vendor spells JSON
// paths: body pointer /recipients/0/value is Recipients[0].Value; parameters
// keep their names.
func fieldPath(p *engine.Problem) string {
	if p.In != "body" {
		if p.Field == "" {
			return "$"
		}
		return p.Field
	}
	ptr := p.Pointer
	if ptr == "" {
		ptr = "/" + p.Field
	}
	return jsonPath(ptr)
}

// jsonPath converts a JSON pointer to the vendor's path spelling.
func jsonPath(pointer string) string {
	var b strings.Builder
	for _, seg := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		if seg == "" {
			continue
		}
		seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
		if _, err := strconv.Atoi(seg); err == nil && b.Len() > 0 {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(pascal(seg))
	}
	if b.Len() == 0 {
		return "$"
	}
	return b.String()
}

// pascal upper-cases the first letter of an ASCII name.
func pascal(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// render writes a failure as ProblemDetails.
func (s *Sim) render(ex *engine.Exchange, err error) engine.Reply {
	e := toError(err)
	status := e.Status
	typ, title := problemType(status)
	pd := wire.Problem{Type: typ, Title: title, Status: status, Detail: e.detail(), TraceID: s.traceID()}
	if status == http.StatusBadRequest {
		pd.Errors = e.Fields
		if len(pd.Errors) == 0 {
			pd.Errors = map[string][]string{"$": {e.Detail}}
		}
	}
	b, _ := json.Marshal(pd)
	return engine.Reply{Status: status, Header: http.Header{"Content-Type": {wire.ProblemContentType}}, Body: b}
}

// traceID is a W3C trace context id, as ASP.NET puts in traceId.
func (s *Sim) traceID() string {
	return "00-" + s.random.Hex(16) + "-" + s.random.Hex(8) + "-00"
}
