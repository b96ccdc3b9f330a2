package mopay

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"herald/simulator/engine"
	"herald/simulator/system"
	wire "herald/specs/wire/mopay"
)

// observed is a harness whose engine hands every observation to last.
type observed struct {
	*harness
	mu   sync.Mutex
	seen []engine.Observation
}

func newObserved(t *testing.T, limit int) *observed {
	t.Helper()
	o := &observed{}
	faults := &engine.Faults{}
	sim, c := frozenSim(t, Config{RateLimit: limit, Engine: system.EngineDefaults{Faults: faults, Observe: func(ob engine.Observation) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.seen = append(o.seen, ob)
	}}})
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	o.harness = &harness{t: t, sim: sim, srv: srv, clock: c, faults: faults}
	return o
}

func (o *observed) last() engine.Observation {
	o.t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		o.t.Fatal("nothing observed")
	}
	return o.seen[len(o.seen)-1]
}

// Every authentication outcome is explained for the journal: which header,
// which key (by whom and when it was issued), the exact bytes signed, and
// what a refused signature looks like. The note never holds the key, the
// secret, nor a signature.
func TestAuthenticationNotes(t *testing.T) {
	o := newObserved(t, RateLimit)
	c := o.login("amara.okafor@example.com", "Notices2023")
	good := o.signed(c)
	ts := good.Get(wire.HeaderTimestamp)
	key := `the key issued at login to amara.okafor@example.com (`
	for _, tc := range []struct {
		name   string
		change func(http.Header)
		status int
		want   []string
	}{
		{"valid", func(http.Header) {}, 200,
			[]string{"signed over `{\"timestamp\":\"" + ts + "\"}` with " + key, `on device "dev-1" at 2023-11-14T22:13:20Z (valid); timestamp 0 s from the server time`}},
		{"no key", func(hd http.Header) { hd.Del(wire.HeaderKey) }, 401, []string{"header MPY-SECUREKEY is missing"}},
		{"no timestamp", func(hd http.Header) { hd.Set(wire.HeaderTimestamp, " ") }, 401, []string{"header MPY-TIMESTAMP is missing or empty"}},
		{"no signature", func(hd http.Header) { hd.Del(wire.HeaderSignature) }, 401, []string{"header MPY-REQSIGNAL is missing"}},
		{"unknown key", func(hd http.Header) { hd.Set(wire.HeaderKey, strings.Repeat("ab", 32)) }, 401,
			[]string{"header MPY-SECUREKEY names no key issued by registration or login"}},
		{"stale", func(hd http.Header) {
			ts := fmt.Sprint(o.clock.Now().Unix() - 301)
			hd.Set(wire.HeaderTimestamp, ts)
			hd.Set(wire.HeaderSignature, wire.Signature(c.Secret, ts))
		}, 401, []string{"timestamp 1699999699 is 301 s behind the server time 1700000000; at most 300 s either way are allowed", key}},
		{"future", func(hd http.Header) {
			ts := fmt.Sprint(o.clock.Now().Unix() + 400)
			hd.Set(wire.HeaderTimestamp, ts)
			hd.Set(wire.HeaderSignature, wire.Signature(c.Secret, ts))
		}, 401, []string{"is 400 s ahead of the server time"}},
		{"junk timestamp", func(hd http.Header) { hd.Set(wire.HeaderTimestamp, "yesterday") }, 401,
			[]string{`header MPY-TIMESTAMP is "yesterday", not unix seconds`}},
		{"tampered", func(hd http.Header) { hd.Set(wire.HeaderSignature, strings.Repeat("0", 128)) }, 401,
			[]string{"signature is over `{\"timestamp\":\"" + ts + "\"}` with " + key, "and the request's does not match"}},
		{"with a space", func(hd http.Header) {
			hd.Set(wire.HeaderSignature, wire.SignContent(c.Secret, wire.SpacedContent(ts)))
		}, 401, []string{"the request's is over `{\"timestamp\": \"" + ts + "\"}`, with a space after each colon"}},
		{"short", func(hd http.Header) { hd.Set(wire.HeaderSignature, strings.Repeat("a", 64)) }, 401,
			[]string{"the request's has 64 hex digits, where HMAC-SHA512 has 128"}},
		{"not hex", func(hd http.Header) { hd.Set(wire.HeaderSignature, "base64+/=") }, 401, []string{"the request's is not hexadecimal"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hd := good.Clone()
			tc.change(hd)
			if a := o.do("GET", "/user_notice_fetch", hd, ""); a.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", a.Status, tc.status, a.Raw)
			}
			auth := o.last().Auth
			if !auth.Checked || (auth.Err == nil) != (tc.status == 200) {
				t.Errorf("auth %+v", auth)
			}
			for _, w := range tc.want {
				if !strings.Contains(auth.Note, w) {
					t.Errorf("note %q\nlacks %q", auth.Note, w)
				}
			}
			for _, secret := range []string{c.Secret, c.PbcKey, hd.Get(wire.HeaderSignature), wire.Signature(c.Secret, ts)} {
				if secret != "" && strings.Contains(auth.Note, secret) {
					t.Errorf("note %q shows a secret, key or signature", auth.Note)
				}
			}
		})
	}
}

// A key issued at registration says so, and the request over the rate
// limit is explained with the count and the limit.
func TestAuthenticationNotesOfRegistrationAndRateLimit(t *testing.T) {
	o := newObserved(t, 1)
	c := o.register("notes@example.com")
	o.do("GET", "/user_notice_fetch", o.signed(c), "")
	if n := o.last().Auth.Note; !strings.Contains(n, "the key issued at registration to notes@example.com ("+c.UserID+`) on device "dev-1"`) {
		t.Errorf("note %q: want the registration named", n)
	}
	if a := o.do("GET", "/user_notice_fetch", o.signed(c), ""); a.Status != 429 {
		t.Fatalf("status %d, want 429", a.Status)
	}
	if n := o.last().Auth.Note; !strings.Contains(n, "(valid)") || !strings.Contains(n, "request 2 within 1m0s with this key is over the limit of 1") {
		t.Errorf("note %q: want the signature valid and the limit named", n)
	}
}

// An action named by ?req= or the path that Mopay does not have names the
// closest one; a request that names none says so.
func TestClosestAction(t *testing.T) {
	o := newObserved(t, 0)
	for _, c := range []struct {
		target string
		op     string
		want   []string
	}{
		{"/?req=user_notice_fetc", "user_notice_fetch", []string{"action `user_notice_fetc` is not documented; the closest is `user_notice_fetch`"}},
		{"/user_notifcation_fetch", "user_notification_fetch", []string{"action `user_notifcation_fetch` is not documented; the closest is `user_notification_fetch`"}},
		{"/?req=User_Profile_Login", "user_profile_login", []string{"method GET; the operation takes POST", "action case: the document spells it user_profile_login"}},
		{"/?page=2", "", []string{"no action named: name one with ?req=<action> or the path /<action>"}},
	} {
		o.do("GET", c.target, nil, "")
		m := o.last().Miss
		if m == nil || m.OperationID != c.op || !reflect.DeepEqual(m.Differences, c.want) {
			t.Errorf("GET %s: miss %+v, want %s with %q", c.target, m, c.op, c.want)
		}
	}
}
