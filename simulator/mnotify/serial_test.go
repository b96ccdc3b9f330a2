package mnotify

import (
	"strings"
	"testing"

	wire "herald/specs/wire/mnotify"
)

// A serial number is hex, colons and a 0x prefix allowed, at most 64
// digits, not negative; it is kept in lowercase without leading zeros.
func TestNormalizeSerial(t *testing.T) {
	for in, want := range map[string]string{
		"0":                            "0",
		"00:0A":                        "a",
		"0x10:03":                      "1003",
		"0X" + strings.Repeat("F", 64): strings.Repeat("f", 64),
	} {
		if got, err := wire.NormalizeSerial(in); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0x", "zz", "-1", strings.Repeat("f", 65)} {
		if got, err := wire.NormalizeSerial(bad); err == nil {
			t.Errorf("%q: %q accepted", bad, got)
		}
	}
}

// The registry lists its registrations by serial number.
func TestRegistryEntriesBySerial(t *testing.T) {
	r, err := NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"30", "10", "20"} {
		if _, err := r.Register(s, Sender{Name: "s" + s}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, e := range r.Entries() {
		got = append(got, e.Serial)
	}
	if strings.Join(got, " ") != "10 20 30" {
		t.Fatalf("entries %v, want 10 20 30", got)
	}
}

// ItemsPerPage takes 1 to 100, both ends included.
func TestItemsPerPageBounds(t *testing.T) {
	h := newHarness(t)
	for range 3 {
		h.send("sender-a", simple(`[{"value":"2222222222222","type":"IDNP"}]`))
	}
	for q, want := range map[string]int{"ItemsPerPage=1": 1, "ItemsPerPage=1&Page=3": 1, "ItemsPerPage=1&Page=4": 0, "ItemsPerPage=100": 3} {
		var rows []struct{ ID string }
		h.do("sender-a", "GET", "/api/Notification?"+q, "").ok(t, &rows)
		if len(rows) != want {
			t.Errorf("%s: %d rows, want %d", q, len(rows), want)
		}
	}
	for _, q := range []string{"ItemsPerPage=0", "ItemsPerPage=101"} {
		h.do("sender-a", "GET", "/api/Notification?"+q, "").problem(t, 400, "ItemsPerPage")
	}
}
