package schedule

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"herald/simulator/clock"
)

// Job is work to run at a simulated time. Its context is cancelled when the
// scheduler stops (on a reset or at shutdown). Jobs run one at a time, in
// the order of their times (then of scheduling), so a job should be short:
// one that waits on the network hands the wait to a goroutine of its own
// started with Go.
type Job func(ctx context.Context)

// Scheduler runs jobs on the simulator clock. It is safe for concurrent use.
type Scheduler struct {
	clock *clock.Controlled

	mu      sync.Mutex
	queue   queue
	seq     uint64
	wake    chan struct{} // a job was added
	ctx     context.Context
	cancel  context.CancelFunc
	loop    chan struct{} // closed when the loop goroutine ends
	running sync.WaitGroup

	run sync.Mutex // held while jobs run: they never overlap
}

// New returns a stopped scheduler on c.
func New(c *clock.Controlled) *Scheduler {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stopped until Start
	return &Scheduler{clock: c, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
}

// At schedules job to run when the clock reaches t. A job scheduled while
// the scheduler is stopped waits for Start.
func (s *Scheduler) At(t time.Time, job Job) {
	s.mu.Lock()
	s.seq++
	heap.Push(&s.queue, &entry{at: t, seq: s.seq, job: job})
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// After schedules job to run d after the clock's current time.
func (s *Scheduler) After(d time.Duration, job Job) { s.At(s.clock.Now().Add(d), job) }

// Go runs f in a goroutine the scheduler waits for when it stops, with the
// scheduler's context: for the slow part of a job, such as a network call.
// It reports false, and runs nothing, when the scheduler is stopped.
func (s *Scheduler) Go(f func(ctx context.Context)) bool {
	s.mu.Lock()
	ctx := s.ctx
	if ctx.Err() != nil {
		s.mu.Unlock()
		return false
	}
	s.running.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.running.Done()
		f(ctx)
	}()
	return true
}

// Pending is the number of jobs not yet run.
func (s *Scheduler) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Start runs due jobs in the background until Stop or until ctx ends.
// Starting a started scheduler does nothing.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() == nil {
		return
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.loop = make(chan struct{})
	go s.background(s.ctx, s.loop)
}

// Stop cancels the running jobs' context and waits until no job and no
// goroutine started with Go runs. Pending jobs stay queued.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	s.cancel()
	loop := s.loop
	s.mu.Unlock()
	if loop != nil {
		<-loop
	}
	s.running.Wait()
}

// Clear drops every pending job.
func (s *Scheduler) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = nil
}

// RunDue runs, in the caller's goroutine, every job due at the clock's
// current time, including those that due jobs schedule for then; it returns
// when none is left. The control API calls it after moving the clock, so
// that the work a move makes due is done when the move is answered. It does
// nothing while the scheduler is stopped.
func (s *Scheduler) RunDue() {
	s.run.Lock()
	defer s.run.Unlock()
	for {
		s.mu.Lock()
		ctx := s.ctx
		if ctx.Err() != nil || len(s.queue) == 0 || s.queue[0].at.After(s.clock.Now()) {
			s.mu.Unlock()
			return
		}
		e := heap.Pop(&s.queue).(*entry)
		s.mu.Unlock()
		e.job(ctx)
	}
}

// next is the time of the earliest pending job.
func (s *Scheduler) next() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return time.Time{}, false
	}
	return s.queue[0].at, true
}

// background runs jobs as they fall due: on a timer while the clock follows
// real time, and whenever the clock moves or a job is added.
func (s *Scheduler) background(ctx context.Context, done chan struct{}) {
	defer close(done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		changed := s.clock.Changed()
		s.RunDue()
		var fire <-chan time.Time
		if at, ok := s.next(); ok && !s.clock.Frozen() {
			wait := at.Sub(s.clock.Now())
			if wait < time.Millisecond {
				wait = time.Millisecond
			}
			timer.Reset(wait)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-s.wake:
		case <-fire:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

type entry struct {
	at  time.Time
	seq uint64
	job Job
}

type queue []*entry

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*entry)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}
