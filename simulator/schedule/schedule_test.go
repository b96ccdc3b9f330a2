package schedule

import (
	"context"
	"sync"
	"testing"
	"time"

	"herald/simulator/clock"
)

// waitFor waits until ok holds, or fails the test after a generous bound:
// this checks that something happens, never how fast.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: did not happen", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type log struct {
	mu  sync.Mutex
	ran []string
}

func (l *log) job(name string) Job {
	return func(context.Context) { l.mu.Lock(); l.ran = append(l.ran, name); l.mu.Unlock() }
}

func (l *log) got() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ran...)
}

func TestRunsOnRealTime(t *testing.T) {
	c := clock.NewControlled(nil)
	s := New(c)
	s.Start(context.Background())
	defer s.Stop()
	var l log
	s.After(20*time.Millisecond, l.job("soon"))
	waitFor(t, "a job due in 20ms on a running clock runs", func() bool { return len(l.got()) == 1 })
}

func TestFrozenClockRunsOnlyWhenAdvanced(t *testing.T) {
	c := clock.NewControlled(nil)
	c.Set(time.Unix(2_000_000_000, 0), true)
	s := New(c)
	s.Start(context.Background())
	defer s.Stop()
	var l log
	s.After(time.Hour, l.job("b"))
	s.After(time.Minute, l.job("a"))
	s.After(time.Hour, l.job("c")) // same time as b: runs after it
	s.After(2*time.Hour, l.job("later"))
	s.RunDue() // what the background loop runs, at once: nothing is due on a frozen clock
	if got := l.got(); len(got) != 0 {
		t.Fatalf("ran on a frozen clock: %v", got)
	}
	c.AdvanceWithin(time.Hour, clock.Earliest, clock.Latest)
	s.RunDue() // as the control API does after a move
	if got := l.got(); len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("after advancing 1h: ran %v, want [a b c]", got)
	}
	if s.Pending() != 1 {
		t.Fatalf("pending %d, want 1", s.Pending())
	}
	// Without RunDue, the background loop notices the move itself.
	c.AdvanceWithin(time.Hour, clock.Earliest, clock.Latest)
	waitFor(t, "the background loop runs what a move made due", func() bool { return len(l.got()) == 4 })
}

func TestJobsScheduledByJobsForNowRun(t *testing.T) {
	c := clock.NewControlled(nil)
	c.Set(time.Unix(2_000_000_000, 0), true)
	s := New(c)
	s.Start(context.Background())
	defer s.Stop()
	var l log
	s.After(0, func(ctx context.Context) { l.job("first")(ctx); s.After(0, l.job("second")) })
	s.RunDue()
	if got := l.got(); len(got) != 2 {
		t.Fatalf("ran %v", got)
	}
}

func TestStopCancelsAndWaits(t *testing.T) {
	c := clock.NewControlled(nil)
	s := New(c)
	s.Start(context.Background())
	started := make(chan struct{})
	finished := false
	if !s.Go(func(ctx context.Context) { close(started); <-ctx.Done(); finished = true }) {
		t.Fatal("Go refused on a started scheduler")
	}
	<-started
	s.Stop()
	if !finished {
		t.Fatal("Stop returned before the goroutine ended")
	}
	if s.Go(func(context.Context) {}) {
		t.Fatal("Go ran on a stopped scheduler")
	}
	// A stopped scheduler keeps its queue; Clear empties it; Start resumes.
	var l log
	c.Set(time.Unix(2_000_000_000, 0), true)
	s.At(c.Now(), l.job("kept"))
	s.RunDue()
	if len(l.got()) != 0 {
		t.Fatal("a stopped scheduler ran a job")
	}
	s.Start(context.Background())
	waitFor(t, "a job queued while stopped runs after Start", func() bool { return len(l.got()) == 1 })
	s.Stop()
	s.At(c.Now(), l.job("dropped"))
	s.Clear()
	s.Start(context.Background())
	s.RunDue()
	s.Stop()
	if got := l.got(); len(got) != 1 {
		t.Fatalf("a cleared job ran: %v", got)
	}
}
