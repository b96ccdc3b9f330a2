package monnet

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// The status read gives back the payout as requested: its description and
// subMerchantInfo when it had them, and neither key when it had not.
func TestStatusReadEchoesTheRequest(t *testing.T) {
	h := newHarness(t)
	with := bytes.Replace(payoutBody("R-1", "for rent"), []byte(`"orderId"`), []byte(`"subMerchantInfo":{"code":"1111","name":"Prueba","url":"http://prueba.com"},"orderId"`), 1)
	if status, v := h.do("POST", "/api/v1/22/payouts", with, nil); status != 201 {
		t.Fatalf("create: %d %v", status, v)
	}
	if status, v := h.do("POST", "/api/v1/22/payouts", payoutBody("R-2", ""), nil); status != 201 {
		t.Fatalf("create: %d %v", status, v)
	}
	_, v := h.do("GET", "/api/v1/22/payouts/100", nil, nil)
	po, _ := v["payout"].(map[string]any)
	want := map[string]any{"code": "1111", "name": "Prueba", "url": "http://prueba.com"}
	if po["description"] != "for rent" || !reflect.DeepEqual(po["subMerchantInfo"], want) {
		t.Errorf("payout 100: %v, want its description and subMerchantInfo", po)
	}
	_, v = h.do("GET", "/api/v1/22/payouts/101", nil, nil)
	po, _ = v["payout"].(map[string]any)
	if _, has := po["description"]; has {
		t.Errorf("payout 101 has a description: %v", po)
	}
	if _, has := po["subMerchantInfo"]; has {
		t.Errorf("payout 101 has subMerchantInfo: %v", po)
	}
	if b, _ := json.Marshal(po); po["orderId"] != "R-2" {
		t.Errorf("payout 101: %s", b)
	}
}

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 3, "abc"}, {"abcd", 3, "abc…"}, {"ab", 3, "ab"}} {
		if got := clip(c.in, c.n); got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
