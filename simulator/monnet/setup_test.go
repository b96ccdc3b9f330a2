package monnet

import (
	"errors"
	"testing"
	"time"

	"herald/fixtures"
	"herald/simulator/entropy"
)

// ParseBackoff reads comma-separated durations, spaces allowed, and applies
// CheckBackoff's rules.
func TestParseBackoff(t *testing.T) {
	got, err := ParseBackoff("0s, 10s,1m")
	if err != nil || FormatBackoff(got) != "0s,10s,1m0s" {
		t.Fatalf("ParseBackoff: %v %v", got, err)
	}
	for _, bad := range []string{"1m,10s", "-1s", "soon", ""} {
		if got, err := ParseBackoff(bad); err == nil {
			t.Errorf("%q: %v accepted", bad, got)
		}
	}
}

// A seeded merchant's receiver URL is set on the notifier, unless the
// notifier already has one for it; a merchant without one gets none.
func TestSeededReceivers(t *testing.T) {
	n, _ := newTestNotifier(t, nil)
	n.SetReceiver("3", "http://127.0.0.1:1/mine")
	seed := &fixtures.MonnetSeed{Merchants: []fixtures.MonnetMerchant{
		{MerchantID: "1", APIKey: "k1", APISecret: "s1", ReceiverURL: "http://127.0.0.1:1/seeded"},
		{MerchantID: "2", APIKey: "k2", APISecret: "s2"},
		{MerchantID: "3", APIKey: "k3", APISecret: "s3", ReceiverURL: "http://127.0.0.1:1/seeded-3"},
	}}
	if _, err := New(Config{Random: entropy.New(1), Notifier: n, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"1": "http://127.0.0.1:1/seeded", "2": "", "3": "http://127.0.0.1:1/mine"} {
		if got, set := n.Receiver(id); got != want || set != (want != "") {
			t.Errorf("merchant %s: receiver %q (set %v), want %q", id, got, set, want)
		}
	}
	// Without a notifier, the seed's URLs are simply not used.
	if _, err := New(Config{Random: entropy.New(1), Seed: seed}); err != nil {
		t.Fatal(err)
	}
}

// The same seed gives the same authorization codes: the Random given is
// the one used.
func TestSameSeedSameAuthorizationCode(t *testing.T) {
	code := func() any {
		h := newHarness(t)
		if status, v := h.do("POST", "/api/v1/22/payouts", payoutBody("SEED-1", ""), nil); status != 201 {
			t.Fatalf("create: %d %v", status, v)
		}
		h.sched.runUntil(t0().Add(time.Hour))
		h.sched.clock.Set(t0().Add(time.Hour), true)
		_, v := h.do("GET", "/api/v1/22/payouts/100", nil, nil)
		out, _ := v["output"].(map[string]any)
		return out["authorizationCode"]
	}
	a, b := code(), code()
	if a == nil || a != b {
		t.Fatalf("authorization codes %v and %v, want one and the same", a, b)
	}
}

// Withheld deliveries take their ids from the same sequence as the others.
func TestWithheldDeliveryIDs(t *testing.T) {
	n, _ := newTestNotifier(t, nil)
	first, _ := n.Notify(t0(), "22", "1", "O", testBody())
	second := n.Withhold(t0(), "22", "2", "O", testBody(), errTest)
	third := n.Withhold(t0(), "22", "3", "O", testBody(), errTest)
	if first != "ntf-1" || second != "ntf-2" || third != "ntf-3" {
		t.Fatalf("ids %s %s %s, want ntf-1 ntf-2 ntf-3", first, second, third)
	}
}

var errTest = errors.New("the body violates the spec")
