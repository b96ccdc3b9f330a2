package mopay

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/system"
	wire "herald/specs/wire/mopay"
)

// harness runs the simulator on a frozen clock.
type harness struct {
	t      *testing.T
	sim    *Sim
	srv    *httptest.Server
	clock  *clock.Controlled
	faults *engine.Faults
}

// frozenSim builds a simulator, seeded with 1, on a clock frozen at unix
// time 1700000000.
func frozenSim(tb testing.TB, cfg Config) (*Sim, *clock.Controlled) {
	tb.Helper()
	c := clock.NewControlled(nil)
	c.Set(time.Unix(1700000000, 0), true)
	cfg.Clock, cfg.Random = c, entropy.New(1)
	if cfg.Engine.Faults == nil {
		cfg.Engine.Faults = &engine.Faults{}
	}
	sim, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return sim, c
}

// seededLogin logs the seeded account with notices in, straight through the
// handler, and returns its key pair.
func seededLogin(tb testing.TB, h http.Handler, device string) credentials {
	tb.Helper()
	r := httptest.NewRequest(http.MethodPost, "/user_profile_login",
		strings.NewReader(`{"emal":"amara.okafor@example.com","pswd":"Notices2023","devt":"Web","devs":"`+device+`","devn":"test"}`))
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	var env struct{ DATA credentials }
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || rec.Code != 200 {
		tb.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	return env.DATA
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	faults := &engine.Faults{}
	sim, c := frozenSim(t, Config{Engine: system.EngineDefaults{Faults: faults}, RateLimit: RateLimit})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, sim: sim, srv: srv, clock: c, faults: faults}
}

type answer struct {
	Status     int
	Raw        string
	retryAfter string
	Env        struct {
		REQUEST struct{ VERSION, ACTION, STATUS string }
		DATA    json.RawMessage
		ERRORS  struct {
			CODE             int
			ID, MSG, DETAILS string
		}
	}
}

func (h *harness) do(method, target string, header http.Header, body string) answer {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+target, strings.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Raw: string(b), retryAfter: resp.Header.Get("Retry-After")}
	if err := json.Unmarshal(b, &a.Env); err != nil {
		h.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, target, err, b)
	}
	return a
}

var mps = regexp.MustCompile(` \(MPS[0-9]{15}\)$`)

// failed asserts a Mopay error envelope with the name under key.
func (a answer) failed(t *testing.T, key, name string, code int) {
	t.Helper()
	e := a.Env.ERRORS
	got := e.MSG
	if key == "ID" {
		got = e.ID
	}
	if a.Status != code || e.CODE != code || got != name || a.Env.REQUEST.STATUS != "FAILED" {
		t.Fatalf("want %s %q with CODE %d, got status %d: %s", key, name, code, a.Status, a.Raw)
	}
	if (key == "ID" && e.MSG != "") || (key == "MSG" && e.ID != "") {
		t.Fatalf("both ID and MSG set: %s", a.Raw)
	}
	if !mps.MatchString(e.DETAILS) {
		t.Fatalf("DETAILS lacks the (MPS…) reference: %q", e.DETAILS)
	}
}

type creds struct {
	UserID string `json:"userid"`
	PbcKey string `json:"pbcKey"`
	Secret string `json:"secret"`
}

func (h *harness) register(email string) creds {
	h.t.Helper()
	a := h.do("POST", "/user_profile_create", nil, fmt.Sprintf(`{"fsnm":"Ada","lsnm":"Obi","emal":%q,"pswd":"Passw0rdX","devt":"Web","devs":"dev-1","devn":"Browser"}`, email))
	if a.Status != 200 {
		h.t.Fatalf("register: %d %s", a.Status, a.Raw)
	}
	var c creds
	_ = json.Unmarshal(a.Env.DATA, &c)
	return c
}

func (h *harness) login(email, password string) creds {
	h.t.Helper()
	a := h.do("POST", "/user_profile_login", nil, fmt.Sprintf(`{"emal":%q,"pswd":%q,"devt":"Web","devs":"dev-1","devn":"Browser"}`, email, password))
	if a.Status != 200 {
		h.t.Fatalf("login: %d %s", a.Status, a.Raw)
	}
	var c creds
	_ = json.Unmarshal(a.Env.DATA, &c)
	return c
}

func (h *harness) signed(c creds) http.Header {
	ts := fmt.Sprint(h.clock.Now().Unix())
	hd := http.Header{}
	hd.Set(wire.HeaderKey, c.PbcKey)
	hd.Set(wire.HeaderTimestamp, ts)
	hd.Set(wire.HeaderSignature, wire.Signature(c.Secret, ts))
	return hd
}

func TestNoticePagination(t *testing.T) {
	h := newHarness(t)
	c := h.login("amara.okafor@example.com", "Notices2023")
	var counts []int
	page, last := "", int64(1<<62)
	for i := 0; i < 10; i++ {
		target := "/user_notice_fetch"
		if page != "" {
			target += "?page=" + page
		}
		a := h.do("GET", target, h.signed(c), "")
		if a.Status == 401 {
			a.failed(t, "MSG", "response_empty", 401)
			break
		}
		var p struct {
			Result []struct {
				Recorded string `json:"recorded"`
			} `json:"result"`
			Pagination string `json:"pagination"`
		}
		_ = json.Unmarshal(a.Env.DATA, &p)
		for _, r := range p.Result {
			var n int64
			fmt.Sscan(r.Recorded, &n)
			if n >= last {
				t.Fatalf("not newest first: %d after %d", n, last)
			}
			last = n
		}
		counts = append(counts, len(p.Result))
		page = p.Pagination
	}
	if fmt.Sprint(counts) != "[15 15 7]" {
		t.Fatalf("page sizes %v, want [15 15 7]", counts)
	}
}

func TestAuthFailures(t *testing.T) {
	h := newHarness(t)
	c := h.register("auth@example.com")
	good := h.signed(c)
	for _, tc := range []struct {
		name   string
		change func(http.Header)
		key    string
		want   string
	}{
		{"no key", func(hd http.Header) { hd.Del(wire.HeaderKey) }, "ID", "rqat_required"},
		{"no timestamp", func(hd http.Header) { hd.Del(wire.HeaderTimestamp) }, "ID", "rqat_required"},
		{"no signature", func(hd http.Header) { hd.Del(wire.HeaderSignature) }, "ID", "rqat_required"},
		{"unknown key", func(hd http.Header) { hd.Set(wire.HeaderKey, strings.Repeat("ab", 32)) }, "MSG", "Unauthorized"},
		{"stale", func(hd http.Header) {
			ts := fmt.Sprint(h.clock.Now().Unix() - 301)
			hd.Set(wire.HeaderTimestamp, ts)
			hd.Set(wire.HeaderSignature, wire.Signature(c.Secret, ts))
		}, "MSG", "timestamp_expired"},
		{"junk timestamp", func(hd http.Header) { hd.Set(wire.HeaderTimestamp, "yesterday") }, "MSG", "timestamp_expired"},
		{"tampered", func(hd http.Header) { hd.Set(wire.HeaderSignature, strings.Repeat("0", 128)) }, "MSG", "signature_invalid"},
		{"with a space", func(hd http.Header) {
			ts := hd.Get(wire.HeaderTimestamp)
			hd.Set(wire.HeaderSignature, wire.SignContent(c.Secret, wire.SpacedContent(ts)))
		}, "MSG", "signature_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hd := good.Clone()
			tc.change(hd)
			h.do("GET", "/user_notice_fetch", hd, "").failed(t, tc.key, tc.want, 401)
		})
	}
	// Uppercase hex is the same signature.
	hd := good.Clone()
	hd.Set(wire.HeaderSignature, strings.ToUpper(hd.Get(wire.HeaderSignature)))
	if a := h.do("GET", "/user_notice_fetch", hd, ""); a.Status != 200 {
		t.Fatalf("uppercase hex: %d %s", a.Status, a.Raw)
	}
	// On user_location_fetch the vendor names rqat_required as a MSG.
	h.do("GET", "/user_location_fetch", nil, "").failed(t, "MSG", "rqat_required", 401)
}

// A repeated key keeps its last value, for the spec check and the handler
// alike: never a 500, never a value the check did not see.
func TestRepeatedKeys(t *testing.T) {
	h := newHarness(t)
	h.do("POST", "/user_profile_create", nil, `{"fsnm":"Ada","fsnm":5,"lsnm":"Obi","emal":"r@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`).failed(t, "MSG", "fsnm_invalid", 400)
	h.register("r@example.com")
	if a := h.do("POST", "/user_profile_login", nil, `{"fsnm":5,"fsnm":"x","emal":"r@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`); a.Status != 200 {
		t.Fatalf("login with a repeated unused key: %d %s", a.Status, a.Raw)
	}
}

// Keys are read exactly as the spec check saw them: "EMAL" is not "emal".
func TestKeysAreCaseSensitive(t *testing.T) {
	h := newHarness(t)
	a := h.do("POST", "/user_profile_create", nil, `{"fsnm":"A","lsnm":"B","emal":"ok@example.com","Emal":"not an address","pswd":"Passw0rdX","devt":"Web","DEVT":"Symbian","devs":"d","devn":"n","PHTK":"`+strings.Repeat("x", 5000)+`"}`)
	if a.Status != 200 {
		t.Fatalf("register: %d %s", a.Status, a.Raw)
	}
	var c creds
	_ = json.Unmarshal(a.Env.DATA, &c)
	n := h.do("GET", "/user_notification_fetch?rqtp=user", h.signed(c), "")
	n.failed(t, "MSG", "response_empty", 401) // PHTK is not phtk: no push token was registered
	h.do("POST", "/user_profile_create", nil, `{"fsnm":"A","lsnm":"B","Emal":"x@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`).failed(t, "MSG", "emal_required", 400)
}

// Both forms of addressing see the same bytes of the query.
func TestReqFormKeepsTheRawQuery(t *testing.T) {
	h := newHarness(t)
	c := h.register("forms@example.com")
	for _, target := range []string{"/user_notice_fetch?page=%zz", "/?req=user_notice_fetch&page=%zz", "/?page=%zz&req=user_notice_fetch"} {
		h.do("GET", target, h.signed(c), "").failed(t, "MSG", "process_failed", 401)
	}
	h.do("GET", "/?req=user_newsletter_create&emal=a%zz@b.c&code=123456", nil, "").failed(t, "MSG", "emal_invalid", 400)
}

// The window is counted in whole seconds, as the header is: with the clock
// at T.9, T-300 and T+300 pass, T-301 and T+301 do not.
func TestTimestampWindowEdges(t *testing.T) {
	h := newHarness(t)
	c := h.register("edges@example.com")
	h.clock.Set(time.Unix(1700000000, 900_000_000), true)
	for offset, ok := range map[int64]bool{-300: true, 300: true, -301: false, 301: false} {
		ts := fmt.Sprint(1700000000 + offset)
		hd := http.Header{}
		hd.Set(wire.HeaderKey, c.PbcKey)
		hd.Set(wire.HeaderTimestamp, ts)
		hd.Set(wire.HeaderSignature, wire.Signature(c.Secret, ts))
		a := h.do("GET", "/user_notice_fetch", hd, "")
		if ok && a.Status != 200 {
			t.Errorf("offset %d: %d %s", offset, a.Status, a.Raw)
		}
		if !ok {
			a.failed(t, "MSG", "timestamp_expired", 401)
			if !strings.Contains(a.Env.ERRORS.DETAILS, "is 301 s from") {
				t.Errorf("offset %d: %s", offset, a.Env.ERRORS.DETAILS)
			}
		}
	}
}

func TestCharsetAndControlCharacters(t *testing.T) {
	h := newHarness(t)
	hd := http.Header{"Content-Type": {"application/json; charset=latin1"}}
	h.do("POST", "/user_profile_create", hd, `{"fsnm":"A"}`).failed(t, "MSG", "content_type_invalid", 415)
	hd = http.Header{"Content-Type": {"application/json; charset=UTF-8"}}
	h.do("POST", "/user_profile_login", hd, `{"emal":"x@example.com","pswd":"p","devt":"Web","devs":"d","devn":"n"}`).failed(t, "MSG", "login_failed", 401)
	h.do("GET", "/user_email_verification_send?emal=%00@a.bc", nil, "").failed(t, "MSG", "emal_invalid", 400)
}

// Every 429 carries Retry-After, injected ones too; the spec requires it.
func TestInjected429HasRetryAfter(t *testing.T) {
	h := newHarness(t)
	c := h.register("retry@example.com")
	h.faults.Add(engine.FaultRule{System: "mopay", OperationID: "user_notice_fetch", Status: 429, Count: 1})
	req, _ := http.NewRequest("GET", h.srv.URL+"/user_notice_fetch", nil)
	req.Header = h.signed(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// A request that says two things at once gets 400 request_ambiguous naming
// the parameter or header, wherever it comes first.
func TestAmbiguousRequestsAreRefused(t *testing.T) {
	h := newHarness(t)
	c := h.login("amara.okafor@example.com", "Notices2023")
	cases := []struct {
		target string
		header http.Header
		field  string
	}{
		{"/?req=user_notice_fetch&req=user_location_fetch", h.signed(c), "req"},
		{"/user_notice_fetch?req=user_location_fetch", h.signed(c), "req"},
		{"/user_notice_fetch?page=1700000000&page=abc", h.signed(c), "page"},
	}
	twice := h.signed(c)
	twice[wire.HeaderKey] = append(twice[wire.HeaderKey], "0000")
	cases = append(cases, struct {
		target string
		header http.Header
		field  string
	}{"/user_notice_fetch", twice, wire.HeaderKey})
	for _, tc := range cases {
		a := h.do("GET", tc.target, tc.header, "")
		a.failed(t, "MSG", "request_ambiguous", 400)
		if !strings.Contains(a.Env.ERRORS.DETAILS, tc.field) {
			t.Errorf("%s: DETAILS does not name %s: %s", tc.target, tc.field, a.Env.ERRORS.DETAILS)
		}
	}
}

// HEAD works wherever GET does.
func TestHeadOnAGetAction(t *testing.T) {
	h := newHarness(t)
	c := h.login("amara.okafor@example.com", "Notices2023")
	req, _ := http.NewRequest(http.MethodHead, h.srv.URL+"/user_notice_fetch", nil)
	req.Header = h.signed(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("HEAD: %d", resp.StatusCode)
	}
}

// A wrapped rate-limit error keeps its computed wait.
func TestWrappedRateLimitKeepsRetryAfter(t *testing.T) {
	h := newHarness(t)
	e := fail("rate_limited", "test")
	e.RetryAfter = 17
	ex := &engine.Exchange{Request: httptest.NewRequest("GET", "/user_notice_fetch", nil), OperationID: "user_notice_fetch"}
	reply := h.sim.render(ex, fmt.Errorf("wrapped: %w", e))
	if got := reply.Header.Get("Retry-After"); reply.Status != 429 || got != "17" {
		t.Fatalf("status %d, Retry-After %q, want 429 and 17", reply.Status, got)
	}
}

// Push-token registrations are indexed: a repeat adds nothing, and the
// notification answers are bounded whatever the number of records.
func TestNotificationsIndexedAndBounded(t *testing.T) {
	h := newHarness(t)
	h.sim.limit = 0
	h.register("tokens@example.com")
	for i := 0; i < MaxNotifications+20; i++ {
		body := fmt.Sprintf(`{"emal":"tokens@example.com","pswd":"Passw0rdX","devt":"Web","devs":"dev-1","devn":"Browser","phtk":"ExponentPushToken[%d]"}`, i%(MaxNotifications+10))
		if a := h.do("POST", "/user_profile_login", nil, body); a.Status != 200 {
			t.Fatalf("login %d: %s", i, a.Raw)
		}
	}
	c := h.login("tokens@example.com", "Passw0rdX")
	for _, q := range []string{"rqtp=user", "rqtp=all"} {
		a := h.do("GET", "/user_notification_fetch?"+q, h.signed(c), "")
		var recs []map[string]string
		if err := json.Unmarshal(a.Env.DATA, &recs); err != nil || a.Status != 200 {
			t.Fatalf("%s: %d %s", q, a.Status, a.Raw)
		}
		if len(recs) != MaxNotifications {
			t.Fatalf("%s: %d records, want the %d newest", q, len(recs), MaxNotifications)
		}
	}
	h.sim.mu.Lock()
	n := len(h.sim.st.notifications.byUser[c.UserID])
	h.sim.mu.Unlock()
	if n != MaxNotifications+10 {
		t.Fatalf("%d records for %d distinct tokens", n, MaxNotifications+10)
	}
}
