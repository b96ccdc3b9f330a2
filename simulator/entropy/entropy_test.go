package entropy

import (
	"regexp"
	"testing"
)

func TestSameSeedSameValues(t *testing.T) {
	a, b := New(42), New(42)
	if x, y := a.Hex(16), b.Hex(16); x != y {
		t.Fatalf("same seed gave %s and %s", x, y)
	}
	if x, y := a.Digits(15), b.Digits(15); x != y {
		t.Fatalf("same seed gave %s and %s", x, y)
	}
	if x, y := New(1).Hex(16), New(2).Hex(16); x == y {
		t.Fatalf("different seeds gave the same value %s", x)
	}
}

func TestShapes(t *testing.T) {
	s := New(7)
	for _, c := range []struct {
		got string
		re  string
	}{{s.Digits(15), `^[0-9]{15}$`}, {s.Alnum(10), `^[a-z0-9]{10}$`}, {s.Hex(32), `^[0-9a-f]{64}$`}} {
		if !regexp.MustCompile(c.re).MatchString(c.got) {
			t.Errorf("%q does not match %s", c.got, c.re)
		}
	}
}

func TestRestart(t *testing.T) {
	s := New(9)
	first := s.Hex(8)
	s.Hex(8)
	s.Restart()
	if again := s.Hex(8); again != first {
		t.Fatalf("after Restart got %s, want %s", again, first)
	}
}

func TestDeriveIsIndependentAndReproducible(t *testing.T) {
	a1, b1 := New(7).Derive("a"), New(7).Derive("b")
	x := a1.Hex(8)
	_ = b1.Hex(100) // draws from b change nothing for a
	a2 := New(7).Derive("a")
	if got := a2.Hex(8); got != x {
		t.Fatalf("same seed and name gave %s then %s", x, got)
	}
	if New(7).Derive("b").Hex(8) == x || New(8).Derive("a").Hex(8) == x {
		t.Fatal("another name or seed gave the same stream")
	}
	a2.Restart()
	if got := a2.Hex(8); got != x {
		t.Fatalf("restart of a derived stream: got %s, want %s", got, x)
	}
}
