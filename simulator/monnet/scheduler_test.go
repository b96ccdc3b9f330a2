package monnet

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"herald/simulator/clock"
)

// fakeScheduler is a heap of jobs that a test runs by hand, moving a frozen
// clock to each job's time.
type fakeScheduler struct {
	mu    sync.Mutex
	clock *clock.Controlled
	jobs  jobHeap
	seq   int
}

type job struct {
	at  time.Time
	seq int
	run func(ctx context.Context)
}

type jobHeap []job

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h jobHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)   { *h = append(*h, x.(job)) }
func (h *jobHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func newFakeScheduler(start time.Time) *fakeScheduler {
	c := clock.NewControlled(nil)
	c.Set(start, true)
	return &fakeScheduler{clock: c}
}

func (s *fakeScheduler) At(t time.Time, run func(ctx context.Context)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	heap.Push(&s.jobs, job{at: t, seq: s.seq, run: run})
}

// Go runs f at once, on the caller's goroutine, so that tests stay in step.
func (s *fakeScheduler) Go(f func(ctx context.Context)) bool {
	f(context.Background())
	return true
}

// runUntil runs, in time order, every job due by t (including jobs they
// schedule), then leaves the clock at t.
func (s *fakeScheduler) runUntil(t time.Time) int {
	ran := 0
	for {
		s.mu.Lock()
		if len(s.jobs) == 0 || s.jobs[0].at.After(t) {
			s.mu.Unlock()
			break
		}
		j := heap.Pop(&s.jobs).(job)
		s.mu.Unlock()
		if now := s.clock.Now(); j.at.After(now) {
			s.clock.Set(j.at, true)
		}
		j.run(context.Background())
		ran++
	}
	if t.After(s.clock.Now()) {
		s.clock.Set(t, true)
	}
	return ran
}
