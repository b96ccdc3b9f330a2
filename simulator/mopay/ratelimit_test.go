package mopay

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"herald/simulator/engine"
	"herald/simulator/system"
)

// limited is a harness whose keys may make limit signed requests a window.
func limited(t *testing.T, limit int) *harness {
	t.Helper()
	faults := &engine.Faults{}
	sim, c := frozenSim(t, Config{Engine: system.EngineDefaults{Faults: faults}, RateLimit: limit})
	h := &harness{t: t, sim: sim, clock: c, faults: faults}
	h.srv = httptest.NewServer(sim.Handler())
	t.Cleanup(h.srv.Close)
	return h
}

// fetch makes one signed request with c at the harness's time and returns
// the status and Retry-After.
func (h *harness) fetch(c creds) (int, string) {
	h.t.Helper()
	a := h.do("GET", "/user_notice_fetch", h.signed(c), "")
	if a.Status == http.StatusTooManyRequests {
		a.failed(h.t, "MSG", "rate_limited", 429)
	}
	return a.Status, a.retryAfter
}

// at moves the frozen clock to start+d.
func (h *harness) at(start time.Time, d time.Duration) {
	h.t.Helper()
	if !h.clock.Set(start.Add(d), true) {
		h.t.Fatalf("clock refused %v", start.Add(d))
	}
}

// The limit counts the signed requests of each key in a window of
// RateWindow from its first request: the limit-th passes, the next is a
// rate_limited 429 whose Retry-After is the rest of the window in whole
// seconds, rounded up; another key has a window of its own; the window
// starts over once RateWindow has passed, or when the clock goes back.
func TestRateLimitWindow(t *testing.T) {
	h := limited(t, 3)
	start := h.clock.Now()
	c := h.login("amara.okafor@example.com", "Notices2023")
	other := h.login("chidi.eze@example.com", "Chidi2023x")

	expect := func(who creds, name string, status int, retry string) {
		t.Helper()
		got, after := h.fetch(who)
		if got != status || after != retry {
			t.Fatalf("%s at +%v: %d with Retry-After %q, want %d with %q", name, h.clock.Now().Sub(start), got, after, status, retry)
		}
	}
	for i := 1; i <= 3; i++ {
		expect(c, "request "+strconv.Itoa(i), 200, "")
	}
	expect(c, "request 4", 429, "60")
	h.at(start, 20*time.Second+500*time.Millisecond)
	expect(c, "request 5", 429, "40")
	expect(other, "another key's first request", 200, "")
	h.at(start, RateWindow-100*time.Microsecond) // 0.0001 s left: still a whole second to wait
	expect(c, "the window's last moment", 429, "1")
	h.at(start, RateWindow)
	for i := 1; i <= 3; i++ {
		expect(c, "new window, request "+strconv.Itoa(i), 200, "")
	}
	expect(c, "new window, request 4", 429, "60")
	// The clock set back: the window that started later cannot hold.
	h.at(start, 30*time.Second)
	expect(c, "after the clock went back", 200, "")
}

// A rate limit of 0 turns the limit off.
func TestRateLimitOff(t *testing.T) {
	h := limited(t, 0)
	c := h.login("amara.okafor@example.com", "Notices2023")
	for i := 1; i <= RateLimit+5; i++ {
		if status, _ := h.fetch(c); status != 200 {
			t.Fatalf("request %d: %d, want 200 with the limit off", i, status)
		}
	}
}
