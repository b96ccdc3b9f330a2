package engine

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"herald/specs"
)

// toySpec is a small document with the features the engine handles: a
// required query parameter with bounds, a required JSON body, a path
// parameter, security with several schemes, and error answers.
const toySpec = `
openapi: 3.0.3
info:
  title: toy
  version: "1"
paths:
  /items:
    get:
      operationId: listItems
      parameters:
        - name: limit
          in: query
          required: true
          schema:
            type: integer
            minimum: 1
            maximum: 100
      responses:
        "200":
          description: the items
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/ItemList'
        "400":
          $ref: '#/components/responses/Error'
        "413":
          $ref: '#/components/responses/Error'
        "431":
          $ref: '#/components/responses/Error'
        "500":
          $ref: '#/components/responses/Error'
        "503":
          $ref: '#/components/responses/Error'
    post:
      operationId: createItem
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/NewItem'
      responses:
        "201":
          description: the new item
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Item'
        "400":
          $ref: '#/components/responses/Error'
        "413":
          $ref: '#/components/responses/Error'
        "415":
          $ref: '#/components/responses/Error'
        "431":
          $ref: '#/components/responses/Error'
        "500":
          $ref: '#/components/responses/Error'
        "503":
          $ref: '#/components/responses/Error'
  /items/{id}:
    get:
      operationId: getItem
      security:
        - apiKey: []
          session: []
        - token: []
      parameters:
        - name: id
          in: path
          required: true
          schema:
            type: string
      responses:
        "200":
          description: the item
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Item'
        "400":
          $ref: '#/components/responses/Error'
        "401":
          $ref: '#/components/responses/Error'
        "500":
          $ref: '#/components/responses/Error'
components:
  securitySchemes:
    apiKey:
      type: apiKey
      in: header
      name: X-Api-Key
    session:
      type: apiKey
      in: header
      name: X-Session
    token:
      type: apiKey
      in: query
      name: token
  schemas:
    Error:
      type: object
      required: [error]
      properties:
        error:
          type: string
    Item:
      type: object
      required: [id, name]
      properties:
        id:
          type: string
        name:
          type: string
    ItemList:
      type: object
      required: [items]
      properties:
        items:
          type: array
          items:
            $ref: '#/components/schemas/Item'
    NewItem:
      type: object
      required: [name]
      properties:
        name:
          type: string
          minLength: 1
          maxLength: 10
        tags:
          type: array
          items:
            type: string
  responses:
    Error:
      description: an error
      content:
        application/json:
          schema:
            $ref: '#/components/schemas/Error'
`

// authError is the system's own error for failed authentication; Render
// must receive it unchanged.
type authError struct{ reason string }

func (e *authError) Error() string { return "unauthenticated: " + e.reason }

// statusOf is the status the toy system answers each kind of problem with.
var statusOf = map[Kind]int{
	NotFound:         http.StatusNotFound,
	MethodNotAllowed: http.StatusMethodNotAllowed,
	Missing:          http.StatusBadRequest,
	Invalid:          http.StatusBadRequest,
	BodyInvalid:      http.StatusBadRequest,
	ContentType:      http.StatusUnsupportedMediaType,
	BodyTooLarge:     http.StatusRequestEntityTooLarge,
	HeadersTooLarge:  http.StatusRequestHeaderFieldsTooLarge,
	Internal:         http.StatusInternalServerError,
	Ambiguous:        http.StatusBadRequest,
}

// harness is one engine over the toy document, recording what reaches the
// handlers, Authenticate and Render.
type harness struct {
	t         *testing.T
	eng       *Engine
	rendered  []error     // every error passed to Render, in order
	handled   []*Exchange // every exchange that reached a handler
	authCalls int
	// badRender, when set, makes Render answer this kind with a body that
	// violates the error schema.
	badRender Kind
}

func parseToy(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := specs.Parse("toy", []byte(toySpec))
	if err != nil {
		t.Fatalf("parse toy spec: %v", err)
	}
	return doc
}

// newHarness builds the engine; adjust may change the config before New.
func newHarness(t *testing.T, adjust func(h *harness, cfg *Config)) *harness {
	t.Helper()
	h := &harness{t: t}
	cfg := Config{
		Name:        "toy",
		Doc:         parseToy(t),
		ErrorSchema: "Error",
		Handlers: map[string]Handler{
			"listItems": func(ex *Exchange) (Reply, error) {
				h.handled = append(h.handled, ex)
				return JSON(http.StatusOK, map[string]any{"items": []any{}})
			},
			"createItem": func(ex *Exchange) (Reply, error) {
				h.handled = append(h.handled, ex)
				var in struct{ Name string }
				if err := json.Unmarshal(ex.Body, &in); err != nil {
					return Reply{}, &Problem{Kind: Internal, Reason: "handler could not decode: " + err.Error()}
				}
				return JSON(http.StatusCreated, map[string]any{"id": "1", "name": in.Name})
			},
			"getItem": func(ex *Exchange) (Reply, error) {
				h.handled = append(h.handled, ex)
				return JSON(http.StatusOK, map[string]any{"id": ex.PathParams["id"], "name": "thing"})
			},
		},
		Authenticate: func(ex *Exchange) error {
			h.authCalls++
			if ex.Request.Header.Get("X-Api-Key") != "secret" {
				return &authError{reason: "bad key"}
			}
			ex.Principal = "alice"
			return nil
		},
		Render: func(ex *Exchange, err error) Reply {
			h.rendered = append(h.rendered, err)
			var ae *authError
			if errors.As(err, &ae) {
				return mustJSON(t, http.StatusUnauthorized, map[string]any{"error": "auth:" + ae.reason})
			}
			var p *Problem
			if !errors.As(err, &p) {
				return mustJSON(t, http.StatusInternalServerError, map[string]any{"error": "unknown:" + err.Error()})
			}
			if h.badRender != 0 && p.Kind == h.badRender {
				return mustJSON(t, statusOf[p.Kind], map[string]any{"oops": 1})
			}
			status := statusOf[p.Kind]
			if p.Kind == Fault {
				status = p.Status
			}
			return mustJSON(t, status, map[string]any{"error": p.Kind.String() + ":" + p.Field})
		},
	}
	if adjust != nil {
		adjust(h, &cfg)
	}
	eng, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.eng = eng
	return h
}

func mustJSON(t *testing.T, status int, v any) Reply {
	t.Helper()
	r, err := JSON(status, v)
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	return r
}

// do serves one request and returns the recorded answer.
func (h *harness) do(method, target, contentType, body string, header ...string) *httptest.ResponseRecorder {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.eng.ServeHTTP(rec, req)
	return rec
}

// lastProblem returns the last error passed to Render as a *Problem.
func (h *harness) lastProblem() *Problem {
	h.t.Helper()
	if len(h.rendered) == 0 {
		h.t.Fatal("Render was not called")
	}
	var p *Problem
	if !errors.As(h.rendered[len(h.rendered)-1], &p) {
		h.t.Fatalf("Render got %T (%v), want a *Problem", h.rendered[len(h.rendered)-1], h.rendered[len(h.rendered)-1])
	}
	return p
}

// expectProblem checks that exactly one failure was rendered, with the kind,
// place and field given, that no handler ran, and that the answer is the
// rendering.
func (h *harness) expectProblem(rec *httptest.ResponseRecorder, kind Kind, in, field string) *Problem {
	h.t.Helper()
	if len(h.rendered) != 1 {
		h.t.Fatalf("Render called %d times (%v), want once", len(h.rendered), h.rendered)
	}
	p := h.lastProblem()
	if p.Kind != kind || p.In != in || p.Field != field {
		h.t.Errorf("problem = {Kind:%v In:%q Field:%q Reason:%q}, want {Kind:%v In:%q Field:%q}",
			p.Kind, p.In, p.Field, p.Reason, kind, in, field)
	}
	if len(h.handled) != 0 {
		h.t.Errorf("handler ran %d times for a refused request", len(h.handled))
	}
	want := statusOf[kind]
	if kind == Fault {
		want = p.Status
	}
	if rec.Code != want {
		h.t.Errorf("status = %d, want %d (body %s)", rec.Code, want, rec.Body)
	}
	var got struct{ Error string }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		h.t.Fatalf("answer is not JSON: %v: %s", err, rec.Body)
	}
	if wantBody := kind.String() + ":" + field; got.Error != wantBody {
		h.t.Errorf("answer error = %q, want %q", got.Error, wantBody)
	}
	return p
}

func TestNewFailsForOperationWithoutHandler(t *testing.T) {
	doc := parseToy(t)
	ok := func(*Exchange) (Reply, error) { return Reply{}, nil }
	_, err := New(Config{
		Name:     "toy",
		Doc:      doc,
		Handlers: map[string]Handler{"listItems": ok, "getItem": ok},
		Render:   func(*Exchange, error) Reply { return Reply{} },
	})
	if err == nil {
		t.Fatal("New succeeded although createItem has no handler")
	}
	if !strings.Contains(err.Error(), "operation createItem has no handler") {
		t.Errorf("error %q does not name createItem", err)
	}
	if strings.Contains(err.Error(), "listItems") || strings.Contains(err.Error(), "getItem") {
		t.Errorf("error %q names operations that have handlers", err)
	}
}

func TestNewFailsForHandlerWithoutOperation(t *testing.T) {
	doc := parseToy(t)
	ok := func(*Exchange) (Reply, error) { return Reply{}, nil }
	_, err := New(Config{
		Name:     "toy",
		Doc:      doc,
		Handlers: map[string]Handler{"listItems": ok, "getItem": ok, "createItem": ok, "deleteItem": ok},
		Render:   func(*Exchange, error) Reply { return Reply{} },
	})
	if err == nil {
		t.Fatal("New succeeded although deleteItem has no operation")
	}
	if !strings.Contains(err.Error(), "handler deleteItem has no operation") {
		t.Errorf("error %q does not name deleteItem", err)
	}
}

func TestNewRequiresDocAndRender(t *testing.T) {
	doc := parseToy(t)
	if _, err := New(Config{Name: "toy", Doc: doc}); err == nil {
		t.Error("New succeeded without Render")
	}
	if _, err := New(Config{Name: "toy", Render: func(*Exchange, error) Reply { return Reply{} }}); err == nil {
		t.Error("New succeeded without Doc")
	}
}

func TestGetReachesHandler(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do(http.MethodGet, "/items?limit=5", "", "")
	ex := h.handledOnce(t, rec, "listItems")
	if ex.Operation() == nil || ex.Operation().OperationID != "listItems" {
		t.Errorf("Operation() = %v, want listItems", ex.Operation())
	}
	if got := ex.Query()["limit"]; len(got) != 1 || got[0] != "5" {
		t.Errorf("Query()[limit] = %v, want [5]", got)
	}
	if len(h.rendered) != 0 {
		t.Errorf("Render called for a valid request: %v", h.rendered)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got, want := rec.Header().Get("Content-Length"), "12"; got != want { // {"items":[]}
		t.Errorf("Content-Length = %q, want %q", got, want)
	}
	if rec.Body.String() != `{"items":[]}` {
		t.Errorf("body = %s", rec.Body)
	}
}

func TestGetSetsPathParams(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do(http.MethodGet, "/items/abc", "", "", "X-Api-Key", "secret")
	ex := h.handledOnce(t, rec, "getItem")
	if got := ex.PathParams["id"]; got != "abc" {
		t.Errorf("PathParams[id] = %q, want abc (all: %v)", got, ex.PathParams)
	}
}

func TestPostReachesHandler(t *testing.T) {
	h := newHarness(t, nil)
	body := `{"name":"widget"}`
	rec := h.do(http.MethodPost, "/items", "application/json", body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201 (body %s, rendered %v)", rec.Code, rec.Body, h.rendered)
	}
	if len(h.handled) != 1 {
		t.Fatalf("handler ran %d times, want once", len(h.handled))
	}
	ex := h.handled[0]
	if ex.OperationID != "createItem" {
		t.Errorf("OperationID = %q, want createItem", ex.OperationID)
	}
	if string(ex.Body) != body {
		t.Errorf("Body = %q, want %q", ex.Body, body)
	}
	if ex.PathParams == nil {
		t.Error("PathParams is nil, want an empty map for a route without parameters")
	}
	if got, want := rec.Body.String(), `{"id":"1","name":"widget"}`; got != want {
		t.Errorf("answer = %s, want %s", got, want)
	}
}

func TestPostAcceptsJSONWithCharset(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do(http.MethodPost, "/items", "application/json; charset=utf-8", `{"name":"w"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201 (body %s, rendered %v)", rec.Code, rec.Body, h.rendered)
	}
}

func TestQueryParamMissing(t *testing.T) {
	for _, target := range []string{"/items", "/items?other=1", "/items?limit="} {
		t.Run(target, func(t *testing.T) {
			h := newHarness(t, nil)
			rec := h.do(http.MethodGet, target, "", "")
			h.expectProblem(rec, Missing, "query", "limit")
		})
	}
}

func TestQueryParamInvalid(t *testing.T) {
	for _, value := range []string{"abc", "1.5", "0", "101", "-3", "%FF"} {
		t.Run(value, func(t *testing.T) {
			h := newHarness(t, nil)
			rec := h.do(http.MethodGet, "/items?limit="+value, "", "")
			p := h.expectProblem(rec, Invalid, "query", "limit")
			if p.Reason == "" {
				t.Error("problem has no reason")
			}
			if value == "%FF" && !strings.Contains(p.Reason, "UTF-8") {
				t.Errorf("Reason = %q, want it to say the value is not UTF-8", p.Reason)
			}
		})
	}
}

func TestQueryParamBounds(t *testing.T) {
	for _, value := range []string{"1", "100"} {
		h := newHarness(t, nil)
		rec := h.do(http.MethodGet, "/items?limit="+value, "", "")
		if rec.Code != http.StatusOK || len(h.handled) != 1 {
			t.Errorf("limit=%s: status %d, handled %d, rendered %v; want 200 and handled", value, rec.Code, len(h.handled), h.rendered)
		}
	}
}

func TestPostBodyProblems(t *testing.T) {
	cases := []struct {
		name        string
		contentType string
		body        string
		kind        Kind
		in, field   string
		pointer     string // checked when set
		reasonHas   string // checked when set
	}{
		{"missing body", "application/json", "", BodyInvalid, "body", "", "", "required"},
		{"not JSON", "application/json", `{"name":`, BodyInvalid, "body", "", "", "not valid JSON"},
		{"plain text", "application/json", `hello`, BodyInvalid, "body", "", "", "not valid JSON"},
		{"array", "application/json", `[{"name":"x"}]`, BodyInvalid, "body", "", "/", "JSON object"},
		{"string", "application/json", `"x"`, BodyInvalid, "body", "", "/", "JSON object"},
		{"null", "application/json", `null`, BodyInvalid, "body", "", "/", ""},
		{"missing property", "application/json", `{}`, Missing, "body", "name", "/name", ""},
		{"empty property", "application/json", `{"name":""}`, Missing, "body", "name", "/name", ""},
		{"too long", "application/json", `{"name":"12345678901"}`, Invalid, "body", "name", "/name", ""},
		{"wrong type", "application/json", `{"name":5}`, Invalid, "body", "name", "/name", ""},
		{"nested", "application/json", `{"name":"x","tags":["a",2]}`, Invalid, "body", "tags", "/tags/1", ""},
		{"text/plain", "text/plain", `{"name":"x"}`, ContentType, "header", "Content-Type", "", ""},
		{"no content type", "", `{"name":"x"}`, ContentType, "header", "Content-Type", "", ""},
		{"not UTF-8", "application/json", "{\"name\":\"\xff\xfe\"}", BodyInvalid, "body", "", "", "UTF-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			rec := h.do(http.MethodPost, "/items", c.contentType, c.body)
			p := h.expectProblem(rec, c.kind, c.in, c.field)
			if c.pointer != "" && p.Pointer != c.pointer {
				t.Errorf("Pointer = %q, want %q", p.Pointer, c.pointer)
			}
			if !strings.Contains(p.Reason, c.reasonHas) {
				t.Errorf("Reason = %q, want it to mention %q", p.Reason, c.reasonHas)
			}
		})
	}
}

func TestPostBodyTooLarge(t *testing.T) {
	exact := `{"name":"abcdefgh"}`
	limit := func(_ *harness, cfg *Config) { cfg.MaxBodyBytes = int64(len(exact)) }

	h := newHarness(t, limit)
	rec := h.do(http.MethodPost, "/items", "application/json", exact)
	if rec.Code != http.StatusCreated {
		t.Fatalf("body of exactly MaxBodyBytes: status %d, want 201 (rendered %v)", rec.Code, h.rendered)
	}

	h = newHarness(t, limit)
	rec = h.do(http.MethodPost, "/items", "application/json", `{"name":"abcdefghi"}`)
	p := h.expectProblem(rec, BodyTooLarge, "body", "")
	if !strings.Contains(p.Reason, "19") {
		t.Errorf("reason %q does not give the limit", p.Reason)
	}
}

func TestHeadersTooLarge(t *testing.T) {
	small := func(_ *harness, cfg *Config) { cfg.MaxHeaderBytes = 256 }

	h := newHarness(t, small)
	rec := h.do(http.MethodGet, "/items?limit=1", "", "", "X-Pad", strings.Repeat("a", 100))
	if rec.Code != http.StatusOK {
		t.Fatalf("headers under the limit: status %d, want 200 (rendered %v)", rec.Code, h.rendered)
	}

	h = newHarness(t, small)
	rec = h.do(http.MethodGet, "/items?limit=1", "", "", "X-Pad", strings.Repeat("a", 300))
	h.expectProblem(rec, HeadersTooLarge, "header", "")
}

func TestUnknownPath(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do(http.MethodGet, "/nothing/here", "", "")
	h.expectProblem(rec, NotFound, "", "")
	if ex := h.handled; len(ex) != 0 {
		t.Errorf("handler ran")
	}
}

func TestWrongMethod(t *testing.T) {
	h := newHarness(t, nil)
	rec := h.do(http.MethodDelete, "/items", "", "")
	h.expectProblem(rec, MethodNotAllowed, "", "")
}

// Answers to requests that match no operation follow Config.ErrorSchema: a
// rendering that violates it becomes an internal error.
func TestNoRouteAnswersCheckedAgainstErrorSchema(t *testing.T) {
	for _, c := range []struct {
		kind   Kind
		method string
		target string
	}{
		{NotFound, http.MethodGet, "/nothing"},
		{MethodNotAllowed, http.MethodPut, "/items"},
	} {
		t.Run(c.kind.String(), func(t *testing.T) {
			h := newHarness(t, func(h *harness, _ *Config) { h.badRender = c.kind })
			rec := h.do(c.method, c.target, "", "")
			if len(h.rendered) != 2 {
				t.Fatalf("Render called %d times (%v), want twice: the failure, then the internal error", len(h.rendered), h.rendered)
			}
			var first *Problem
			if !errors.As(h.rendered[0], &first) || first.Kind != c.kind {
				t.Errorf("first rendering = %v, want %v", h.rendered[0], c.kind)
			}
			p := h.lastProblem()
			if p.Kind != Internal || !strings.Contains(p.Reason, "violates the spec") {
				t.Errorf("second rendering = %v, want an internal violation", p)
			}
			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500 (body %s)", rec.Code, rec.Body)
			}
		})
	}
	// Without ErrorSchema nothing is checked.
	h := newHarness(t, func(h *harness, cfg *Config) { h.badRender = NotFound; cfg.ErrorSchema = "" })
	rec := h.do(http.MethodGet, "/nothing", "", "")
	if rec.Code != http.StatusNotFound || len(h.rendered) != 1 {
		t.Errorf("without ErrorSchema: status %d, %d renderings; want 404, 1", rec.Code, len(h.rendered))
	}
}

// countSchemeCalls wraps the engine's adapter to count how many times
// kin-openapi asks for a scheme, so the tests show it asks more than once.
func countSchemeCalls(h *harness) *int {
	n := new(int)
	inner := h.eng.reqOpts.AuthenticationFunc
	h.eng.reqOpts.AuthenticationFunc = func(ctx context.Context, ai *openapi3filter.AuthenticationInput) error {
		*n++
		return inner(ctx, ai)
	}
	return n
}

func TestAuthenticateCalledOnceWhenSchemesPass(t *testing.T) {
	h := newHarness(t, nil)
	schemeCalls := countSchemeCalls(h)
	rec := h.do(http.MethodGet, "/items/7", "", "", "X-Api-Key", "secret")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (rendered %v)", rec.Code, h.rendered)
	}
	// getItem requires apiKey AND session: kin-openapi asks twice.
	if *schemeCalls < 2 {
		t.Fatalf("kin-openapi asked for %d schemes, want 2: the test does not exercise several schemes", *schemeCalls)
	}
	if h.authCalls != 1 {
		t.Errorf("Authenticate called %d times, want once", h.authCalls)
	}
	if len(h.handled) != 1 || h.handled[0].Principal != "alice" {
		t.Errorf("handler did not see the principal set by Authenticate: %+v", h.handled)
	}
}

func TestAuthenticateCalledOnceWhenSchemesFail(t *testing.T) {
	h := newHarness(t, nil)
	schemeCalls := countSchemeCalls(h)
	rec := h.do(http.MethodGet, "/items/7", "", "", "X-Api-Key", "wrong")
	// Both alternatives fail: kin-openapi asks for apiKey, then token.
	if *schemeCalls < 2 {
		t.Fatalf("kin-openapi asked for %d schemes, want 2: the test does not exercise several schemes", *schemeCalls)
	}
	if h.authCalls != 1 {
		t.Errorf("Authenticate called %d times, want once", h.authCalls)
	}
	if len(h.handled) != 0 {
		t.Error("handler ran for an unauthenticated request")
	}
	if len(h.rendered) != 1 {
		t.Fatalf("Render called %d times, want once", len(h.rendered))
	}
	var ae *authError
	if !errors.As(h.rendered[0], &ae) || ae.reason != "bad key" {
		t.Errorf("Render got %T %v, want the *authError of Authenticate", h.rendered[0], h.rendered[0])
	}
	if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "auth:bad key") {
		t.Errorf("answer = %d %s, want 401 auth:bad key", rec.Code, rec.Body)
	}
}

func TestAuthenticateErrorPassedUnchanged(t *testing.T) {
	sentinel := &authError{reason: "expired"}
	h := newHarness(t, func(h *harness, cfg *Config) {
		cfg.Authenticate = func(*Exchange) error { h.authCalls++; return sentinel }
	})
	h.do(http.MethodGet, "/items/7", "", "")
	if len(h.rendered) != 1 || h.rendered[0] != error(sentinel) {
		t.Errorf("Render got %v, want exactly the error Authenticate returned", h.rendered)
	}
}

func TestMissingAuthenticateIsInternal(t *testing.T) {
	h := newHarness(t, func(h *harness, cfg *Config) { cfg.Authenticate = nil })
	rec := h.do(http.MethodGet, "/items/7", "", "", "X-Api-Key", "secret")
	p := h.lastProblem()
	if p.Kind != Internal || len(h.handled) != 0 || rec.Code != http.StatusInternalServerError {
		t.Errorf("without Authenticate: problem %v, handled %d, status %d; want Internal, 0, 500", p, len(h.handled), rec.Code)
	}
}

func TestAuthenticateNotCalledWithoutSecurity(t *testing.T) {
	h := newHarness(t, nil)
	h.do(http.MethodGet, "/items?limit=1", "", "")
	if h.authCalls != 0 {
		t.Errorf("Authenticate called %d times for an operation without security", h.authCalls)
	}
}

func TestAuthenticateCountedPerRequest(t *testing.T) {
	h := newHarness(t, nil)
	for i := 0; i < 3; i++ {
		h.do(http.MethodGet, "/items/7", "", "", "X-Api-Key", "secret")
	}
	if h.authCalls != 3 {
		t.Errorf("Authenticate called %d times for 3 requests, want 3", h.authCalls)
	}
}

func TestHandlerErrorIsRendered(t *testing.T) {
	h := newHarness(t, func(h *harness, cfg *Config) {
		cfg.Handlers["listItems"] = func(*Exchange) (Reply, error) {
			return Reply{}, &Problem{Kind: Invalid, In: "query", Field: "limit", Reason: "too many for you"}
		}
	})
	rec := h.do(http.MethodGet, "/items?limit=5", "", "")
	p := h.lastProblem()
	if p.Kind != Invalid || p.Reason != "too many for you" {
		t.Errorf("rendered %v, want the handler's problem", p)
	}
	if rec.Code != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", rec.Code)
	}
}

func TestAnswerViolatingSchemaBecomesInternal(t *testing.T) {
	bad := func(h *harness, cfg *Config) {
		cfg.Handlers["listItems"] = func(*Exchange) (Reply, error) {
			return JSON(http.StatusOK, map[string]any{"items": "not an array"})
		}
	}
	h := newHarness(t, bad)
	rec := h.do(http.MethodGet, "/items?limit=5", "", "")
	if len(h.rendered) != 1 {
		t.Fatalf("Render called %d times, want once", len(h.rendered))
	}
	p := h.lastProblem()
	if p.Kind != Internal {
		t.Errorf("Kind = %v, want Internal", p.Kind)
	}
	if !strings.Contains(p.Reason, "violates the spec") || !strings.Contains(p.Reason, "/items") {
		t.Errorf("Reason %q does not describe the violation at /items", p.Reason)
	}
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "not an array") {
		t.Errorf("answer = %d %s, want the internal error rendering", rec.Code, rec.Body)
	}
}

func TestUndocumentedStatusBecomesInternal(t *testing.T) {
	h := newHarness(t, func(h *harness, cfg *Config) {
		cfg.Handlers["listItems"] = func(*Exchange) (Reply, error) {
			return JSON(http.StatusTeapot, map[string]any{"error": "teapot"})
		}
	})
	rec := h.do(http.MethodGet, "/items?limit=5", "", "")
	p := h.lastProblem()
	// The reason comes from kin-openapi: "status is not supported".
	if p.Kind != Internal || !strings.Contains(p.Reason, "violates the spec") || !strings.Contains(p.Reason, "status") {
		t.Errorf("rendered %v, want an internal violation about the status", p)
	}
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", rec.Code)
	}
}

func TestSkipResponseValidationPassesBadAnswers(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		body   string
	}{
		{"schema violation", http.StatusOK, `{"items":"not an array"}`},
		{"undocumented status", http.StatusTeapot, `{"error":"teapot"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, func(h *harness, cfg *Config) {
				cfg.SkipResponseValidation = true
				cfg.Handlers["listItems"] = func(*Exchange) (Reply, error) {
					return Reply{Status: c.status, Header: http.Header{"Content-Type": {"application/json"}, "X-Extra": {"1"}}, Body: []byte(c.body)}, nil
				}
			})
			rec := h.do(http.MethodGet, "/items?limit=5", "", "")
			if len(h.rendered) != 0 {
				t.Errorf("Render called: %v", h.rendered)
			}
			if rec.Code != c.status || rec.Body.String() != c.body || rec.Header().Get("X-Extra") != "1" {
				t.Errorf("answer = %d %s %v, want %d %s unchanged", rec.Code, rec.Body, rec.Header(), c.status, c.body)
			}
		})
	}
}

func TestFaultsAnswerNextValidRequests(t *testing.T) {
	faults := &Faults{}
	faults.Add(FaultRule{System: "toy", OperationID: "listItems", Status: http.StatusServiceUnavailable, Count: 2})
	h := newHarness(t, func(h *harness, cfg *Config) { cfg.Faults = faults })

	for i := 1; i <= 2; i++ {
		h.rendered, h.handled = nil, nil
		rec := h.do(http.MethodGet, "/items?limit=5", "", "")
		p := h.expectProblem(rec, Fault, "", "")
		if p.Status != http.StatusServiceUnavailable {
			t.Errorf("request %d: fault Status = %d, want 503", i, p.Status)
		}
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("request %d: status = %d, want 503", i, rec.Code)
		}
		if i == 1 {
			// An invalid request in between does not use up a fault.
			h.rendered = nil
			rec := h.do(http.MethodGet, "/items", "", "")
			h.expectProblem(rec, Missing, "query", "limit")
			// Nor does a request to another operation.
			h.rendered = nil
			rec = h.do(http.MethodPost, "/items", "application/json", `{"name":"w"}`)
			if rec.Code != http.StatusCreated {
				t.Errorf("other operation: status %d, want 201", rec.Code)
			}
			if got := faults.Pending(); len(got) != 1 || got[0].Count != 1 {
				t.Errorf("pending after one fault = %+v, want one rule with Count 1", got)
			}
		}
	}

	h.rendered, h.handled = nil, nil
	rec := h.do(http.MethodGet, "/items?limit=5", "", "")
	if rec.Code != http.StatusOK || len(h.handled) != 1 || len(h.rendered) != 0 {
		t.Errorf("third request: status %d, handled %d, rendered %v; want 200 from the handler", rec.Code, len(h.handled), h.rendered)
	}
	if got := faults.Pending(); len(got) != 0 {
		t.Errorf("pending after use = %+v, want none", got)
	}
}

func TestFaultsForOtherSystemIgnored(t *testing.T) {
	faults := &Faults{}
	faults.Add(FaultRule{System: "other", OperationID: "listItems", Status: http.StatusServiceUnavailable, Count: 1})
	h := newHarness(t, func(h *harness, cfg *Config) { cfg.Faults = faults })
	rec := h.do(http.MethodGet, "/items?limit=5", "", "")
	if rec.Code != http.StatusOK {
		t.Errorf("status = %d, want 200", rec.Code)
	}
	if len(faults.Pending()) != 1 {
		t.Errorf("fault of another system was used")
	}
}

func TestFaultsUnit(t *testing.T) {
	var none *Faults
	if _, ok := none.Take("toy", "listItems"); ok {
		t.Error("nil Faults took a fault")
	}
	f := &Faults{}
	f.Add(FaultRule{System: "s", OperationID: "a", Status: 500, Count: 1})
	f.Add(FaultRule{System: "s", OperationID: "b", Status: 502, Count: 2})
	if st, ok := f.Take("s", "b"); !ok || st != 502 {
		t.Errorf("Take(b) = %d %v, want 502 true", st, ok)
	}
	if st, ok := f.Take("s", "a"); !ok || st != 500 {
		t.Errorf("Take(a) = %d %v, want 500 true", st, ok)
	}
	if _, ok := f.Take("s", "a"); ok {
		t.Error("Take(a) succeeded after its count was used up")
	}
	if p := f.Pending(); len(p) != 1 || p[0].OperationID != "b" || p[0].Count != 1 {
		t.Errorf("Pending = %+v, want b with Count 1", p)
	}
	f.Clear()
	if p := f.Pending(); len(p) != 0 {
		t.Errorf("Pending after Clear = %+v", p)
	}
}

func TestRewriteAppliedBeforeRouting(t *testing.T) {
	strip := func(r *http.Request) error { r.URL.Path = strings.TrimPrefix(r.URL.Path, "/v1"); return nil }

	h := newHarness(t, func(h *harness, cfg *Config) { cfg.Rewrite = strip })
	rec := h.do(http.MethodGet, "/v1/items?limit=5", "", "")
	if rec.Code != http.StatusOK || len(h.handled) != 1 || h.handled[0].OperationID != "listItems" {
		t.Errorf("with Rewrite: status %d, handled %d, rendered %v; want listItems", rec.Code, len(h.handled), h.rendered)
	}

	h = newHarness(t, nil)
	rec = h.do(http.MethodGet, "/v1/items?limit=5", "", "")
	h.expectProblem(rec, NotFound, "", "")
}

func TestJSONHelper(t *testing.T) {
	r, err := JSON(http.StatusOK, map[string]int{"a": 1})
	if err != nil || r.Status != 200 || string(r.Body) != `{"a":1}` || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("JSON = %+v, %v", r, err)
	}
	_, err = JSON(http.StatusOK, make(chan int))
	var p *Problem
	if !errors.As(err, &p) || p.Kind != Internal {
		t.Errorf("JSON of a channel: err %v, want an Internal problem", err)
	}
}

func TestProblemText(t *testing.T) {
	cases := []struct {
		p        Problem
		err, say string
	}{
		{Problem{Kind: Missing, In: "query", Field: "rqtp", Reason: "required"},
			"missing: query rqtp: required", "query parameter rqtp is missing"},
		{Problem{Kind: Invalid, In: "body", Field: "a", Pointer: "/a/b", Reason: "too long"},
			"invalid: body a: too long", "body field /a/b: too long"},
		{Problem{Kind: Invalid, In: "header", Field: "X-Key", Reason: "bad"},
			"invalid: header X-Key: bad", "header X-Key: bad"},
		{Problem{Kind: NotFound, Reason: "no operation at /x"},
			"not found: no operation at /x", "no operation at /x"},
		{Problem{Kind: BodyTooLarge, In: "body", Reason: "too big"},
			"body too large: body: too big", "too big"},
	}
	for _, c := range cases {
		if got := c.p.Error(); got != c.err {
			t.Errorf("Error() = %q, want %q", got, c.err)
		}
		if got := c.p.Describe(); got != c.say {
			t.Errorf("Describe() = %q, want %q", got, c.say)
		}
	}
}

// A body with data after the JSON value is refused. kin-openapi decodes the
// body with a json.Decoder, which stops after the first value: without the
// engine's own check the handler would get a body that is not JSON.
func TestPostBodyWithTrailingDataIsInvalid(t *testing.T) {
	for _, body := range []string{`{"name":"x"} garbage`, `{"name":"x"}{"name":"y"}`} {
		h := newHarness(t, nil)
		rec := h.do(http.MethodPost, "/items", "application/json", body)
		h.expectProblem(rec, BodyInvalid, "body", "")
	}
}

// Path parameters reach the handler decoded. kin-openapi's gorillamux router
// matches the escaped path, so its variables are still percent-encoded: the
// engine decodes them, so that /items/a%20b gives id "a b", not "a%20b".
func TestPathParamsAreDecoded(t *testing.T) {
	for target, want := range map[string]string{"/items/a%20b": "a b", "/items/caf%C3%A9": "café"} {
		h := newHarness(t, nil)
		h.do(http.MethodGet, target, "", "", "X-Api-Key", "secret")
		if len(h.handled) != 1 {
			t.Fatalf("%s: handler ran %d times (rendered %v)", target, len(h.handled), h.rendered)
		}
		if got := h.handled[0].PathParams["id"]; got != want {
			t.Errorf("%s: PathParams[id] = %q, want %q", target, got, want)
		}
	}
}

// handledOnce checks that a request got 200 from exactly one run of the
// handler of operationID, and returns its exchange.
func (h *harness) handledOnce(t *testing.T, rec *httptest.ResponseRecorder, operationID string) *Exchange {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s, rendered %v)", rec.Code, rec.Body, h.rendered)
	}
	if len(h.handled) != 1 {
		t.Fatalf("handler ran %d times, want once", len(h.handled))
	}
	ex := h.handled[0]
	if ex.OperationID != operationID {
		t.Errorf("OperationID = %q, want %s", ex.OperationID, operationID)
	}
	return ex
}
