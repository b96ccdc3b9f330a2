package suite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"herald/simulator"
	mopaywire "herald/specs/wire/mopay"
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
	if expr != "@auth && ~@simulator && ~@herald-design && ~@mutating && ~@mopay-account && ~@notice-account && ~@mopay-login" || len(notes) != 6 {
		t.Fatalf("got %q with %d notes", expr, len(notes))
	}
	if _, err := steps.Select(expr); err != nil {
		t.Fatalf("Select(%q): %v", expr, err)
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
	if status != 1 || !strings.Contains(out, "violates the mopay spec") || !strings.Contains(out, "/DATA") {
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

// statuses runs the suite and returns each scenario's status from the
// Cucumber report, by feature and scenario name (outline rows numbered).
func statuses(t *testing.T, opts steps.RunOptions) (int, map[string]string) {
	t.Helper()
	report := t.TempDir() + "/cucumber.json"
	opts.Format = "progress,cucumber:" + report
	var console bytes.Buffer
	opts.Output = &console
	status := steps.Run(opts)
	if status != 0 {
		t.Logf("the run's console (status %d):\n%s", status, console.String())
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var features []struct {
		URI      string `json:"uri"`
		Elements []struct {
			Name  string `json:"name"`
			Line  int    `json:"line"`
			Steps []struct {
				Result struct{ Status string } `json:"result"`
			} `json:"steps"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(b, &features); err != nil {
		t.Fatalf("cucumber report: %v", err)
	}
	out := map[string]string{}
	for _, f := range features {
		uri, _, _ := strings.Cut(f.URI, ":")
		for _, e := range f.Elements {
			result := "passed"
			for _, s := range e.Steps {
				if s.Result.Status != "passed" {
					result = s.Result.Status
					break
				}
			}
			out[fmt.Sprintf("%s:%d %s", uri, e.Line, e.Name)] = result
		}
	}
	return status, out
}

// Scenarios run at once, each in its own world, end as they do one at a time.
func TestConcurrentRunMatchesSerial(t *testing.T) {
	target := inProcess(t, 3)
	serialStatus, serial := statuses(t, steps.RunOptions{Target: target, Modules: modules(t)})
	concurrentStatus, concurrent := statuses(t, steps.RunOptions{Target: target, Modules: modules(t), Concurrency: 4})
	if serialStatus != 0 || concurrentStatus != 0 {
		t.Fatalf("status serial %d, concurrent %d", serialStatus, concurrentStatus)
	}
	if len(serial) < 100 || len(serial) != len(concurrent) {
		t.Fatalf("%d scenarios serially, %d concurrently", len(serial), len(concurrent))
	}
	for k, v := range serial {
		if concurrent[k] != v {
			t.Errorf("%s: %s serially, %q concurrently", k, v, concurrent[k])
		}
	}
}

// The shards of a run are disjoint, complete and balanced.
func TestShardsCoverTheSuiteOnce(t *testing.T) {
	target := inProcess(t, 4)
	ms := modules(t)
	fsys, _, err := steps.FeaturesOf(target, ms)
	if err != nil {
		t.Fatal(err)
	}
	_, whole := statuses(t, steps.RunOptions{Target: target, Modules: ms})
	seen := map[string]int{}
	const n = 3
	var sizes []int
	for k := 1; k <= n; k++ {
		status, part := statuses(t, steps.RunOptions{Target: target, Modules: ms, Shard: steps.Shard{K: k, N: n}})
		if status != 0 {
			t.Fatalf("shard %d/%d: status %d", k, n, status)
		}
		for name := range part {
			seen[name]++
		}
		sizes = append(sizes, len(part))
	}
	for name := range whole {
		if seen[name] != 1 {
			t.Errorf("%s ran in %d shards, want 1", name, seen[name])
		}
	}
	if len(seen) != len(whole) {
		t.Errorf("the shards ran %d scenarios, the whole run %d", len(seen), len(whole))
	}
	parts, err := steps.Shards(fsys, "", n)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := steps.Shards(fsys, "", n)
	if fmt.Sprint(parts) != fmt.Sprint(again) {
		t.Fatal("the split is not stable")
	}
	lo, hi := sizes[0], sizes[0]
	for _, s := range sizes {
		lo, hi = min(lo, s), max(hi, s)
	}
	if hi-lo > 10 {
		t.Errorf("unbalanced shards: %v runs", sizes)
	}
}

// signatureBlind is a Mopay that accepts any signature value: a proxy in
// front of the simulator that learns each key's secret from registration and
// login answers and signs every request again, correctly.
func signatureBlind(t *testing.T, upstream string) string {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	secrets := map[string]string{}
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		r := pr.Out
		r.Host = pr.In.Host // as NewSingleHostReverseProxy's director kept it
		mu.Lock()
		secret, ok := secrets[r.Header.Get(mopaywire.HeaderKey)]
		mu.Unlock()
		if ok {
			r.Header.Set(mopaywire.HeaderSignature, mopaywire.Signature(secret, r.Header.Get(mopaywire.HeaderTimestamp)))
		}
	}}
	proxy.ModifyResponse = func(resp *http.Response) error {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		var env struct {
			DATA struct{ PbcKey, Secret string }
		}
		if json.Unmarshal(b, &env) == nil && env.DATA.PbcKey != "" {
			mu.Lock()
			secrets[env.DATA.PbcKey] = env.DATA.Secret
			mu.Unlock()
		}
		return nil
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return srv.URL + u.Path
}

// Run as a real deployment, with an account and without --allow-mutating
// (signing in is not mutating), the suite fails a Mopay that accepts any
// signature: the documented part of the signature scenarios runs on every
// target.
func TestSuiteFailsAMopayThatAcceptsAnySignature(t *testing.T) {
	herald := inProcess(t, 5)
	blind := signatureBlind(t, herald.Systems[mopay.System].BaseURL)
	account := map[string]string{mopay.ParamEmail: mopay.SeededNoticeEmail, mopay.ParamPassword: mopay.SeededNoticePassword}
	target := steps.Target{Name: "signature-blind Mopay", Systems: map[string]*steps.SystemTarget{mopay.System: {BaseURL: blind, Params: account}}}
	var out bytes.Buffer
	status := steps.Run(steps.RunOptions{Target: target, Modules: modules(t), Tags: "@auth", Format: "progress", Output: &out})
	if status != 1 || !strings.Contains(out.String(), "A wrongly signed request is refused") {
		t.Fatalf("status %d, want 1 with the signature scenario failed:\n%s", status, out.String())
	}
	// The same run against the simulator itself passes: the proxy is the fault.
	target.Systems[mopay.System].BaseURL = herald.Systems[mopay.System].BaseURL
	out.Reset()
	if status := steps.Run(steps.RunOptions{Target: target, Modules: modules(t), Tags: "@auth", Format: "progress", Output: &out}); status != 0 {
		t.Fatalf("as a real deployment, the simulator itself: status %d\n%s", status, out.String())
	}
}

// More scenarios at once than the Herald keeps worlds: they wait for one.
func TestConcurrencyAboveMaxWorlds(t *testing.T) {
	h, err := simulator.New(simulator.Options{Seed: 6, MaxWorlds: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	h.SetBaseURL(simulator.MainListener, srv.URL)
	target := steps.Herald(srv.URL+"/_herald/v1/", []steps.SystemInfo{{Name: mopay.System, Listener: "http", BasePath: "/mopay/", BaseURL: srv.URL + "/mopay/"}}, modules(t))
	var out bytes.Buffer
	if status := steps.Run(steps.RunOptions{Target: target, Modules: modules(t), Tags: "@newsletter", Format: "progress", Output: &out, Concurrency: 4}); status != 0 {
		t.Fatalf("status %d:\n%s", status, out.String())
	}
}

// A parameter no module reads is a usage error naming it.
func TestMisspeltParameter(t *testing.T) {
	target := steps.Target{Name: "staging", Systems: map[string]*steps.SystemTarget{mopay.System: {BaseURL: "http://127.0.0.1:1/", Params: map[string]string{"emial": "x"}}}}
	var out bytes.Buffer
	if status := steps.Run(steps.RunOptions{Target: target, Modules: modules(t), Output: &out}); status != 2 || !strings.Contains(out.String(), "systems.mopay.params.emial") {
		t.Fatalf("status %d:\n%s", status, out.String())
	}
}
