package engine

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Two Content-Type headers say two things about one body: the request is
// ambiguous whichever comes first, as a repeated parameter is.
func TestConflictingContentTypesAreAmbiguous(t *testing.T) {
	for _, types := range [][]string{
		{"application/json", "text/plain"},
		{"text/plain", "application/json"},
		{"application/json", "application/json"},
	} {
		h := newHarness(t, nil)
		req := httptest.NewRequest(http.MethodPost, "/items", strings.NewReader(`{"name":"a"}`))
		for _, ct := range types {
			req.Header.Add("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		h.eng.ServeHTTP(rec, req)
		if p := h.expectProblem(rec, Ambiguous, "header", "Content-Type"); !strings.Contains(p.Reason, "more than once") {
			t.Errorf("%v: reason %q", types, p.Reason)
		}
	}
}

// With AuthenticateFirst the credentials are checked before anything else
// about the request: without them, every request is refused by
// Authenticate, whatever else is wrong with it.
func TestAuthenticateFirst(t *testing.T) {
	first := func(_ *harness, cfg *Config) {
		cfg.AuthenticateAll, cfg.AuthenticateFirst = true, true
		cfg.MaxHeaderBytes, cfg.MaxBodyBytes = 256, 64
		cfg.SkipResponseValidation = true // the toy documents 401 on getItem alone
	}
	type req struct {
		name, method, target, body string
		header                     http.Header
		want                       Kind // with the key
	}
	for _, c := range []req{
		{name: "repeated query", method: "GET", target: "/items?limit=1&limit=2", want: Ambiguous},
		{name: "invalid query", method: "GET", target: "/items?limit=abc", want: Invalid},
		{name: "unknown path", method: "GET", target: "/nothing/here", want: NotFound},
		{name: "wrong method", method: "DELETE", target: "/items", want: MethodNotAllowed},
		{name: "headers too large", method: "GET", target: "/items?limit=1", header: http.Header{"X-Pad": {strings.Repeat("a", 300)}}, want: HeadersTooLarge},
		{name: "body too large", method: "POST", target: "/items", body: `{"name":"` + strings.Repeat("a", 100) + `"}`, header: http.Header{"Content-Type": {"application/json"}}, want: BodyTooLarge},
		{name: "two content types", method: "POST", target: "/items", body: `{"name":"a"}`, header: http.Header{"Content-Type": {"application/json", "text/plain"}}, want: Ambiguous},
		{name: "bad %-escape in the path", method: "GET", target: "/items/%ff", want: Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, key := range []string{"", "secret"} {
				h := newHarness(t, first)
				r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
				for k, vs := range c.header {
					r.Header[k] = vs
				}
				if key != "" {
					r.Header.Set("X-Api-Key", key)
				}
				rec := httptest.NewRecorder()
				h.eng.ServeHTTP(rec, r)
				if h.authCalls != 1 || len(h.rendered) != 1 || len(h.handled) != 0 {
					t.Fatalf("key %q: auth calls %d, rendered %v, handled %d; want one call and one refusal", key, h.authCalls, h.rendered, len(h.handled))
				}
				var ae *authError
				if key == "" {
					if !errors.As(h.rendered[0], &ae) || rec.Code != http.StatusUnauthorized {
						t.Fatalf("without the key: %d, rendered %v; want Authenticate's refusal first", rec.Code, h.rendered[0])
					}
					continue
				}
				if p := h.lastProblem(); p.Kind != c.want {
					t.Fatalf("with the key: %v, want %v", p, c.want)
				}
			}
		})
	}
}

// Refusing answers a request the core turns away (a world that does not
// exist) in the system's format, after its credentials when they come
// first, and checked against the error schema.
func TestRefusingAuthenticatesFirst(t *testing.T) {
	for _, authFirst := range []bool{true, false} {
		h := newHarness(t, func(_ *harness, cfg *Config) { cfg.AuthenticateAll, cfg.AuthenticateFirst = true, authFirst })
		refuse := h.eng.Refusing(&Problem{Kind: NotFound, Reason: "no such world"})
		rec := httptest.NewRecorder()
		refuse.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/_herald/worlds/w99/items", nil))
		var ae *authError
		switch {
		case authFirst && (rec.Code != http.StatusUnauthorized || !errors.As(h.rendered[0], &ae) || h.authCalls != 1):
			t.Fatalf("without the key: %d %v", rec.Code, h.rendered)
		case !authFirst && (rec.Code != http.StatusNotFound || h.authCalls != 0):
			t.Fatalf("without authentication first: %d %v, auth calls %d", rec.Code, h.rendered, h.authCalls)
		}
		h = newHarness(t, func(_ *harness, cfg *Config) { cfg.AuthenticateAll, cfg.AuthenticateFirst = true, authFirst })
		rec = httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/_herald/worlds/w99/items", nil)
		r.Header.Set("X-Api-Key", "secret")
		h.eng.Refusing(&Problem{Kind: NotFound, Reason: "no such world"}).ServeHTTP(rec, r)
		if p := h.expectProblem(rec, NotFound, "", ""); p.Reason != "no such world" {
			t.Fatalf("reason %q", p.Reason)
		}
	}
	h := newHarness(t, func(h *harness, _ *Config) { h.badRender = NotFound })
	rec := httptest.NewRecorder()
	h.eng.Refusing(&Problem{Kind: NotFound, Reason: "no such world"}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("a refusal that violates the error schema: %d, want the internal error", rec.Code)
	}
}

// A body that stops short of its Content-Length is a 400 saying so, and
// why: the read timed out, or the connection ended.
func TestShortBodyNamesContentLength(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{io.ErrUnexpectedEOF, "the connection ended"},
		{timeoutError{}, "the read timed out"},
	} {
		h := newHarness(t, nil)
		r := httptest.NewRequest(http.MethodPost, "/items", io.MultiReader(strings.NewReader(`{"na`), failingReader{c.err}))
		r.Header.Set("Content-Type", "application/json")
		r.ContentLength = 100
		rec := httptest.NewRecorder()
		h.eng.ServeHTTP(rec, r)
		p := h.expectProblem(rec, BodyInvalid, "body", "")
		if !strings.Contains(p.Reason, "after 4 of the 100 bytes its Content-Length announces") || !strings.Contains(p.Reason, c.want) {
			t.Errorf("reason %q, want the bytes received, the Content-Length and %q", p.Reason, c.want)
		}
	}
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// A refusal by Authenticate before anything else still names the operation
// the path routes to, for the observer (and so the coverage), and is
// checked against that operation's answers.
func TestAuthenticateFirstObservesTheOperation(t *testing.T) {
	var seen []Observation
	h := newHarness(t, func(_ *harness, cfg *Config) {
		cfg.AuthenticateAll, cfg.AuthenticateFirst = true, true
		cfg.Observe = func(o Observation) { seen = append(seen, o) }
	})
	h.do(http.MethodGet, "/items/1", "", "")
	if len(seen) != 1 || seen[0].OperationID != "getItem" || seen[0].Reply.Status != http.StatusUnauthorized || seen[0].Violation != nil {
		t.Fatalf("observed %+v; want the 401 of getItem, checked against its answers", seen)
	}
	seen = nil
	h.do(http.MethodDelete, "/items/1", "", "") // getItem's path, another method: no operation
	if len(seen) != 1 || seen[0].OperationID != "" || seen[0].Reply.Status != http.StatusUnauthorized {
		t.Fatalf("observed %+v; want a 401 of no operation", seen)
	}
	seen = nil
	h = newHarness(t, func(_ *harness, cfg *Config) {
		cfg.AuthenticateAll, cfg.AuthenticateFirst = true, true
		cfg.SkipResponseValidation = true
		cfg.Observe = func(o Observation) { seen = append(seen, o) }
	})
	h.do(http.MethodGet, "/items?limit=abc", "", "")
	h.do(http.MethodGet, "/nothing/here", "", "")
	if len(seen) != 2 || seen[0].OperationID != "listItems" || seen[0].Reply.Status != http.StatusUnauthorized || seen[1].OperationID != "" || seen[1].Reply.Status != http.StatusUnauthorized {
		t.Fatalf("observed %+v; want the 401 of listItems, then a 401 of no operation", seen)
	}
}
