package control_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/simulator"
	"herald/simulator/clock"
)

type client struct {
	t   *testing.T
	url string
}

func newClient(t *testing.T, seed uint64) *client {
	t.Helper()
	return newClientOn(t, seed, nil)
}

// newClientOn is newClient with the real clock replaced by source.
func newClientOn(t *testing.T, seed uint64, source clock.Clock) *client {
	t.Helper()
	h, err := simulator.New(simulator.Options{Seed: seed, Clock: source})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	t.Cleanup(srv.Close)
	return &client{t: t, url: srv.URL}
}

// movingSource is a real-time source a test moves by hand.
type movingSource struct {
	mu  sync.Mutex
	now time.Time
}

func (m *movingSource) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

func (m *movingSource) advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = m.now.Add(d)
}

// do sends a request and decodes a JSON answer into a map.
func (c *client) do(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.url+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		var list []any
		if json.Unmarshal(b, &list) != nil {
			c.t.Fatalf("%s %s: answer is not JSON: %s", method, path, b)
		}
		v = map[string]any{"list": list}
	}
	return resp.StatusCode, v
}

func field(v map[string]any) string {
	e, _ := v["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func TestInfoWithTheLargestSeed(t *testing.T) {
	c := newClient(t, 1<<53-1)
	status, v := c.do("GET", "/_herald/v1/info", "")
	if status != 200 || v["seed"] != float64(1<<53-1) || v["name"] != "herald" {
		t.Fatalf("info: %d %v", status, v)
	}
}

func TestClock(t *testing.T) {
	source := &movingSource{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newClientOn(t, 1, source)
	if status, v := c.do("PUT", "/_herald/v1/clock", `{"now":"2030-01-02T03:04:05Z"}`); status != 200 || v["unix"] != float64(1893553445) || v["frozen"] != true {
		t.Fatalf("set: %d %v", status, v)
	}
	if status, v := c.do("POST", "/_herald/v1/clock/advance", `{"by":"90s"}`); status != 200 || v["unix"] != float64(1893553535) {
		t.Fatalf("advance: %d %v", status, v)
	}
	for _, tc := range []struct{ method, path, body, field string }{
		{"PUT", "/_herald/v1/clock", `{"now":"1969-12-31T23:00:00Z"}`, "now"},
		{"PUT", "/_herald/v1/clock", `{"now":"9999-12-31T23:59:59Z"}`, "now"},
		{"PUT", "/_herald/v1/clock", `{"now":"tomorrow"}`, "now"},
		{"PUT", "/_herald/v1/clock", `{"now":"2030-01-01T00:00:00+24:00"}`, "now"},
		{"PUT", "/_herald/v1/clock", `{"now":"2030-01-01T00:00:00+00:60"}`, "now"},
		{"PUT", "/_herald/v1/clock", `{"now":"2286-11-20T17:46:40Z"}`, "now"},
		{"PUT", "/_herald/v1/clock", `{"then":"2030-01-01T00:00:00Z"}`, "then"},
		{"PUT", "/_herald/v1/clock", `{}`, "now"},
		{"POST", "/_herald/v1/clock/advance", `{"by":"2562047h"}`, "by"},
		{"POST", "/_herald/v1/clock/advance", `{"by":"-300000h"}`, "by"},
		{"POST", "/_herald/v1/clock/advance", `{"by":"soon"}`, "by"},
	} {
		status, v := c.do(tc.method, tc.path, tc.body)
		if status != 400 || field(v) != tc.field {
			t.Errorf("%s %s %s: %d %v, want 400 naming %s", tc.method, tc.path, tc.body, status, v, tc.field)
		}
	}
	if _, v := c.do("GET", "/_herald/v1/clock", ""); v["unix"] != float64(1893553535) {
		t.Fatalf("a refused change moved the clock: %v", v)
	}
	if status, v := c.do("PUT", "/_herald/v1/clock", `{"now":"2030-01-01T05:30:00+05:30"}`); status != 200 || v["unix"] != float64(1893456000) {
		t.Fatalf("a valid offset: %d %v", status, v)
	}
	// A running clock set just before the end of the range stays in it.
	if status, _ := c.do("PUT", "/_herald/v1/clock", `{"now":"2286-11-20T17:46:39Z","frozen":false}`); status != 200 {
		t.Fatal("set near the end refused")
	}
	source.advance(1100 * time.Millisecond) // real time goes on under a running clock
	if _, v := c.do("GET", "/_herald/v1/clock", ""); v["unix"] != float64(9999999999) {
		t.Fatalf("a running clock left its range: %v", v)
	}
	if status, v := c.do("DELETE", "/_herald/v1/clock", ""); status != 200 || v["frozen"] != false {
		t.Fatalf("release: %d %v", status, v)
	}
}

func TestVerificationCode(t *testing.T) {
	c := newClient(t, 1)
	if status, _ := c.do("GET", "/mopay/user_email_verification_send?emal=ada%2Bnews%40example.com", ""); status != 200 {
		t.Fatalf("send: %d", status)
	}
	for _, path := range []string{"ada+news@example.com", "ada%2Bnews%40example.com", "ADA+NEWS@example.com"} {
		status, v := c.do("GET", "/_herald/v1/mopay/verification-codes/"+path, "")
		code, _ := v["code"].(string)
		if status != 200 || len(code) != 6 || v["email"] != "ada+news@example.com" {
			t.Errorf("%s: %d %v", path, status, v)
		}
	}
	if status, v := c.do("GET", "/_herald/v1/mopay/verification-codes/nobody@example.com", ""); status != 404 {
		t.Errorf("unknown address: %d %v", status, v)
	}
	for _, bad := range []string{"not-an-address", "%ff@example.com", "%00@example.com"} {
		if status, v := c.do("GET", "/_herald/v1/mopay/verification-codes/"+bad, ""); status != 400 || field(v) != "email" {
			t.Errorf("bad address %s: %d %v", bad, status, v)
		}
	}
}

func TestFaults(t *testing.T) {
	c := newClient(t, 1)
	if status, v := c.do("POST", "/_herald/v1/faults", `{"system":"mopay","operationId":"user_notice_fetch","status":5e2,"count":1e1}`); status != 201 || v["count"] != float64(10) {
		t.Fatalf("numbers in exponent form: %d %v", status, v)
	}
	c.do("DELETE", "/_herald/v1/faults", "")
	for _, tc := range []struct{ body, field string }{
		{`{"system":"mopay","operationId":"user_nothing","status":500}`, "operationId"},
		{`{"system":"mopay","operationId":"user_notice_fetch","status":502}`, "status"},
		{`{"system":"nosuchsystem","operationId":"user_notice_fetch","status":500}`, "system"},
		{`{"system":"mopay","operationId":"user_notice_fetch","status":500,"count":0}`, "count"},
	} {
		if status, v := c.do("POST", "/_herald/v1/faults", tc.body); status != 400 || field(v) != tc.field {
			t.Errorf("%s: %d %v, want 400 naming %s", tc.body, status, v, tc.field)
		}
	}
	if status, v := c.do("POST", "/_herald/v1/faults", `{"system":"mopay","operationId":"user_newsletter_create","status":500}`); status != 201 || v["count"] != float64(1) {
		t.Fatalf("add: %d %v", status, v)
	}
	if _, v := c.do("GET", "/_herald/v1/faults", ""); len(v["list"].([]any)) != 1 {
		t.Fatalf("list: %v", v)
	}
	status, v := c.do("GET", "/mopay/user_newsletter_create?emal=a%40example.com&code=123456", "")
	if errs, _ := v["ERRORS"].(map[string]any); status != 500 || errs["MSG"] != "server_error" {
		t.Fatalf("injected: %d %v", status, v)
	}
	if status, _ := c.do("GET", "/mopay/user_newsletter_create?emal=a%40example.com&code=123456", ""); status != 400 {
		t.Fatalf("the fault was used once, then the request is handled: got %d", status)
	}
	c.do("POST", "/_herald/v1/faults", `{"system":"mopay","operationId":"user_newsletter_create","status":500,"count":5}`)
	if status, _ := c.do("DELETE", "/_herald/v1/faults", ""); status != 200 {
		t.Fatal("clear")
	}
	if _, v := c.do("GET", "/_herald/v1/faults", ""); len(v["list"].([]any)) != 0 {
		t.Fatalf("after clear: %v", v)
	}
}

func TestReset(t *testing.T) {
	c := newClient(t, 1)
	body := `{"fsnm":"A","lsnm":"B","emal":"reset@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`
	if status, _ := c.do("POST", "/mopay/user_profile_create", body); status != 200 {
		t.Fatal("register")
	}
	subscribe := func() int {
		c.do("GET", "/mopay/user_email_verification_send?emal=news%40example.com", "")
		_, v := c.do("GET", "/_herald/v1/mopay/verification-codes/news@example.com", "")
		status, _ := c.do("GET", fmt.Sprintf("/mopay/user_newsletter_create?emal=news%%40example.com&code=%v", v["code"]), "")
		return status
	}
	if got := subscribe(); got != 200 {
		t.Fatalf("subscribe: %d", got)
	}
	c.do("GET", "/mopay/user_email_verification_send?emal=pending%40example.com", "")
	c.do("POST", "/_herald/v1/faults", `{"system":"mopay","operationId":"user_notice_fetch","status":500,"count":3}`)

	if status, _ := c.do("POST", "/_herald/v1/reset", ""); status != 200 {
		t.Fatal("reset")
	}
	login := `{"emal":"reset@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`
	if status, v := c.do("POST", "/mopay/user_profile_login", login); status != 401 {
		t.Fatalf("after reset the account is gone, got %d %v", status, v)
	}
	if status, _ := c.do("GET", "/_herald/v1/mopay/verification-codes/pending@example.com", ""); status != 404 {
		t.Fatalf("after reset no code is pending, got %d", status)
	}
	if _, v := c.do("GET", "/_herald/v1/faults", ""); len(v["list"].([]any)) != 0 {
		t.Fatalf("after reset no fault is pending: %v", v)
	}
	if got := subscribe(); got != 200 {
		t.Fatalf("after reset the address can subscribe again, got %d", got)
	}
	if status, _ := c.do("POST", "/mopay/user_profile_create", body); status != 200 {
		t.Fatal("the address can register again after reset")
	}
}

func TestUnknownPaths(t *testing.T) {
	c := newClient(t, 1)
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/_herald/v1/nothing", 404},
		{"POST", "/_herald/v1/info", 405},
		{"GET", "/elsewhere", 404},
		{"GET", "/mopay", 404},
	} {
		if status, v := c.do(tc.method, tc.path, ""); status != tc.status {
			t.Errorf("%s %s: %d %v, want %d", tc.method, tc.path, status, v, tc.status)
		}
	}
}
