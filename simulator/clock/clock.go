package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// System is the real clock.
type System struct{}

// Now returns the current time.
func (System) Now() time.Time { return time.Now() }

// The range a Controlled clock stays in: where unix seconds have 10 digits,
// as Mopay's records and cursors assume.
var (
	Earliest = time.Unix(1_000_000_000, 0).UTC()
	Latest   = time.Unix(9_999_999_999, 0).UTC()
)

// Controlled is a clock that follows a source clock until it is set. Once
// set, it either stands still (frozen) or runs on from the time it was given.
// It never leaves [Earliest, Latest]: a running clock that reaches Latest
// stays there. Whoever waits for simulated time learns of every move through
// Changed. It is safe for concurrent use.
type Controlled struct {
	mu      sync.Mutex
	source  Clock
	frozen  bool
	at      time.Time     // the time, when frozen
	offset  time.Duration // added to the source, when running
	changed chan struct{} // closed, and replaced, on every move
}

// NewControlled returns a clock that follows source.
func NewControlled(source Clock) *Controlled {
	if source == nil {
		source = System{}
	}
	return &Controlled{source: source, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *Controlled) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Controlled) nowLocked() time.Time {
	t := c.at
	if !c.frozen {
		t = c.source.Now().Add(c.offset)
	}
	switch {
	case t.After(Latest):
		return Latest
	case t.Before(Earliest):
		return Earliest
	}
	return t
}

// Changed returns a channel that is closed at the clock's next move (Set,
// advance or Reset). Take a new one after each close.
func (c *Controlled) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// moved wakes whoever waits on Changed. Call with c.mu held.
func (c *Controlled) moved() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// InRange reports whether t is a time the clock can be at.
func InRange(t time.Time) bool { return !t.Before(Earliest) && !t.After(Latest) }

// Set moves the clock to t, which must be InRange (else Set reports false and
// the clock stays). A frozen clock then stays at t until it is advanced;
// otherwise it runs on from t.
func (c *Controlled) Set(t time.Time, frozen bool) bool {
	if !InRange(t) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = frozen
	c.at = t
	c.offset = t.Sub(c.source.Now())
	c.moved()
	return true
}

// AdvanceWithin moves the clock by d if it then stays within [earliest,
// latest] (and the clock's own range), and returns where the move would take
// it; checking and moving are one step, so concurrent moves cannot together
// leave the range.
func (c *Controlled) AdvanceWithin(d time.Duration, earliest, latest time.Time) (to time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.nowLocked()
	to = now.Add(d)
	if (d > 0 && to.Before(now)) || (d < 0 && to.After(now)) || to.Before(earliest) || to.After(latest) || !InRange(to) {
		return to, false
	}
	// Move from where the clock is, clamped: a running clock pinned at
	// Latest has an offset beyond it.
	c.at = to
	c.offset = to.Sub(c.source.Now())
	c.moved()
	return to, true
}

// Reset makes the clock follow its source again.
func (c *Controlled) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen, c.at, c.offset = false, time.Time{}, 0
	c.moved()
}

// Frozen reports whether the clock stands still.
func (c *Controlled) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen
}
