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

// Controlled is a clock that follows a source clock until it is set. Once
// set, it either stands still (frozen) or runs on from the time it was given.
// It is safe for concurrent use.
type Controlled struct {
	mu     sync.Mutex
	source Clock
	frozen bool
	at     time.Time     // the time, when frozen
	offset time.Duration // added to the source, when running
}

// NewControlled returns a clock that follows source.
func NewControlled(source Clock) *Controlled {
	if source == nil {
		source = System{}
	}
	return &Controlled{source: source}
}

// Now returns the clock's time.
func (c *Controlled) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen {
		return c.at
	}
	return c.source.Now().Add(c.offset)
}

// Set moves the clock to t. A frozen clock then stays at t until it is
// advanced; otherwise it runs on from t.
func (c *Controlled) Set(t time.Time, frozen bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = frozen
	c.at = t
	c.offset = t.Sub(c.source.Now())
}

// Advance moves the clock forward by d (backward when d < 0).
func (c *Controlled) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
	c.offset += d
}

// AdvanceWithin moves the clock by d if it then stays within [earliest,
// latest], and returns where the move would take it; checking and moving
// are one step, so concurrent moves cannot together leave the range.
func (c *Controlled) AdvanceWithin(d time.Duration, earliest, latest time.Time) (to time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.at
	if !c.frozen {
		now = c.source.Now().Add(c.offset)
	}
	to = now.Add(d)
	if (d > 0 && to.Before(now)) || (d < 0 && to.After(now)) || to.Before(earliest) || to.After(latest) {
		return to, false
	}
	c.at = c.at.Add(d)
	c.offset += d
	return to, true
}

// Reset makes the clock follow its source again.
func (c *Controlled) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen, c.at, c.offset = false, time.Time{}, 0
}

// Frozen reports whether the clock stands still.
func (c *Controlled) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen
}
