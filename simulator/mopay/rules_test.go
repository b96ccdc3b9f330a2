package mopay

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/fixtures"
	"herald/simulator/engine"
	"herald/specs"
)

// A 429 without a computed wait says a minute, as an injected one does.
func TestRateLimitWithoutAWaitSaysAMinute(t *testing.T) {
	h := newHarness(t)
	ex := &engine.Exchange{Request: httptest.NewRequest("GET", "/user_notice_fetch", nil), OperationID: "user_notice_fetch"}
	reply := h.sim.render(ex, fail("rate_limited", "test"))
	if got := reply.Header.Get("Retry-After"); reply.Status != 429 || got != "60" {
		t.Fatalf("status %d, Retry-After %q, want 429 and 60", reply.Status, got)
	}
}

// Every body field needs its error examples in the spec: a field added
// without them is refused when the simulator is built.
func TestBodyFieldWithoutErrorExamplesIsRefused(t *testing.T) {
	doc, err := specs.Load(specs.Mopay)
	if err != nil {
		t.Fatal(err)
	}
	doc.Components.Schemas["ProfileLoginRequest"].Value.Properties["zzzz"] = openapi3.NewStringSchema().NewRef()
	if _, err := New(Config{Doc: doc}); err == nil || !strings.Contains(err.Error(), "zzzz") {
		t.Fatalf("New: %v, want the missing error example of body field zzzz named", err)
	}
}

// The vendor's password rule: 8 characters at least, with an uppercase
// letter, a lowercase letter and a digit.
func TestPasswordRule(t *testing.T) {
	h := newHarness(t)
	for i, c := range []struct {
		pswd string
		ok   bool
	}{{"Passw0rd", true}, {"Pássw0rd", true}, {"Passw0r", false}, {"passw0rd", false}, {"PASSW0RD", false}, {"Password", false}} {
		a := h.do("POST", "/user_profile_create", nil, fmt.Sprintf(`{"fsnm":"A","lsnm":"B","emal":"p%d@example.com","pswd":%q,"devt":"Web","devs":"d","devn":"n"}`, i, c.pswd))
		if c.ok && a.Status != 200 {
			t.Errorf("%q: %d %s, want it accepted", c.pswd, a.Status, a.Raw)
		}
		if !c.ok {
			a.failed(t, "MSG", "pswd_invalid", 400)
		}
	}
}

// A push token is recorded with its type, ExponentPushToken when none is
// given.
func TestPushTokenType(t *testing.T) {
	h := newHarness(t)
	h.register("push@example.com")
	login := func(extra string) creds {
		a := h.do("POST", "/user_profile_login", nil, `{"emal":"push@example.com","pswd":"Passw0rdX","devt":"Web","devs":"dev-1","devn":"Browser"`+extra+`}`)
		if a.Status != 200 {
			t.Fatalf("login: %d %s", a.Status, a.Raw)
		}
		return h.login("push@example.com", "Passw0rdX")
	}
	login(`,"phtk":"tok-a"`)
	c := login(`,"phtk":"tok-b","tktp":"FCMToken"`)
	a := h.do("GET", "/user_notification_fetch?rqtp=user", h.signed(c), "")
	if a.Status != 200 || !strings.Contains(a.Raw, `"token_type":"ExponentPushToken","push_token":"tok-a"`) || !strings.Contains(a.Raw, `"token_type":"FCMToken","push_token":"tok-b"`) {
		t.Fatalf("notifications %d %s, want tok-a as ExponentPushToken and tok-b as FCMToken", a.Status, a.Raw)
	}
}

// A second code for the same address waits CodeResendDelay: before that it
// is a too_many_requests 429 whose Retry-After is the rest of the wait; from
// then on it is sent.
func TestVerificationCodeResendDelay(t *testing.T) {
	h := newHarness(t)
	start := h.clock.Now()
	send := func() answer { return h.do("GET", "/user_email_verification_send?emal=wait%40example.com", nil, "") }
	if a := send(); a.Status != 200 {
		t.Fatalf("first code: %d %s", a.Status, a.Raw)
	}
	h.clock.Set(start.Add(CodeResendDelay-time.Second), true)
	a := send()
	a.failed(t, "MSG", "too_many_requests", 429)
	if a.retryAfter != "1" {
		t.Errorf("Retry-After %q a second before the delay, want 1", a.retryAfter)
	}
	h.clock.Set(start.Add(CodeResendDelay), true)
	if a := send(); a.Status != 200 {
		t.Fatalf("at the delay: %d %s, want a new code", a.Status, a.Raw)
	}
}

// The same seed hands out the same keys: the Random given is the one used.
func TestSameSeedSameKeys(t *testing.T) {
	a, b := newHarness(t), newHarness(t)
	ca, cb := a.register("seed@example.com"), b.register("seed@example.com")
	if ca != cb {
		t.Fatalf("same seed, different credentials: %+v and %+v", ca, cb)
	}
}

// Records with the same time keep the seed's order; a record older than
// the newest (the clock set back) takes its place in time.
func TestRecordOrder(t *testing.T) {
	seed, err := fixtures.LoadMopaySeed()
	if err != nil {
		t.Fatal(err)
	}
	var notices []map[string]string
	for _, m := range []string{"ntc_000000001", "ntc_000000002", "ntc_000000003"} {
		notices = append(notices, map[string]string{"marker": m, "userid": "usr_chidi00002", "subject": "s", "message": "m", "recorded": "1690000000"})
	}
	seed.Notices = notices
	sim, clk := frozenSim(t, Config{Seed: seed})
	h := &harness{t: t, sim: sim, clock: clk}
	h.srv = httptest.NewServer(sim.Handler())
	t.Cleanup(h.srv.Close)
	c := h.login("chidi.eze@example.com", "Chidi2023x")
	a := h.do("GET", "/user_notice_fetch", h.signed(c), "")
	if i, j, k := strings.Index(a.Raw, "ntc_000000001"), strings.Index(a.Raw, "ntc_000000002"), strings.Index(a.Raw, "ntc_000000003"); a.Status != 200 || i < 0 || i > j || j > k {
		t.Fatalf("notices of one time: %d %s, want the seed's order", a.Status, a.Raw)
	}

	clk.Set(time.Unix(1685500000, 0), true) // between two seeded notifications
	a = h.do("POST", "/user_profile_login", nil, `{"emal":"chidi.eze@example.com","pswd":"Chidi2023x","devt":"Web","devs":"dev-1","devn":"Browser","phtk":"old-token"}`)
	if a.Status != 200 {
		t.Fatalf("login: %d %s", a.Status, a.Raw)
	}
	c = h.login("chidi.eze@example.com", "Chidi2023x")
	var order []string
	for _, m := range h.markers(c, "/user_notification_fetch?rqtp=all") {
		if !strings.HasPrefix(m, "ntf_") {
			t.Fatalf("marker %s", m)
		}
		order = append(order, m)
	}
	if len(order) != 6 || order[0] != "ntf_500000001" || order[1] != "ntf_600000001" || order[3] != "ntf_500000002" {
		t.Fatalf("rqtp=all: %v, want the new record third, between ntf_600000001 and ntf_500000002", order)
	}
}
