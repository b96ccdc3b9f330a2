package monnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"herald/simulator/engine"
)

// The deliveries list filters on merchantId, payoutId, orderId and state,
// each alone or together.
func TestDeliveriesListFilters(t *testing.T) {
	h := newHarness(t)
	n := h.sim.Notifier()
	for _, d := range []struct{ merchant, payout, order string }{
		{"22", "100", "A"}, {"22", "101", "B"}, {"234", "100", "A"}, {"234", "102", "C"},
	} {
		if _, err := n.Notify(t0(), d.merchant, d.payout, d.order, testBody()); err != nil {
			t.Fatal(err)
		}
	}
	for query, want := range map[string]string{
		"":                            "[ntf-1 ntf-2 ntf-3 ntf-4]",
		"merchantId=22":               "[ntf-1 ntf-2]",
		"merchantId=234":              "[ntf-3 ntf-4]",
		"payoutId=100":                "[ntf-1 ntf-3]",
		"orderId=C":                   "[ntf-4]",
		"state=pending":               "[ntf-1 ntf-2 ntf-3 ntf-4]",
		"state=delivered":             "[]",
		"merchantId=234&payoutId=100": "[ntf-3]",
	} {
		reply, err := h.sim.listDeliveries(&engine.Exchange{Request: httptest.NewRequest("GET", "/monnet/deliveries?"+query, nil)})
		if err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		var list []struct{ ID string }
		if err := json.Unmarshal(reply.Body, &list); err != nil {
			t.Fatalf("%s: %v: %s", query, err, reply.Body)
		}
		ids := []string{}
		for _, d := range list {
			ids = append(ids, d.ID)
		}
		if got := fmt.Sprint(ids); got != want {
			t.Errorf("?%s: %s, want %s", query, got, want)
		}
	}
}

// The notifier's schedule is changed in part: a body without
// attemptTimeout keeps the timeout, one with it sets it; a timeout that is
// not a positive duration is refused, naming the field.
func TestSetNotifierInPart(t *testing.T) {
	h := newHarness(t)
	set := func(body string) (map[string]any, error) {
		reply, err := h.sim.setNotifier(&engine.Exchange{Request: httptest.NewRequest("PUT", "/monnet/notifier", nil), Body: []byte(body)})
		if err != nil {
			return nil, err
		}
		var v map[string]any
		if err := json.Unmarshal(reply.Body, &v); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return v, nil
	}
	v, err := set(`{"attemptTimeout":"2s"}`)
	if err != nil || v["attemptTimeout"] != "2s" {
		t.Fatalf("set the timeout: %v %v", v, err)
	}
	v, err = set(`{"backoff":["0s","1m"]}`)
	if err != nil || v["attemptTimeout"] != "2s" || fmt.Sprint(v["backoff"]) != "[0s 1m0s]" {
		t.Fatalf("set the backoff alone: %v %v, want the timeout kept at 2s", v, err)
	}
	for _, bad := range []string{`{"attemptTimeout":"0s"}`, `{"attemptTimeout":"soon"}`, `{"attemptTimeout":"-1s"}`} {
		_, err := set(bad)
		var p *engine.Problem
		if !errors.As(err, &p) || p.Field != "attemptTimeout" {
			t.Errorf("%s: %v, want a problem naming attemptTimeout", bad, err)
		}
	}
}

// An attempt's latency is shown in milliseconds, to the microsecond.
func TestDeliveryJSONLatency(t *testing.T) {
	out := toJSON(Delivery{Attempts: []Attempt{{At: t0(), Latency: 1234567 * time.Nanosecond}, {At: t0(), Latency: 7 * time.Millisecond}}})
	if len(out.Attempts) != 2 || out.Attempts[0].LatencyMs != 1.235 || out.Attempts[1].LatencyMs != 7 {
		t.Fatalf("attempts %+v, want latencies 1.235 and 7 ms", out.Attempts)
	}
}
