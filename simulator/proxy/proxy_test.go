package proxy_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"herald/simulator"
	"herald/simulator/heraldtest"
	"herald/simulator/journal"
	"herald/simulator/proxy"
	wire "herald/specs/wire/mopay"
)

// front starts a proxy in front of upstreams, and returns its base URL and
// journal.
func front(t testing.TB, enforce bool, upstreams map[string]proxy.Upstream) (string, *journal.Journal) {
	base, j, _ := frontProxy(t, enforce, upstreams)
	return base, j
}

func frontProxy(t testing.TB, enforce bool, upstreams map[string]proxy.Upstream) (string, *journal.Journal, *proxy.Proxy) {
	t.Helper()
	j := journal.New(journal.Options{Size: 100, Checked: true})
	p, err := proxy.New(proxy.Options{Upstreams: upstreams, Definitions: simulator.Registered(), Enforce: enforce, Journal: j, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL, j, p
}

func send(t *testing.T, method, url, body string, h http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, vs := range h {
		req.Header[k] = vs
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const register = `{"fsnm":"Ion","lsnm":"Popescu","emal":"ion@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d1","devn":"n"}`

// In front of a Herald addressed as a real deployment, a signed exchange
// passes through unchanged and is journalled as clean.
func TestForwardsAndJournals(t *testing.T) {
	h := heraldtest.New(t)
	base, j := front(t, false, map[string]proxy.Upstream{"mopay": {BaseURL: h.URLs["mopay"]}})
	status, body := send(t, "POST", base+"/mopay/user_profile_login", `{"emal":"amara.okafor@example.com","pswd":"Notices2023","devt":"Web","devs":"d1","devn":"n"}`, nil)
	var created struct {
		DATA struct{ PbcKey, Secret string }
	}
	if status != 200 || json.Unmarshal([]byte(body), &created) != nil || created.DATA.Secret == "" {
		t.Fatalf("login through the proxy: %d %s", status, body)
	}
	ts := fmt.Sprint(time.Now().Unix())
	hd := http.Header{}
	hd.Set(wire.HeaderKey, created.DATA.PbcKey)
	hd.Set(wire.HeaderTimestamp, ts)
	hd.Set(wire.HeaderSignature, wire.Signature(created.DATA.Secret, ts))
	if status, body := send(t, "GET", base+"/mopay/?req=user_notice_fetch", "", hd); status != 200 || !strings.Contains(body, `"DATA"`) {
		t.Fatalf("signed fetch through the proxy: %d %s", status, body)
	}
	p := j.List("", journal.Filter{}, 10)
	if len(p.Entries) != 2 {
		t.Fatalf("journal: %d entries", len(p.Entries))
	}
	fetch := *p.Entries[0]
	if fetch.Operation != "user_notice_fetch" || fetch.Verdict.Request != journal.Accepted || fetch.Verdict.Response != journal.Conforms || len(fetch.Violations) != 0 {
		t.Errorf("fetch entry: %+v", fetch)
	}
	if fetch.Request.Path != "/mopay/" || fetch.Request.Query != "req=user_notice_fetch" {
		t.Errorf("the journal shows %s?%s, not the request as sent", fetch.Request.Path, fetch.Request.Query)
	}
	// The proxy learnt the key pair the login through it issued, and
	// checks the signature with it.
	if fetch.Auth.Outcome != journal.Accepted || !strings.Contains(fetch.Auth.Reason, "and matches") {
		t.Errorf("auth: %+v", fetch.Auth)
	}
	hd.Set(wire.HeaderSignature, wire.Signature("not-the-secret", ts))
	send(t, "GET", base+"/mopay/user_notice_fetch", "", hd) // forwarded all the same: the deployment decides
	if e := j.List("", journal.Filter{}, 1).Entries[0]; e.Auth.Outcome != journal.Refused || !strings.Contains(e.Auth.Reason, "does not match") ||
		e.Response.Status != 401 || strings.Contains(fmt.Sprint(e), created.DATA.Secret) {
		t.Errorf("a wrong signature: %+v", e)
	}
	hd.Set(wire.HeaderKey, "a-key-never-seen")
	send(t, "GET", base+"/mopay/user_notice_fetch", "", hd)
	if e := j.List("", journal.Filter{}, 1).Entries[0]; e.Auth.Outcome != journal.NoAuth || !strings.Contains(e.Auth.Reason, "does not know this key") {
		t.Errorf("an unknown key: %+v", e.Auth)
	}
	// The Herald behind saw the same request line.
	var seen struct {
		Entries []struct{ Request struct{ Path, Query string } }
	}
	h.Control(t, "GET", "journal?limit=10", nil, &seen)
	found := false
	for _, e := range seen.Entries {
		found = found || e.Request.Path == "/mopay/" && e.Request.Query == "req=user_notice_fetch"
	}
	if !found {
		t.Errorf("the upstream never saw /mopay/?req=user_notice_fetch: %+v", seen.Entries)
	}
}

// A request that breaks the spec is forwarded and noted by default, and
// refused in the system's own format with Enforce, never reaching the
// upstream.
func TestReportOrEnforce(t *testing.T) {
	bad := strings.Replace(register, `"ion@example.com"`, `12345`, 1)
	for _, enforce := range []bool{false, true} {
		h := heraldtest.New(t)
		base, j := front(t, enforce, map[string]proxy.Upstream{"mopay": {BaseURL: h.URLs["mopay"]}})
		status, body := send(t, "POST", base+"/mopay/user_profile_create", bad, nil)
		if status != 400 || !strings.Contains(body, "emal_invalid") {
			t.Errorf("enforce %v: %d %s", enforce, status, body)
		}
		e := j.List("", journal.Filter{}, 1).Entries[0]
		if len(e.Violations) != 1 || e.Violations[0].Pointer != "/emal" || e.Violations[0].Side != "request" {
			t.Errorf("enforce %v: violations %+v", enforce, e.Violations)
		}
		var seen struct{ Matched int }
		h.Control(t, "GET", "journal", nil, &seen)
		if want := map[bool]int{false: 1, true: 0}[enforce]; seen.Matched != want {
			t.Errorf("enforce %v: the upstream saw %d requests, want %d", enforce, seen.Matched, want)
		}
		if enforce && (e.Refusal == nil || e.Refusal.Stage != "spec") {
			t.Errorf("enforce: refusal %+v", e.Refusal)
		}
		if !enforce && (e.Refusal == nil || e.Refusal.Stage != "upstream") {
			t.Errorf("report: refusal %+v", e.Refusal)
		}
	}
}

// driftAnswer is an answer to user_notice_fetch that breaks the spec.
const driftAnswer = `{"REQUEST":{"VERSION":"1.0","ACTION":"user_notice_fetch","STATUS":"OK"},"DATA":[{"marker":7}]}`

// driftingVendor answers every request with driftAnswer.
func driftingVendor() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, driftAnswer)
	})
}

// signed are Mopay's signed headers for a key and secret, now.
func signed(key, secret string) http.Header {
	ts := fmt.Sprint(time.Now().Unix())
	return http.Header{wire.HeaderKey: {key}, wire.HeaderTimestamp: {ts}, wire.HeaderSignature: {wire.Signature(secret, ts)}}
}

// An upstream's answer that breaks the spec is passed on as it came, and
// journalled with the pointer of what it broke.
func TestDriftIsNotedNotFixed(t *testing.T) {
	answer := driftAnswer
	vendor := httptest.NewServer(driftingVendor())
	defer vendor.Close()
	base, j, p := frontProxy(t, false, map[string]proxy.Upstream{"mopay": {BaseURL: vendor.URL + "/"}})
	ts := fmt.Sprint(time.Now().Unix())
	hd := http.Header{wire.HeaderKey: {"k"}, wire.HeaderTimestamp: {ts}, wire.HeaderSignature: {wire.Signature("s", ts)}}
	status, body := send(t, "GET", base+"/mopay/user_notice_fetch", "", hd)
	if status != 200 || body != answer {
		t.Fatalf("the answer was changed: %d %s", status, body)
	}
	e := j.List("", journal.Filter{}, 1).Entries[0]
	if e.Verdict.Response != journal.Violates || len(e.Violations) == 0 || e.Violations[0].Side != "response" || !strings.HasPrefix(e.Violations[0].Pointer, "/DATA") {
		t.Errorf("entry: verdict %+v violations %+v", e.Verdict, e.Violations)
	}
	send(t, "GET", base+"/mopay/user_notice_fetch", "", hd)
	d := p.Drift()
	if d.Exchanges != 2 || d.Violating != 2 || len(d.Rules) == 0 {
		t.Fatalf("drift: %+v", d)
	}
	if r := d.Rules[0]; r.Count != 2 || r.FirstID != e.ID || r.Operation != "user_notice_fetch" || r.Side != "response" || r.Path != "/mopay/user_notice_fetch" {
		t.Errorf("drift rule: %+v", r)
	}
}

// An upstream that cannot be reached, or does not answer in time, gets the
// client a 502 or a 504 in the system's own format.
func TestUpstreamDown(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer slow.Close()
	defer close(hang)
	for url, want := range map[string]int{gone.URL + "/": 502, slow.URL + "/": 504} {
		base, j := front(t, false, map[string]proxy.Upstream{"mopay": {BaseURL: url}})
		status, body := send(t, "POST", base+"/mopay/user_profile_create", register, nil)
		if status != want || !strings.Contains(body, `"STATUS":"FAILED"`) || !strings.Contains(body, fmt.Sprintf(`"CODE":%d`, want)) {
			t.Errorf("%s: %d %s", url, status, body)
		}
		if e := j.List("", journal.Filter{}, 1).Entries[0]; e.Refusal == nil || e.Refusal.Stage != "upstream" {
			t.Errorf("%s: refusal %+v", url, e.Refusal)
		}
	}
}

// Faulty deployments of our own: each fault is named in the drift report,
// with its pointer, and the answer reaches the client as the vendor sent it.
func TestFaultyDeploymentsDrift(t *testing.T) {
	ok := `{"REQUEST":{"VERSION":"1.0","ACTION":"user_notice_fetch","STATUS":"OK"},"DATA":[]}`
	for _, c := range []struct {
		name, ctype, body string
		status            int
		pointer, reason   string
	}{
		{"a field of the wrong type", "application/json", `{"REQUEST":{"VERSION":1,"ACTION":"user_notice_fetch","STATUS":"OK"},"DATA":[]}`, 200, "/REQUEST/VERSION", "string"},
		{"a missing field", "application/json", `{"REQUEST":{"VERSION":"1.0","ACTION":"user_notice_fetch"},"DATA":[]}`, 200, "/REQUEST", "STATUS"},
		{"an undocumented status", "application/json", ok, 418, "/", "status"},
		{"a wrong content type", "text/html", "<html>oops</html>", 200, "/", "Content-Type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.ctype)
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.body)
			}))
			defer vendor.Close()
			base, _, p := frontProxy(t, false, map[string]proxy.Upstream{"mopay": {BaseURL: vendor.URL + "/"}})
			hd := http.Header{}
			ts := fmt.Sprint(time.Now().Unix())
			hd.Set(wire.HeaderKey, "k")
			hd.Set(wire.HeaderTimestamp, ts)
			hd.Set(wire.HeaderSignature, wire.Signature("s", ts))
			status, body := send(t, "GET", base+"/mopay/user_notice_fetch", "", hd)
			if status != c.status || body != c.body {
				t.Fatalf("the answer was changed: %d %s", status, body)
			}
			d := p.Drift()
			var hit bool
			for _, r := range d.Rules {
				hit = hit || r.Side == "response" && r.Operation == "user_notice_fetch" && strings.HasPrefix(r.Pointer, c.pointer) && strings.Contains(strings.ToLower(r.Reason), strings.ToLower(c.reason))
			}
			if !hit {
				t.Errorf("the drift report does not name %s at %s: %+v", c.reason, c.pointer, d.Rules)
			}
		})
	}
}

// The proxy changes no byte: it adds no Accept-Encoding of its own, passes
// a compressed answer through compressed, and leaves a redirect to the
// client.
func TestNoByteChanged(t *testing.T) {
	var gotEncoding string
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotEncoding = r.Header.Get("Accept-Encoding")
		if strings.HasSuffix(r.URL.Path, "user_location_fetch") {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write([]byte{0x1f, 0x8b, 1, 2, 3})
	}))
	defer vendor.Close()
	base, _ := front(t, false, map[string]proxy.Upstream{"mopay": {BaseURL: vendor.URL + "/"}})
	req, _ := http.NewRequest("GET", base+"/mopay/user_notice_fetch", nil)
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if gotEncoding != "" || resp.Header.Get("Content-Encoding") != "gzip" || string(b) != string([]byte{0x1f, 0x8b, 1, 2, 3}) {
		t.Errorf("the vendor got Accept-Encoding %q; the client got %q %v", gotEncoding, resp.Header.Get("Content-Encoding"), b)
	}
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = client.Get(base + "/mopay/user_location_fetch")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/elsewhere" {
		t.Errorf("the redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// A deployment that never answers is in the drift report, not "no drift".
func TestUnansweredIsReported(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	base, _, p := frontProxy(t, false, map[string]proxy.Upstream{"mopay": {BaseURL: gone.URL + "/"}})
	send(t, "POST", base+"/mopay/user_profile_create", register, nil)
	if d := p.Drift(); d.Unanswered != 1 || d.Exchanges != 1 {
		t.Errorf("drift: %+v", d)
	}
}
