package monnet

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"herald/simulator/entropy"
	wire "herald/specs/wire/monnet"
)

// frozenSim is a simulator on a frozen clock whose notifier is never run.
func frozenSim(t testing.TB) (*Sim, http.Handler) {
	t.Helper()
	keys := testKeys(t)
	sched := newFakeScheduler(t0())
	n, err := NewNotifier(NotifierConfig{Scheduler: sched, Clock: sched.clock, Key: keys.notifier, Certificate: keys.certPEM, Forger: keys.forger})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := New(Config{Clock: sched.clock, Random: entropy.New(1), Notifier: n})
	if err != nil {
		t.Fatal(err)
	}
	return sim, sim.Handler()
}

// malformed is a request to the payout API, signed for merchant 22 over
// what it sends unless unsigned, and then altered.
type malformed struct {
	name          string
	method, path  string // path relative to the API root, without the query
	query         string // extra query pairs, after timestamp and signature
	ctype, body   string
	unsigned      bool
	header, value string // an extra header (added, not set)
}

// send builds and serves the request; the signature covers the path and
// body as sent.
func (m malformed) send(h http.Handler) (*httptest.ResponseRecorder, bool) {
	ts := strconv.FormatInt(t0().UnixMilli(), 10)
	q := "timestamp=" + ts + "&signature=" + wire.PayoutSignature(secret22, m.method, m.path, ts, []byte(m.body))
	if m.unsigned {
		q = ""
	}
	if m.query != "" {
		q += "&" + m.query
	}
	req, err := http.NewRequest(m.method, m.path+"?"+q, strings.NewReader(m.body))
	if err != nil || !validToken(m.method) {
		return nil, false
	}
	req.RequestURI = req.URL.RequestURI()
	req.Header.Set(wire.HeaderAPIKey, key22)
	if m.ctype != "" {
		req.Header.Set("Content-Type", m.ctype)
	}
	if m.header != "" {
		if !validToken(m.header) {
			return nil, false
		}
		req.Header.Add(m.header, m.value)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, true
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c <= ' ' || c >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

// vendorError checks that an answer is Monnet's error shape, with one error
// of a documented code, and returns that code and message.
func vendorError(t testing.TB, sim *Sim, rec *httptest.ResponseRecorder) (string, string) {
	t.Helper()
	var v struct {
		Errors []struct{ Code, Message string }
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil || len(v.Errors) != 1 || !sim.errors.knownCode(v.Errors[0].Code) || v.Errors[0].Message == "" {
		t.Fatalf("status %d, not Monnet's error shape with a documented code: %s", rec.Code, rec.Body)
	}
	return v.Errors[0].Code, v.Errors[0].Message
}

func validBody() string { return string(payoutBody("M-1", "")) }

// malformedRequests() are refused in Monnet's format, never with a 5xx, each
// naming what is wrong.
type malformedCase struct {
	malformed
	status  int    // 0: any 4xx
	code    string // "": any documented code
	mention string // what the message must mention
}

func malformedRequests() []malformedCase {
	return []malformedCase{
		{malformed{name: "signature twice", method: "POST", path: "/api/v1/22/payouts", query: "signature=00", ctype: "application/json", body: validBody()}, 400, "1035", "[signature]"},
		{malformed{name: "timestamp twice", method: "POST", path: "/api/v1/22/payouts", query: "timestamp=1", ctype: "application/json", body: validBody()}, 400, "1035", "[timestamp]"},
		{malformed{name: "API key twice", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json", body: validBody(), header: wire.HeaderAPIKey, value: "other"}, 400, "1035", "[" + wire.HeaderAPIKey + "]"},
		{malformed{name: "status read with signature twice", method: "GET", path: "/api/v1/22/payouts/100", query: "signature=ab"}, 400, "1035", "[signature]"},
		{malformed{name: "not JSON", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json", body: `{"country":`}, 400, "1035", "[body]"},
		{malformed{name: "invalid UTF-8", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json", body: "{\"country\":\"P\xffE\"}"}, 400, "1035", "[body]"},
		{malformed{name: "an array", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json", body: `[]`}, 400, "1035", "body"},
		{malformed{name: "null", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json", body: `null`}, 400, "1035", "body"},
		{malformed{name: "empty body", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json"}, 400, "1035", "[body]"},
		{malformed{name: "trailing data", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json", body: validBody() + "{}"}, 400, "1035", "[body]"},
		{malformed{name: "huge amount", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json", body: strings.Replace(validBody(), `"amount":100000`, `"amount":1e400`, 1)}, 400, "", "amount"},
		{malformed{name: "text/plain", method: "POST", path: "/api/v1/22/payouts", ctype: "text/plain", body: validBody()}, 415, "1035", "Content-Type"},
		{malformed{name: "no content type", method: "POST", path: "/api/v1/22/payouts", body: validBody()}, 415, "1035", "Content-Type"},
		{malformed{name: "unparseable media type", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json; charset=utf-8;;", body: validBody()}, 0, "1035", ""},
		{malformed{name: "gzip", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json", body: validBody(), header: "Content-Encoding", value: "gzip"}, 0, "1035", ""},
		{malformed{name: "body too large", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json", body: `{"description":"` + strings.Repeat("x", 2<<20) + `"}`}, 413, "1035", "[body]"},
		{malformed{name: "bad percent-encoding", method: "GET", path: "/api/v1/22/payouts/100", query: "timestamp=%zz"}, 0, "", ""},
		{malformed{name: "id not a number", method: "GET", path: "/api/v1/22/payouts/abc"}, 404, "1035", "[id]"},
		{malformed{name: "DELETE", method: "DELETE", path: "/api/v1/22/payouts/100"}, 405, "1035", "[method]"},
		{malformed{name: "unknown path", method: "GET", path: "/api/v2/22/payouts"}, 404, "1035", "[path]"},
		{malformed{name: "unsigned", method: "POST", path: "/api/v1/22/payouts", ctype: "application/json", body: validBody(), unsigned: true}, 401, "1001", "timestamp"},
		{malformed{name: "timestamp not a number", method: "POST", path: "/api/v1/22/payouts", query: "", ctype: "application/json", body: validBody(), unsigned: true, header: "X-Unused", value: "1"}, 401, "1001", ""},
	}
}

func TestMalformedPayoutRequests(t *testing.T) {
	sim, h := frozenSim(t)
	for _, c := range malformedRequests() {
		rec, ok := c.send(h)
		if !ok {
			t.Fatalf("%s: not a request", c.name)
		}
		if rec.Code >= 500 || rec.Code < 400 || (c.status != 0 && rec.Code != c.status) {
			t.Errorf("%s: status %d, want %d: %s", c.name, rec.Code, c.status, rec.Body)
			continue
		}
		code, msg := vendorError(t, sim, rec)
		if (c.code != "" && code != c.code) || !strings.Contains(msg, c.mention) {
			t.Errorf("%s: %s %q, want %s naming %q", c.name, code, msg, c.code, c.mention)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", c.name, ct)
		}
	}
}

// FuzzPayoutAPI sends arbitrary methods, paths, queries, media types,
// bodies and headers, signed over what is sent (so that validation is
// reached) or not. Whatever comes in, the answer is never a 5xx, and every
// failure is Monnet's error shape with a documented code. The response check
// would turn an answer that violates the spec into a 500, so this also
// fuzzes the simulator against its spec.
//
//	go test -run '^$' -fuzz FuzzPayoutAPI -fuzztime 60s ./simulator/monnet/
func FuzzPayoutAPI(f *testing.F) {
	sim, h := frozenSim(f)
	for _, c := range malformedRequests() {
		if len(c.body) < 4096 {
			f.Add(c.method, c.path, c.query, c.ctype, c.body, c.unsigned, c.header, c.value)
		}
	}
	f.Add("POST", "/api/v1/22/payouts", "", "application/json", validBody(), false, "", "")
	f.Add("GET", "/api/v1/22/payouts/100", "", "", "", false, "", "")
	f.Add("HEAD", "/api/v1/22/payouts/100", "", "", "", false, "", "")
	f.Add("POST", "/api/v1/234/payouts", "", "application/json", validBody(), false, "", "")
	f.Fuzz(func(t *testing.T, method, path, query, ctype, body string, unsigned bool, header, value string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") {
			return
		}
		rec, ok := malformed{name: "fuzz", method: method, path: path, query: query, ctype: ctype, body: body,
			unsigned: unsigned, header: header, value: value}.send(h)
		if !ok {
			return
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s (%q, body %q): status %d: %s", method, path, query, ctype, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && method != http.MethodHead {
			vendorError(t, sim, rec)
		}
	})
}
