package monnet

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/system"
	wire "herald/specs/wire/monnet"
)

// observedHarness is a harness whose engine records every observation.
type observedHarness struct {
	*harness
	mu   sync.Mutex
	seen []engine.Observation
}

func newObservedHarness(t *testing.T) *observedHarness {
	t.Helper()
	o := &observedHarness{}
	sched := newFakeScheduler(t0())
	sim, err := New(Config{Clock: sched.clock, Random: entropy.New(1), Engine: system.EngineDefaults{Observe: func(ob engine.Observation) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.seen = append(o.seen, ob)
	}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	o.harness = &harness{t: t, sim: sim, sched: sched, srv: srv}
	return o
}

func (o *observedHarness) last() engine.Observation {
	o.t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		o.t.Fatal("nothing observed")
	}
	return o.seen[len(o.seen)-1]
}

// setQuery replaces (or, with "", removes) a query parameter of a signed
// request.
func setQuery(name, value string) func(r *http.Request) {
	return func(r *http.Request) {
		q := r.URL.Query()
		if value == "" {
			q.Del(name)
		} else {
			q.Set(name, value)
		}
		r.URL.RawQuery = q.Encode()
	}
}

// Every outcome of the payout API's authentication is explained for the
// journal: which field, the merchant, the exact text signed, the timestamp
// window, what a refused signature looks like. The note never holds the API
// key, its secret, nor a signature.
func TestAuthenticationNotes(t *testing.T) {
	o := newObservedHarness(t)
	now := o.sched.clock.Now().UnixMilli()
	body := payoutBody("NOTE-1", "")
	content := wire.PayoutContent("POST", "/api/v1/22/payouts", strconv.FormatInt(now, 10), body)
	stale := strconv.FormatInt(now-301_000, 10)
	for _, tc := range []struct {
		name   string
		mutate func(r *http.Request)
		status int
		want   []string
	}{
		{"valid", nil, 201, []string{"signed with merchant 22's API key and secret (valid); timestamp 0 ms from the server time"}},
		{"no key", func(r *http.Request) { r.Header.Del(wire.HeaderAPIKey) }, 401, []string{"header monnet-api-key is missing"}},
		{"unknown key", func(r *http.Request) { r.Header.Set(wire.HeaderAPIKey, "not-a-key") }, 401, []string{"unknown API key"}},
		{"another merchant's key", func(r *http.Request) { r.Header.Set(wire.HeaderAPIKey, key234) }, 401,
			[]string{`merchant mismatch: the API key is merchant 234's, and the path names merchant "22"`}},
		{"no timestamp", setQuery("timestamp", ""), 401, []string{"query timestamp missing (merchant 22)"}},
		{"junk timestamp", setQuery("timestamp", "soon"), 401, []string{`query timestamp is "soon", not Unix milliseconds`}},
		{"stale", func(r *http.Request) {
			setQuery("timestamp", stale)(r)
			setQuery("signature", wire.PayoutSignature(secret22, "POST", "/api/v1/22/payouts", stale, body))(r)
		}, 401, []string{"query timestamp " + stale + " is 301000 ms behind the server time " + strconv.FormatInt(now, 10) + "; at most 300 s either way are allowed"}},
		{"no signature", setQuery("signature", ""), 401, []string{"query signature missing (merchant 22)"}},
		{"tampered", setQuery("signature", strings.Repeat("0", 64)), 401,
			[]string{"signature does not match: computed over `" + content + "` with merchant 22's API secret", "check the API secret and the signed text (the body is"}},
		{"short", setQuery("signature", strings.Repeat("a", 128)), 401, []string{"the request's has 128 hex digits, where HMAC-SHA256 has 64"}},
		{"not hex", setQuery("signature", "zz"), 401, []string{"the request's is not hexadecimal"}},
		{"empty body signed", setQuery("signature", wire.PayoutSignature(secret22, "POST", "/api/v1/22/payouts", strconv.FormatInt(now, 10), nil)), 401,
			[]string{"the request's is over an empty body: sign the SHA-256 of the " + strconv.Itoa(len(body)) + " bytes sent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent *http.Request
			status, v := o.do("POST", "/api/v1/22/payouts", body, func(r *http.Request) {
				if tc.mutate != nil {
					tc.mutate(r)
				}
				sent = r
			})
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, v)
			}
			auth := o.last().Auth
			if !auth.Checked || (auth.Err == nil) != (tc.status == 201) {
				t.Errorf("auth %+v", auth)
			}
			for _, w := range tc.want {
				if !strings.Contains(auth.Note, w) {
					t.Errorf("note %q\nlacks %q", auth.Note, w)
				}
			}
			sig := sent.URL.Query().Get("signature")
			right := wire.PayoutSignature(secret22, "POST", "/api/v1/22/payouts", strconv.FormatInt(now, 10), body)
			for _, secret := range []string{key22, key234, secret22, sig, right} {
				if secret != "" && strings.Contains(auth.Note, secret) {
					t.Errorf("note %q shows a key, secret or signature", auth.Note)
				}
			}
		})
	}
}

// A path signed unescaped is named; the note shows the escaped text signed.
func TestAuthenticationNoteOfAnUnescapedPath(t *testing.T) {
	o := newObservedHarness(t)
	o.sched.clock.Set(t0().Add(time.Second), true)
	ts := strconv.FormatInt(o.sched.clock.Now().UnixMilli(), 10)
	escaped, plain := "/api/v1/22/payouts/a%20b", "/api/v1/22/payouts/a b"
	target := o.srv.URL + escaped + "?" + url.Values{"timestamp": {ts}, "signature": {wire.PayoutSignature(secret22, "GET", plain, ts, nil)}}.Encode()
	req, _ := http.NewRequest("GET", target, nil)
	req.Header.Set(wire.HeaderAPIKey, key22)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	n := o.last().Auth.Note
	for _, w := range []string{"computed over `GET:" + escaped + "?timestamp=" + ts + ":", "the request's is over the path unescaped, `\"" + plain + "\"`"} {
		if !strings.Contains(n, w) {
			t.Errorf("note %q\nlacks %q", n, w)
		}
	}
}

// A path Monnet does not have names the closest operation.
func TestClosestOperation(t *testing.T) {
	o := newObservedHarness(t)
	o.do("POST", "/api/v1/22/payout", payoutBody("NOTE-2", ""), nil)
	want := []string{"segment 4 is `payout`, the document has `payouts`"}
	if m := o.last().Miss; m == nil || m.OperationID != "createPayout" || !reflect.DeepEqual(m.Differences, want) {
		t.Errorf("miss %+v, want createPayout with %q", m, want)
	}
}
