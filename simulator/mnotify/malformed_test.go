package mnotify

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// checkProblem fails unless an answer is ProblemDetails with the status,
// allowed by the spec, and naming field: in errors on a 400, in the detail
// otherwise.
func checkProblem(t *testing.T, sim *Sim, what string, status int, header http.Header, body []byte, wantStatus int, field string) {
	t.Helper()
	if status >= 500 {
		t.Errorf("%s: %d, a server error: %s", what, status, body)
		return
	}
	if status != wantStatus {
		t.Errorf("%s: %d, want %d: %s", what, status, wantStatus, body)
		return
	}
	if mt, _, err := mime.ParseMediaType(header.Get("Content-Type")); err != nil || mt != "application/problem+json" {
		t.Errorf("%s: content type %q", what, header.Get("Content-Type"))
		return
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s: not JSON: %s", what, body)
		return
	}
	if err := sim.Checker().Schema("ProblemDetails", v); err != nil {
		t.Errorf("%s: not ProblemDetails: %v", what, err)
	}
	var p problem
	_ = json.Unmarshal(body, &p)
	switch {
	case p.Status != status:
		t.Errorf("%s: status %d in the body, %d on the answer", what, p.Status, status)
	case status == http.StatusBadRequest && len(p.Errors[field]) == 0:
		t.Errorf("%s: errors does not name %q: %s", what, field, body)
	case status != http.StatusBadRequest && !strings.Contains(p.Detail, field):
		t.Errorf("%s: the detail does not name %q: %s", what, field, body)
	}
}

// Malformed bodies, parameters and headers, sent over MNotify's TLS
// listener with a registered certificate, get ProblemDetails naming the
// field at fault, never a server error, and the listener goes on serving.
func TestMalformedNamesTheField(t *testing.T) {
	h := newHarness(t)
	const ok = `"subject":{"ro":"s"},"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"`
	const tid = "9d871bac-f99c-4123-be7b-b391009a59db"
	h.do("sender-a", "POST", "/api/Template", `{"name":"t","description":"d","subject":{"ro":"s"},"body":{"ro":"b"}}`).id(t)
	for _, c := range []struct {
		method, path string
		header       map[string]string
		body         string
		status       int
		field        string
	}{
		// Bodies.
		{"POST", "/api/Notification", nil, `{`, 400, "$"},
		{"POST", "/api/Notification", nil, `[1,2]`, 400, "$"},
		{"POST", "/api/Notification", nil, `null`, 400, "$"},
		{"POST", "/api/Notification", nil, ``, 400, "$"},
		{"POST", "/api/Notification", nil, `{` + ok + `} trailing`, 400, "$"},
		{"POST", "/api/Notification", nil, "{\"subject\":{\"ro\":\"\xff\"},\"body\":{\"ro\":\"b\"},\"recipients\":[],\"priority\":\"Low\"}", 400, "$"},
		{"POST", "/api/Notification", nil, `{"subject":{"ro":1},"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"}`, 400, "Subject.Ro"},
		{"POST", "/api/Notification", nil, `{"subject":{"ro":"s"},"body":{"ro":"b"},"recipients":[{"value":1e999,"type":"IDNP"}],"priority":"Low"}`, 400, "Recipients[0].Value"},
		{"POST", "/api/Notification", nil, `{"subject":{"ro":"s"},"body":{"ro":"b"},"recipients":[{"value":"x@y.md"}],"priority":"Low"}`, 400, "Recipients[0].Type"},
		{"POST", "/api/Notification", nil, `{"subject":{"ro":"s"},"body":{"ro":"b"},"recipients":"x","priority":"Low"}`, 400, "Recipients"},
		{"POST", "/api/Notification", nil, `{"subject":{"ro":"s"},"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}]}`, 400, "Priority"},
		{"POST", "/api/Notification", nil, `{"subject":{"ro":"s"},"body":{"ro":"b"},"recipients":[null],"priority":"Low"}`, 400, "Recipients[0]"},
		{"POST", "/api/Notification", nil, `{"template":{"id":"x","variables":"{"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"}`, 400, "Template.Id"},
		{"POST", "/api/Template", nil, `{"name":5}`, 400, "Name"},
		{"PUT", "/api/Contact/2222222222222/language", nil, `{"language":"fr"}`, 400, "Language"},
		{"POST", "/api/Template/" + tid + "/check", nil, `{"variables":"[1]"}`, 400, "Variables"},
		// Parameters.
		{"GET", "/api/Notification?Page=0", nil, ``, 400, "Page"},
		{"GET", "/api/Notification?page=abc", nil, ``, 400, "Page"},
		{"GET", "/api/Notification?Page=%FF", nil, ``, 400, "Page"},
		{"GET", "/api/Notification?Page=%zz", nil, ``, 400, "Page"},
		{"GET", "/api/Notification?Page=1;2", nil, ``, 400, "Page"},
		{"GET", "/api/Notification?Page=1&PAGE=2", nil, ``, 400, "Page"},
		{"GET", "/api/Notification?ItemsPerPage=99999999999999999999", nil, ``, 400, "ItemsPerPage"},
		{"GET", "/api/Notification?OrderField=createdAt%20sideways", nil, ``, 400, "OrderField"},
		{"GET", "/api/Notification?SearchBy=" + strings.Repeat("a", 65), nil, ``, 400, "SearchBy"},
		{"GET", "/api/Notification/%FF", nil, ``, 400, "id"},
		{"GET", "/api/Notification/12345", nil, ``, 400, "id"},
		{"GET", "/api/Notification/Recipient/abc", nil, ``, 400, "idnp"},
		{"GET", "/api/Contact", nil, ``, 400, "Idnp"},
		{"GET", "/api/Contact?Idnp=", nil, ``, 400, "Idnp"},
		{"GET", "/api/Template/" + tid + "/check?variables=nope", nil, ``, 400, "variables"},
		{"GET", "/api/Template/" + tid + "/check?userId=12", nil, ``, 400, "userId"},
		// Headers.
		{"POST", "/api/Notification", map[string]string{"Content-Type": "text/plain"}, `{` + ok + `}`, 415, "Content-Type"},
		{"POST", "/api/Notification", map[string]string{"Content-Type": "application/json; charset=latin1"}, `{` + ok + `}`, 415, "Content-Type"},
		{"POST", "/api/Notification", map[string]string{"Content-Type": "application/json; charset=latin1;;"}, `{` + ok + `}`, 415, "Content-Type"},
		{"POST", "/api/Notification", map[string]string{"Content-Encoding": "gzip"}, `{` + ok + `}`, 415, "Content-Encoding"},
		{"GET", "/api/Notification", map[string]string{"X-Padding": strings.Repeat("x", 40<<10)}, ``, 431, "headers"},
	} {
		req, err := http.NewRequest(c.method, h.srv.URL+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		resp, err := h.clients["sender-a"].Do(req)
		if err != nil {
			t.Fatalf("%s %s: the connection failed: %v", c.method, c.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		checkProblem(t, h.sim, c.method+" "+c.path+" "+clip(c.body, 60), resp.StatusCode, resp.Header, b, c.status, c.field)
	}
	// A body over the limit, declared up front, is refused before it is read.
	r := httptest.NewRequest("POST", "/api/Notification", strings.NewReader("{}"))
	r.ContentLength = MaxBodyBytes + 1
	r.Header.Set("Content-Type", "application/json")
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leafOf(t, "sender-a").Leaf}}
	rec := httptest.NewRecorder()
	h.sim.Handler().ServeHTTP(rec, r)
	checkProblem(t, h.sim, "a body over the limit", rec.Code, rec.Header(), rec.Body.Bytes(), 413, "request body")

	// Still serving, on the same client.
	h.send("sender-a", `{`+ok+`}`)
	h.do("sender-a", "GET", "/api/Notification", "").ok(t, nil)
}

// FuzzRequest sends arbitrary methods, paths and bodies with a registered
// certificate: never a server error, and every refusal is ProblemDetails
// (naming a field on a 400). The seeds run with go test; go test -fuzz
// FuzzRequest explores further.
func FuzzRequest(f *testing.F) {
	for _, seed := range []struct{ method, target, body string }{
		{"GET", "/api/Notification?Page=1&ItemsPerPage=2&OrderField=createdAt%20desc", ""},
		{"POST", "/api/Notification", `{"subject":{"ro":"s"},"body":{"ro":"b"},"recipients":[{"value":"2222222222222","type":"IDNP"}],"priority":"Low"}`},
		{"POST", "/api/Notification", `{"template":{"id":"9d871bac-f99c-4123-be7b-b391009a59db","variables":"{\"a\":1}"},"recipients":[{"value":"x@y.md","type":"email"}],"priority":"high"}`},
		{"POST", "/api/Notification", `{"subject":{"ro":"s"},"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low","attachments":[{"fileName":"a.pdf","base64":"%%%"}]}`},
		{"POST", "/api/Template", `{"name":"n","description":"d","subject":{"ro":"{{a"},"body":{"ro":"}}{{"},"bodyShort":null}`},
		{"PUT", "/api/Template/9d871bac-f99c-4123-be7b-b391009a59db", `{"name":""}`},
		{"POST", "/api/Template/9d871bac-f99c-4123-be7b-b391009a59db/check", `{"variables":"{\"a\":{}}","userId":"1"}`},
		{"GET", "/api/Template/9d871bac-f99c-4123-be7b-b391009a59db/check?variables=%7B%7D&userId=2222222222222", ""},
		{"POST", "/api/Contact", `{"idnp":"2222222222222","type":"Web push","value":"x","language":"RU"}`},
		{"GET", "/api/Contact?Idnp=2222222222222&OrderField=id%20desc&Page=2147483647&ItemsPerPage=100", ""},
		{"DELETE", "/api/Notification/9D871BAC-F99C-4123-BE7B-B391009A59DB", ""},
		{"GET", "/api/notification/recipient/2222222222222/", ""},
		{"PATCH", "/api/Contact/2222222222222/exists", "{}"},
		{"GET", "/api//Notification", ""},
		{"GET", "/%2e%2e/api/Notification", ""},
	} {
		f.Add(seed.method, seed.target, seed.body)
	}
	sim, _ := newSim(f)
	state := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leafOf(f, "sender-a").Leaf}}
	f.Fuzz(func(t *testing.T, method, target, body string) {
		switch method {
		case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD":
		default:
			t.Skip()
		}
		if !strings.HasPrefix(target, "/") {
			t.Skip()
		}
		r, err := http.NewRequest(method, "https://mnotify.localhost"+target, strings.NewReader(body))
		if err != nil {
			t.Skip() // net/http would refuse it before any handler
		}
		r.RequestURI = target
		r.TLS = state
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		sim.Handler().ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, target, body, rec.Code, rec.Body)
		}
		if rec.Code < 400 || method == "HEAD" {
			return
		}
		var p problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s %s %q: %d, not ProblemDetails: %s", method, target, body, rec.Code, rec.Body)
		}
		if rec.Code == 400 && len(p.Errors) == 0 {
			t.Fatalf("%s %s %q: a 400 naming no field: %s", method, target, body, rec.Body)
		}
	})
}
