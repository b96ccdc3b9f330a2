package mnotify

import (
	"errors"
	"net/http"
	"testing"

	"herald/simulator/engine"
)

// TestProblemTypeAndTitle pins the type and title ASP.NET Core writes for
// each status the simulator answers, and the fallback for any other.
func TestProblemTypeAndTitle(t *testing.T) {
	for _, c := range []struct {
		status     int
		typ, title string
	}{
		{400, "https://tools.ietf.org/html/rfc9110#section-15.5.1", "One or more validation errors occurred."},
		{401, "https://tools.ietf.org/html/rfc9110#section-15.5.2", "Unauthorized"},
		{403, "https://tools.ietf.org/html/rfc9110#section-15.5.4", "Forbidden"},
		{404, "https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found"},
		{405, "https://tools.ietf.org/html/rfc9110#section-15.5.6", "Method Not Allowed"},
		{409, "https://tools.ietf.org/html/rfc9110#section-15.5.10", "Conflict"},
		{413, "https://tools.ietf.org/html/rfc9110#section-15.5.14", "Content Too Large"},
		{415, "https://tools.ietf.org/html/rfc9110#section-15.5.16", "Unsupported Media Type"},
		{431, "https://tools.ietf.org/html/rfc6585#section-5", "Request Header Fields Too Large"},
		{500, "https://tools.ietf.org/html/rfc9110#section-15.6.1", "An error occurred while processing your request."},
		{503, "https://tools.ietf.org/html/rfc9110#section-15", "Service Unavailable"},
		{599, "https://tools.ietf.org/html/rfc9110#section-15", "Error"},
	} {
		typ, title := problemType(c.status)
		if typ != c.typ || title != c.title {
			t.Errorf("%d: %q %q, want %q %q", c.status, typ, title, c.typ, c.title)
		}
	}
}

// TestToErrorStatusesAndFields pins how each engine problem becomes a
// ProblemDetails status, detail and field.
func TestToErrorStatusesAndFields(t *testing.T) {
	for _, c := range []struct {
		name   string
		err    error
		status int
		detail string
		field  string
	}{
		{"own", failf(409, "taken"), 409, "taken", ""},
		{"plain", errors.New("boom"), 500, "unexpected failure: boom", ""},
		{"not found", &engine.Problem{Kind: engine.NotFound, Reason: "no such"}, 404, "no such", ""},
		{"method", &engine.Problem{Kind: engine.MethodNotAllowed, Reason: "no PUT"}, 405, "no PUT", ""},
		{"body size", &engine.Problem{Kind: engine.BodyTooLarge, Reason: "big"}, 413, "big", ""},
		{"header size", &engine.Problem{Kind: engine.HeadersTooLarge, Reason: "long"}, 431, "long", ""},
		{"content type", &engine.Problem{Kind: engine.ContentType, Field: "Content-Type", Reason: "must be JSON"}, 415, "Content-Type: must be JSON", ""},
		{"content type, no field", &engine.Problem{Kind: engine.ContentType, Reason: "must be JSON"}, 415, "must be JSON", ""},
		{"body", &engine.Problem{Kind: engine.BodyInvalid, Reason: "not JSON"}, 400, "", "$"},
		{"missing", &engine.Problem{Kind: engine.Missing, In: "body", Pointer: "/recipients/0/value"}, 400, "", "Recipients[0].Value"},
		{"missing, field only", &engine.Problem{Kind: engine.Missing, In: "body", Field: "priority"}, 400, "", "Priority"},
		{"invalid query", &engine.Problem{Kind: engine.Invalid, In: "query", Field: "Page", Reason: "not a number"}, 400, "", "Page"},
		{"invalid, no field", &engine.Problem{Kind: engine.Invalid, In: "query", Reason: "bad"}, 400, "", "$"},
		{"ambiguous", &engine.Problem{Kind: engine.Ambiguous, In: "body", Pointer: "/body", Reason: "two"}, 400, "", "Body"},
		{"fault", &engine.Problem{Kind: engine.Fault, Status: 503, Reason: "down"}, 503, "down", ""},
	} {
		e := toError(c.err)
		if e.Status != c.status || e.Detail != c.detail {
			t.Errorf("%s: %d %q, want %d %q", c.name, e.Status, e.Detail, c.status, c.detail)
		}
		if c.field != "" && len(e.Fields[c.field]) == 0 {
			t.Errorf("%s: fields %v do not name %s", c.name, e.Fields, c.field)
		}
		if c.field == "" && len(e.Fields) != 0 {
			t.Errorf("%s: fields %v, want none", c.name, e.Fields)
		}
	}
}

// TestErrorDetail pins the one-line detail: Detail when given, otherwise the
// field errors sorted by field, each field's errors joined.
func TestErrorDetail(t *testing.T) {
	e := &Error{Status: http.StatusBadRequest, Fields: map[string][]string{"B": {"x", "y"}, "A": {"z"}}}
	if got, want := e.detail(), "A: z; B: x; y"; got != want {
		t.Errorf("detail %q, want %q", got, want)
	}
	if got, want := e.Error(), "400: A: z; B: x; y"; got != want {
		t.Errorf("Error %q, want %q", got, want)
	}
	e.Detail = "given"
	if got := e.detail(); got != "given" {
		t.Errorf("detail %q, want the given one", got)
	}
	if got, want := failf(404, "gone %d", 1).Error(), "404: gone 1"; got != want {
		t.Errorf("Error %q, want %q", got, want)
	}
	if got := (&Error{Status: 404}).detail(); got != "" {
		t.Errorf("empty detail %q", got)
	}
	for in, want := range map[string]string{"": "", "a": "A", "z": "Z", "Ab": "Ab", "_x": "_x", "{": "{", "`": "`"} {
		if got := pascal(in); got != want {
			t.Errorf("pascal(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestJSONPathLeadingIndex pins that a number is an index only after a
// name: a pointer that starts with one keeps it as a name.
func TestJSONPathLeadingIndex(t *testing.T) {
	for in, want := range map[string]string{"/0/value": "0.Value", "/0": "0", "/a/0/1": "A[0][1]", "//x": "X", "/~0x": "~x"} {
		if got := jsonPath(in); got != want {
			t.Errorf("jsonPath(%q) = %q, want %q", in, got, want)
		}
	}
}
