package clock

import (
	"testing"
	"time"
)

type fixed struct{ t time.Time }

func (f *fixed) Now() time.Time { return f.t }

func TestControlled(t *testing.T) {
	src := &fixed{t: time.Unix(1000, 0)}
	c := NewControlled(src)
	if got := c.Now(); !got.Equal(time.Unix(1000, 0)) {
		t.Fatalf("follows source: got %v", got)
	}
	c.Set(time.Unix(5000, 0), true)
	src.t = time.Unix(1100, 0)
	if got := c.Now(); !got.Equal(time.Unix(5000, 0)) {
		t.Fatalf("frozen: got %v, want 5000", got.Unix())
	}
	c.Advance(90 * time.Second)
	if got := c.Now().Unix(); got != 5090 {
		t.Fatalf("frozen+advance: got %d, want 5090", got)
	}
	c.Set(time.Unix(7000, 0), false)
	src.t = time.Unix(1110, 0)
	if got := c.Now().Unix(); got != 7010 {
		t.Fatalf("running: got %d, want 7010", got)
	}
	c.Reset()
	if got := c.Now().Unix(); got != 1110 || c.Frozen() {
		t.Fatalf("reset: got %d frozen=%v", got, c.Frozen())
	}
}

func TestAdvanceWithin(t *testing.T) {
	c := NewControlled(&fixed{t: time.Unix(1000, 0)})
	lo, hi := time.Unix(500, 0), time.Unix(2000, 0)
	if to, ok := c.AdvanceWithin(500*time.Second, lo, hi); !ok || to.Unix() != 1500 || c.Now().Unix() != 1500 {
		t.Fatalf("inside: %v %v now %d", to, ok, c.Now().Unix())
	}
	if to, ok := c.AdvanceWithin(600*time.Second, lo, hi); ok || to.Unix() != 2100 || c.Now().Unix() != 1500 {
		t.Fatalf("past latest: %v %v now %d", to, ok, c.Now().Unix())
	}
	if _, ok := c.AdvanceWithin(time.Duration(1<<63-1), lo, hi); ok || c.Now().Unix() != 1500 {
		t.Fatalf("overflow moved the clock to %d", c.Now().Unix())
	}
}
