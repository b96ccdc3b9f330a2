package mopay

import (
	"net/http"
	"testing"
	"time"
)

type fakeClock struct {
	t     time.Time
	slept []time.Duration
}

func (c *fakeClock) now() time.Time { return c.t }
func (c *fakeClock) sleep(d time.Duration) {
	c.slept = append(c.slept, d)
	c.t = c.t.Add(d)
}

// The requests of one key are spaced to the limit in any window; another
// key's are not held back by them.
func TestPacerKeepsAKeyWithinItsLimit(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	p := newPacer(3, time.Minute, c.now, c.sleep)
	for i := 0; i < 3; i++ {
		p.take("a")
		c.t = c.t.Add(time.Second)
	}
	p.take("b")
	if len(c.slept) != 0 {
		t.Fatalf("slept %v within the limit", c.slept)
	}
	p.take("a") // the 4th within a minute waits for the 1st to leave the window
	if len(c.slept) != 1 || c.slept[0] != 57*time.Second {
		t.Fatalf("slept %v, want 57s", c.slept)
	}
	p.take("a")
	if len(c.slept) != 2 || c.slept[1] != time.Second {
		t.Fatalf("slept %v, want 1s more", c.slept)
	}
}

func TestPacerWaitsAsTheAnswerAsks(t *testing.T) {
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	p := newPacer(3, time.Minute, c.now, c.sleep)
	p.wait(http.Header{"Retry-After": {"7"}})
	p.wait(http.Header{})
	p.wait(http.Header{"Retry-After": {"3600"}})
	if len(c.slept) != 3 || c.slept[0] != 7*time.Second || c.slept[1] != time.Minute || c.slept[2] != time.Minute {
		t.Fatalf("slept %v", c.slept)
	}
}
