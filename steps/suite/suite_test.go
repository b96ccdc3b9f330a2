package suite

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"herald/simulator"
	"herald/steps"
	"herald/steps/mopay"
)

func modules(t *testing.T) []steps.Module {
	t.Helper()
	ms, err := Modules()
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// inProcess starts a Herald with every listener on a free loopback port and
// returns its target.
func inProcess(t *testing.T, seed uint64) steps.Target {
	t.Helper()
	h, err := simulator.New(simulator.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	var main string
	for _, l := range h.Listeners() {
		srv := httptest.NewUnstartedServer(l.Handler)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv.Listener = ln
		if l.TLS != nil {
			srv.TLS = l.TLS
			srv.StartTLS()
		} else {
			srv.Start()
		}
		t.Cleanup(srv.Close)
		h.SetBaseURL(l.Name, srv.URL)
		if l.Name == simulator.MainListener {
			main = srv.URL
		}
	}
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	var infos []steps.SystemInfo
	for _, s := range h.Systems() {
		infos = append(infos, steps.SystemInfo{Name: s.Name, Listener: s.Listener, BasePath: s.BasePath, BaseURL: s.BaseURL})
	}
	target := steps.Herald(main+"/_herald/v1/", infos, modules(t))
	if len(target.Systems) != len(infos) {
		t.Fatalf("a system has no module: %d systems, %d under test", len(infos), len(target.Systems))
	}
	return target
}

// TestFeatures runs every feature of every system against an in-process
// simulator. In strict mode a step text that two modules match fails the
// run, so this also proves the step texts unambiguous.
func TestFeatures(t *testing.T) {
	status := steps.Run(steps.RunOptions{Target: inProcess(t, 1), Modules: modules(t), Format: "progress", Output: os.Stdout, TestingT: t})
	if status != 0 {
		t.Fatalf("the suite failed with status %d", status)
	}
}

func TestEffectiveTags(t *testing.T) {
	ms := modules(t)
	real := steps.Target{Name: "https://mopay.example/", Systems: map[string]*steps.SystemTarget{mopay.System: {BaseURL: "https://mopay.example/"}}}
	expr, notes := steps.EffectiveTags(real, ms, "@auth")
	if expr != "@auth && ~@simulator && ~@herald-design && ~@notice-account" || len(notes) != 3 {
		t.Fatalf("got %q with %d notes", expr, len(notes))
	}
	if n, err := steps.Select(expr); err != nil || n == 0 {
		t.Fatalf("Select(%q) = %d, %v", expr, n, err)
	}
	herald := steps.Herald("http://127.0.0.1:1/_herald/v1/", []steps.SystemInfo{{Name: mopay.System, BaseURL: "http://127.0.0.1:1/mopay/"}}, ms)
	if expr, notes := steps.EffectiveTags(herald, ms, ""); expr != "" || len(notes) != 0 {
		t.Fatalf("a Herald runs everything, got %q %v", expr, notes)
	}
	if expr, _ := steps.EffectiveTags(real, ms, "@simulator"); strings.Contains(expr, "~@simulator") {
		t.Fatalf("naming @simulator keeps it, got %q", expr)
	}
}

// A target whose registration answer lacks the key pair.
func brokenMopay(t *testing.T) steps.Target {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"REQUEST":{"VERSION":"1.0","ACTION":"user_profile_create","STATUS":"OK"},"DATA":{"userid":"usr_0123456789","COMMENT":"Operation successful!"}}`))
	}))
	t.Cleanup(srv.Close)
	return steps.Target{Name: "broken", Systems: map[string]*steps.SystemTarget{mopay.System: {BaseURL: srv.URL + "/"}}}
}

func feature(body string) fstest.MapFS {
	return fstest.MapFS{"violation.feature": {Data: []byte("Feature: violations\n\n" + body)}}
}

func runAgainstBroken(t *testing.T, body string) (int, string) {
	var out bytes.Buffer
	status := steps.Run(steps.RunOptions{Target: brokenMopay(t), Modules: modules(t), Output: &out, Features: feature(body)})
	return status, out.String()
}

// Every answer is checked against the spec: a violation fails the step…
func TestViolationFailsTheStep(t *testing.T) {
	status, out := runAgainstBroken(t, "  Scenario: register\n    Given I have registered a new Mopay account\n")
	if status != 1 || !strings.Contains(out, "violates the Mopay spec") || !strings.Contains(out, "/DATA") {
		t.Fatalf("status %d, want 1 with the violation named:\n%s", status, out)
	}
}

// …unless the scenario says it expects one.
func TestExpectedViolation(t *testing.T) {
	status, out := runAgainstBroken(t, "  @expect-violation\n  Scenario: register\n"+
		"    When I send a POST to \"user_profile_create\" with body:\n      \"\"\"\n      {}\n      \"\"\"\n"+
		"    Then the answer violates the spec\n")
	if status != 0 {
		t.Fatalf("status %d, want 0:\n%s", status, out)
	}
}

// Step functions take their state from the scenario's context.
func TestOnNeedsTheStateFirst(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("On accepted a function that does not take the state first")
		}
	}()
	steps.On[*steps.Scenario](struct{}{}, func(s string) error { return nil })
}
