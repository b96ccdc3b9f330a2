package engine

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A handler that panics gets an internal error in the system's format, and
// the engine keeps serving.
func TestPanicIsAnInternalError(t *testing.T) {
	h := newHarness(t, func(h *harness, cfg *Config) {
		cfg.Handlers["listItems"] = func(*Exchange) (Reply, error) { panic("boom") }
	})
	rec := h.do(http.MethodGet, "/items?limit=5", "", "")
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if p := h.lastProblem(); p.Kind != Internal {
		t.Fatalf("rendered %v, want an internal problem", p)
	}
	if rec := h.do(http.MethodGet, "/items/1", "", "", "X-Api-Key", "secret"); rec.Code != http.StatusOK {
		t.Fatalf("after the panic: %d", rec.Code)
	}
}

// HEAD works wherever GET does, and the methods an Allow header lists include it.
func TestHeadIsGetWithoutBody(t *testing.T) {
	h := newHarness(t, nil)
	srv := httptest.NewServer(h.eng)
	defer srv.Close()
	resp, err := http.Head(srv.URL + "/items?limit=5")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Length") == "0" || len(h.handled) != 1 {
		t.Fatalf("HEAD: status %d, length %q, handled %d", resp.StatusCode, resp.Header.Get("Content-Length"), len(h.handled))
	}
	rec := h.do(http.MethodDelete, "/items?limit=5", "", "")
	if allow := rec.Header().Get("Allow"); allow != "GET, HEAD, POST" {
		t.Fatalf("Allow %q, want GET, HEAD, POST", allow)
	}
}

// A parameter or credential header given twice is ambiguous: 400 naming it,
// whichever value comes first.
func TestRepeatedParameterOrHeaderIsRefused(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do(http.MethodGet, "/items?limit=5&limit=abc", "", "")
	h.expectProblem(rec, Ambiguous, "query", "limit")

	h = newHarness(t, nil)
	req := httptest.NewRequest(http.MethodGet, "/items/1", nil)
	req.Header.Add("X-Api-Key", "secret")
	req.Header.Add("X-Api-Key", "wrong")
	rec = httptest.NewRecorder()
	h.eng.ServeHTTP(rec, req)
	h.expectProblem(rec, Ambiguous, "header", "X-Api-Key")
	if h.authCalls != 0 {
		t.Fatal("an ambiguous credential reached Authenticate")
	}
}

// An unparseable media type is refused like an unsupported one, whatever it
// names: its charset cannot be trusted.
func TestUnparseableMediaTypeIs415(t *testing.T) {
	for _, ct := range []string{"application/json; charset=latin1;;", "application/json; =x", "application/json; charset=latin1"} {
		h := newHarness(t, nil)
		rec := h.do(http.MethodPost, "/items", ct, `{"name":"a"}`)
		h.expectProblem(rec, ContentType, "header", "Content-Type")
	}
}

// A system can authenticate every operation itself, or those an extension
// marks, without any kin-openapi security scheme.
func TestOwnAuthentication(t *testing.T) {
	h := newHarness(t, func(h *harness, cfg *Config) { cfg.AuthenticateAll = true })
	h.do(http.MethodGet, "/items?limit=5", "", "")
	var ae *authError
	if len(h.rendered) == 0 || !errors.As(h.rendered[0], &ae) || h.authCalls != 1 || len(h.handled) != 0 {
		t.Fatalf("AuthenticateAll without a key: rendered %v, auth calls %d, handled %d", h.rendered, h.authCalls, len(h.handled))
	}
	rec := h.do(http.MethodGet, "/items/1", "", "", "X-Api-Key", "secret")
	if rec.Code != http.StatusOK || h.authCalls != 2 {
		t.Fatalf("with a key (and a scheme too): status %d, auth calls %d (want one per request)", rec.Code, h.authCalls)
	}

	h = newHarness(t, func(h *harness, cfg *Config) {
		cfg.Doc.Paths.Value("/items").Post.Extensions = map[string]any{"x-herald-authenticate": true}
		h.eng = nil
	})
	if rec := h.do(http.MethodGet, "/items?limit=5", "", ""); rec.Code != http.StatusOK || h.authCalls != 0 {
		t.Fatalf("unmarked operation: status %d, auth calls %d", rec.Code, h.authCalls)
	}
	if h.do(http.MethodPost, "/items", "application/json", `{"name":"a"}`); len(h.handled) != 1 || h.authCalls != 1 {
		t.Fatalf("marked operation: handled %d, auth calls %d", len(h.handled), h.authCalls)
	}
}

// The observer sees every exchange, refused, handled or violating.
func TestObserverSeesEveryExchange(t *testing.T) {
	var seen []Observation
	entered, left := 0, 0
	h := newHarness(t, func(h *harness, cfg *Config) {
		cfg.Observe = func(o Observation) { seen = append(seen, o) }
		cfg.Enter = func() func() { entered++; return func() { left++ } }
		cfg.Handlers["getItem"] = func(*Exchange) (Reply, error) {
			return JSON(http.StatusOK, map[string]any{"id": 1}) // id must be a string
		}
	})
	h.do(http.MethodGet, "/items?limit=5", "", "")
	h.do(http.MethodGet, "/items?limit=0", "", "")
	h.do(http.MethodGet, "/items/1", "", "", "X-Api-Key", "secret")
	if len(seen) != 3 {
		t.Fatalf("observed %d exchanges, want 3", len(seen))
	}
	if o := seen[0]; o.OperationID != "listItems" || o.Reply.Status != 200 || o.Refused != nil || o.Violation != nil || o.System != "toy" {
		t.Errorf("handled: %+v", o)
	}
	if o := seen[1]; o.Refused == nil || o.Reply.Status != 400 {
		t.Errorf("refused: %+v", o)
	}
	if o := seen[2]; o.Violation == nil || !strings.Contains(o.Violation.Error(), "id") || o.Reply.Status != 500 {
		t.Errorf("violation: %+v", o)
	}
	if entered != 3 || left != 3 {
		t.Errorf("Enter %d, leave %d, want 3 and 3", entered, left)
	}
}
