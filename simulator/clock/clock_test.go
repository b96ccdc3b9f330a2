package clock

import (
	"testing"
	"time"
)

type fixed struct{ t time.Time }

func (f *fixed) Now() time.Time { return f.t }

// at is a time inside the clock's range, base plus s seconds.
func at(s int64) time.Time { return time.Unix(2_000_000_000+s, 0) }

func TestControlled(t *testing.T) {
	src := &fixed{t: at(1000)}
	c := NewControlled(src)
	if got := c.Now(); !got.Equal(at(1000)) {
		t.Fatalf("follows source: got %v", got)
	}
	c.Set(at(5000), true)
	src.t = at(1100)
	if got := c.Now(); !got.Equal(at(5000)) {
		t.Fatalf("frozen: got %v, want %v", got, at(5000))
	}
	c.AdvanceWithin(90*time.Second, Earliest, Latest)
	if got := c.Now(); !got.Equal(at(5090)) {
		t.Fatalf("frozen+advance: got %v, want %v", got, at(5090))
	}
	c.Set(at(7000), false)
	src.t = at(1110)
	if got := c.Now(); !got.Equal(at(7010)) {
		t.Fatalf("running: got %v, want %v", got, at(7010))
	}
	c.Reset()
	if got := c.Now(); !got.Equal(at(1110)) || c.Frozen() {
		t.Fatalf("reset: got %v frozen=%v", got, c.Frozen())
	}
}

func TestAdvanceWithin(t *testing.T) {
	c := NewControlled(&fixed{t: at(1000)})
	lo, hi := at(500), at(2000)
	if to, ok := c.AdvanceWithin(500*time.Second, lo, hi); !ok || !to.Equal(at(1500)) || !c.Now().Equal(at(1500)) {
		t.Fatalf("inside: %v %v now %v", to, ok, c.Now())
	}
	if to, ok := c.AdvanceWithin(600*time.Second, lo, hi); ok || !to.Equal(at(2100)) || !c.Now().Equal(at(1500)) {
		t.Fatalf("past latest: %v %v now %v", to, ok, c.Now())
	}
	if _, ok := c.AdvanceWithin(time.Duration(1<<63-1), lo, hi); ok || !c.Now().Equal(at(1500)) {
		t.Fatalf("overflow moved the clock to %v", c.Now())
	}
}

// A running clock set near the end of its range stops there rather than
// running past it (it once reached unix 10000000000 two seconds later).
func TestRunningClockStaysInRange(t *testing.T) {
	src := &fixed{t: at(0)}
	c := NewControlled(src)
	if !c.Set(Latest.Add(-time.Second), false) {
		t.Fatal("set near the end refused")
	}
	src.t = at(10)
	if got := c.Now(); !got.Equal(Latest) {
		t.Fatalf("ran to %v, past %v", got, Latest)
	}
	if c.Set(Latest.Add(time.Second), true) || c.Set(Earliest.Add(-time.Second), true) {
		t.Fatal("set outside the range accepted")
	}
	// Advancing from the pinned end backwards works from where it shows.
	if to, ok := c.AdvanceWithin(-time.Minute, Earliest, Latest); !ok || !to.Equal(Latest.Add(-time.Minute)) {
		t.Fatalf("back from the end: %v %v", to, ok)
	}
}

func TestChangedWakesOnEveryMove(t *testing.T) {
	c := NewControlled(&fixed{t: at(0)})
	for i, move := range []func(){
		func() { c.Set(at(10), true) },
		func() { c.AdvanceWithin(time.Second, Earliest, Latest) },
		c.Reset,
	} {
		ch := c.Changed()
		select {
		case <-ch:
			t.Fatalf("move %d: closed before the move", i)
		default:
		}
		move()
		select {
		case <-ch:
		default:
			t.Fatalf("move %d: nobody woken", i)
		}
	}
}
