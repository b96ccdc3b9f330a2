package engine

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/specs"
)

// A document whose one server is not "/" is served at "/" all the same: the
// prefix belongs to the deployment, not to the simulator's routes.
func TestServedAtRootWhateverTheServers(t *testing.T) {
	for _, servers := range []openapi3.Servers{
		{{URL: "https://api.example.com/v1"}},
		{{URL: "/v2"}},
		{{URL: "https://a.example.com/"}, {URL: "https://b.example.com/"}},
		{{URL: "/{base}", Variables: map[string]*openapi3.ServerVariable{"base": {Default: "v3"}}}},
	} {
		h := newHarness(t, func(_ *harness, cfg *Config) { cfg.Doc.Servers = servers })
		if rec := h.do(http.MethodGet, "/items?limit=5", "", ""); rec.Code != http.StatusOK || len(h.handled) != 1 {
			t.Errorf("servers %s: status %d %s, handled %d; want the handler at /items", servers[0].URL, rec.Code, rec.Body, len(h.handled))
		}
	}
}

// The header limit counts the request line's target and every header
// field as name, value and 4 bytes of ": " and CRLF; a request exactly at
// the limit passes, one byte over is refused.
func TestHeaderLimitIsExact(t *testing.T) {
	const target = "/items?limit=5" // 14 bytes
	pad := strings.Repeat("v", 100)
	size := len(target) + len("X-Pad") + len(pad) + 4 + len("X-Other") + len("1") + 4
	for _, c := range []struct {
		limit int
		ok    bool
	}{{size, true}, {size + 1, true}, {size - 1, false}} {
		h := newHarness(t, func(_ *harness, cfg *Config) { cfg.MaxHeaderBytes = c.limit })
		rec := h.do(http.MethodGet, target, "", "", "X-Pad", pad, "X-Other", "1")
		if c.ok && rec.Code != http.StatusOK {
			t.Errorf("headers of %d bytes, limit %d: status %d %s, want 200", size, c.limit, rec.Code, rec.Body)
		}
		if !c.ok {
			h.expectProblem(rec, HeadersTooLarge, "header", "")
		}
	}
}

// A 405 keeps the rendering's headers and adds Allow.
func TestMethodNotAllowedKeepsTheRenderingsHeaders(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do(http.MethodDelete, "/items", "", "")
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD, POST" || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("answer %d, headers %v; want 405 with Allow and the rendering's Content-Type", rec.Code, rec.Header())
	}
}

// Internal errors are logged as simulator failures; a refused request is
// not a failure of the simulator.
func TestOnlyInternalErrorsAreLoggedAsFailures(t *testing.T) {
	var logs bytes.Buffer
	h := newHarness(t, func(h *harness, cfg *Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		cfg.Handlers["listItems"] = func(ex *Exchange) (Reply, error) {
			if ex.Query().Get("limit") == "7" {
				return Reply{}, &Problem{Kind: Internal, Reason: "broken store"}
			}
			return Reply{}, &Problem{Kind: Invalid, In: "query", Field: "limit", Reason: "not today"}
		}
	})
	h.do(http.MethodGet, "/items?limit=5", "", "")
	if strings.Contains(logs.String(), "simulator failure") {
		t.Fatalf("a refused request is logged as a failure:\n%s", logs.String())
	}
	h.do(http.MethodGet, "/items?limit=7", "", "")
	if !strings.Contains(logs.String(), `msg="simulator failure"`) || !strings.Contains(logs.String(), "broken store") {
		t.Fatalf("an internal error is not logged as a failure:\n%s", logs.String())
	}
}

// A credential sent once in the query is no repetition: it reaches
// Authenticate.
func TestQueryCredentialSentOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.do(http.MethodGet, "/items/1?token=abc", "", "")
	if h.authCalls != 1 || len(h.rendered) != 1 {
		t.Fatalf("authenticate ran %d times, rendered %v; want one refusal by Authenticate", h.authCalls, h.rendered)
	}
	if _, ok := h.rendered[0].(*authError); !ok {
		t.Fatalf("rendered %v, want Authenticate's own error", h.rendered[0])
	}
}

// A declared query parameter whose raw pair is malformed is refused, naming
// it, before kin-openapi (and url.Values) can drop it.
func TestMalformedQueryPairs(t *testing.T) {
	for _, q := range []string{"limit=%ZZ", "limit=5;6", "limit=%FF"} {
		h := newHarness(t, nil)
		p := h.expectProblem(h.do(http.MethodGet, "/items?"+q, "", ""), Invalid, "query", "limit")
		if !strings.Contains(p.Reason, "%-encoded") && !strings.Contains(p.Reason, "UTF-8") {
			t.Errorf("%s: reason %q", q, p.Reason)
		}
	}
	// An undeclared one is ignored, however it is written.
	h := newHarness(t, nil)
	if rec := h.do(http.MethodGet, "/items?limit=5&other=%ZZ", "", ""); rec.Code != http.StatusOK {
		t.Errorf("an undeclared malformed pair: %d %s", rec.Code, rec.Body)
	}
}

// A rule of no count injects nothing.
func TestFaultRuleOfNoCount(t *testing.T) {
	f := &Faults{}
	f.Add(FaultRule{System: "toy", OperationID: "listItems", Status: 503, Count: 0})
	if status, ok := f.Take("toy", "listItems"); ok {
		t.Fatalf("a rule of count 0 injected %d", status)
	}
}

func TestClipText(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 3, "abc"}, {"abcd", 3, "abc…"}, {"", 0, ""}, {"ab", 3, "ab"}} {
		if got := clipText(c.in, c.n); got != c.want {
			t.Errorf("clipText(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
	if got := (&Problem{Kind: Invalid, In: "path", Field: "id", Reason: "too long"}).Describe(); got != "path parameter id: too long" {
		t.Errorf("Describe = %q", got)
	}
}

// miniSpec has what the toy lacks: a required string query parameter and a
// header parameter.
const miniSpec = `
openapi: 3.0.3
info: {title: mini, version: "1"}
paths:
  /find:
    get:
      operationId: find
      parameters:
        - {name: q, in: query, required: true, schema: {type: string}}
        - {name: X-Trace, in: header, schema: {type: string}}
      responses:
        "200": {description: found, content: {application/json: {schema: {type: object}}}}
        "400": {description: refused, content: {application/json: {schema: {type: object}}}}
    post:
      operationId: put
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              properties:
                inner: {type: object, additionalProperties: false, properties: {a: {type: string}}}
      responses:
        "200": {description: stored, content: {application/json: {schema: {type: object}}}}
        "400": {description: refused, content: {application/json: {schema: {type: object}}}}
`

// A required string sent empty is missing, not a valid empty string; a
// header parameter given twice is ambiguous; a property the schema does not
// allow is named, at the top level or inside an object.
func TestRequiredStringEmptyAndHeaderTwice(t *testing.T) {
	doc, err := specs.Parse("mini", []byte(miniSpec))
	if err != nil {
		t.Fatal(err)
	}
	var got []error
	handled := 0
	eng, err := New(Config{Name: "mini", Doc: doc,
		Handlers: map[string]Handler{
			"find": func(*Exchange) (Reply, error) { handled++; return JSON(http.StatusOK, map[string]any{}) },
			"put":  func(*Exchange) (Reply, error) { handled++; return JSON(http.StatusOK, map[string]any{}) },
		},
		Render: func(_ *Exchange, err error) Reply {
			got = append(got, err)
			r, _ := JSON(http.StatusBadRequest, map[string]any{"error": err.Error()})
			return r
		}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		target string
		trace  []string
		kind   Kind
		in     string
		field  string
	}{
		{"/find?q=", nil, Missing, "query", "q"},
		{"/find?q=x", []string{"a", "b"}, Ambiguous, "header", "X-Trace"},
	} {
		got, handled = nil, 0
		req := httptest.NewRequest(http.MethodGet, c.target, nil)
		for _, v := range c.trace {
			req.Header.Add("X-Trace", v)
		}
		eng.ServeHTTP(httptest.NewRecorder(), req)
		p, ok := (*Problem)(nil), len(got) == 1
		if ok {
			p, ok = got[0].(*Problem)
		}
		if !ok || handled != 0 || p.Kind != c.kind || p.In != c.in || p.Field != c.field {
			t.Errorf("%s %v: rendered %v, handled %d; want %v %s %s", c.target, c.trace, got, handled, c.kind, c.in, c.field)
		}
	}
	for body, want := range map[string][2]string{`{"x":1}`: {"x", "/x"}, `{"inner":{"y":1}}`: {"inner", "/inner/y"}} {
		got, handled = nil, 0
		req := httptest.NewRequest(http.MethodPost, "/find", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		eng.ServeHTTP(httptest.NewRecorder(), req)
		p, ok := (*Problem)(nil), len(got) == 1
		if ok {
			p, ok = got[0].(*Problem)
		}
		if !ok || handled != 0 || p.Kind != Invalid || p.Field != want[0] || p.Pointer != want[1] || p.Reason != "this property is not allowed" {
			t.Errorf("%s: rendered %v, handled %d; want the property at %s refused", body, got, handled, want[1])
		}
	}
	got, handled = nil, 0
	req := httptest.NewRequest(http.MethodGet, "/find?q=x", nil)
	req.Header.Set("X-Trace", "a")
	if eng.ServeHTTP(httptest.NewRecorder(), req); handled != 1 || len(got) != 0 {
		t.Errorf("a valid request: handled %d, rendered %v", handled, got)
	}
}
