package monnet

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"

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
