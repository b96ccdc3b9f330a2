package mopay

import (
	"testing"

	"herald/fixtures"
	"herald/specs"
)

// Worlds built from one parsed seed each get records of their own: a world
// that changes a record never changes another's.
func TestWorldsCopyTheSharedSeed(t *testing.T) {
	seed, err := fixtures.LoadMopaySeed()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := specs.Load(specs.Mopay)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := prepare(seed, doc)
	if err != nil {
		t.Fatal(err)
	}
	w1, err := New(Config{Seed: seed, Doc: doc, shared: shared})
	if err != nil {
		t.Fatal(err)
	}
	w2, err := New(Config{Seed: seed, Doc: doc, shared: shared})
	if err != nil {
		t.Fatal(err)
	}
	if w1.errors != w2.errors {
		t.Fatal("two worlds of one Herald read the error catalogue twice")
	}
	if len(w1.st.locations) == 0 || len(w1.st.locations) != len(shared.records.locations) {
		t.Fatalf("w1 has %d seeded locations; the seed has %d", len(w1.st.locations), len(shared.records.locations))
	}
	if w1.st.locations[0] == w2.st.locations[0] || w1.st.locations[0] == shared.records.locations[0] {
		t.Fatal("two worlds share a seeded location record")
	}
	for user, ns := range w1.st.notices {
		if len(ns) == 0 || len(w2.st.notices[user]) != len(ns) {
			t.Fatalf("user %s: w1 has %d notices, w2 %d", user, len(ns), len(w2.st.notices[user]))
		}
		if ns[0] == w2.st.notices[user][0] {
			t.Fatalf("user %s: two worlds share a seeded notice", user)
		}
		ns[0].Subject = "changed in w1"
		if w2.st.notices[user][0].Subject == "changed in w1" {
			t.Fatal("a change in w1 shows in w2")
		}
	}
}
