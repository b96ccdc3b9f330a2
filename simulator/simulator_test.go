package simulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Unix(1800000000, 0) }

// register returns the raw answer to the same registration.
func register(t *testing.T, seed uint64) string {
	t.Helper()
	h, err := New(Options{Seed: seed, Clock: fixedClock{}})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/mopay/user_profile_create",
		strings.NewReader(`{"fsnm":"A","lsnm":"B","emal":"seed@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 {
		t.Fatalf("register: %d %s", rec.Code, b)
	}
	return string(b)
}

// The same seed and clock give the same keys: a run can be reproduced.
func TestSameSeedSameRun(t *testing.T) {
	a, b := register(t, 42), register(t, 42)
	if a != b {
		t.Fatalf("same seed, different answers:\n%s\n%s", a, b)
	}
	if c := register(t, 43); c == a {
		t.Fatalf("different seeds gave the same keys: %s", c)
	}
}

// After a reset the simulator hands out what a new one would.
func TestResetRestartsTheRun(t *testing.T) {
	h, err := New(Options{Seed: 42, Clock: fixedClock{}})
	if err != nil {
		t.Fatal(err)
	}
	registerOn := func() string {
		req := httptest.NewRequest(http.MethodPost, "/mopay/user_profile_create",
			strings.NewReader(`{"fsnm":"A","lsnm":"B","emal":"seed@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.Handler().ServeHTTP(rec, req)
		return rec.Body.String()
	}
	first := registerOn()
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/_herald/v1/reset", nil))
	if rec.Code != 200 {
		t.Fatalf("reset: %d %s", rec.Code, rec.Body)
	}
	if again := registerOn(); again != first || first != register(t, 42) {
		t.Fatalf("after reset:\n%s\nfirst run:\n%s", again, first)
	}
}

func TestUnknownPathNamesTheSystems(t *testing.T) {
	h, err := New(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nowhere", nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "mopay at /mopay/") {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}
