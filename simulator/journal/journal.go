package journal

import (
	"sort"
	"sync"
	"time"

	"herald/simulator/engine"
)

// Defaults of Options.
const (
	DefaultSize      = 1000
	DefaultBodyBytes = 16 << 10
	// SubscriberBuffer is how many entries a live tail may fall behind
	// before it is told so and closed.
	SubscriberBuffer = 256
	// MaxSubscribers bounds the live tails open at once.
	MaxSubscribers = 32
)

// Options configure a Journal.
type Options struct {
	// Size is how many exchanges it keeps, every world's together; 0 is
	// DefaultSize.
	Size int
	// BodyBytes is how much of each body it keeps; 0 is DefaultBodyBytes.
	BodyBytes int
	// Checked says whether the engine checks answers against the spec (a
	// verdict of "conforms" rather than "unchecked").
	Checked bool
	// Now is the real clock; nil is time.Now.
	Now func() time.Time
}

// Journal is the bounded record of exchanges. A nil *Journal records
// nothing and holds nothing: the journal is off.
type Journal struct {
	opts Options

	mu      sync.Mutex
	ring    []*Entry // a slot is nil when empty or cleared
	head    int      // the slot the next entry takes
	seq     int64
	evicted map[string]int64 // per world, since its last clear
	subs    map[*Sub]struct{}
}

// New makes a journal.
func New(opts Options) *Journal {
	if opts.Size <= 0 {
		opts.Size = DefaultSize
	}
	if opts.BodyBytes <= 0 {
		opts.BodyBytes = DefaultBodyBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Journal{opts: opts, ring: make([]*Entry, opts.Size), evicted: map[string]int64{}, subs: map[*Sub]struct{}{}}
}

// Capacity is how many exchanges the journal keeps; 0 when it is off.
func (j *Journal) Capacity() int {
	if j == nil {
		return 0
	}
	return j.opts.Size
}

// Record keeps one exchange of a world, sim being the world's simulator
// clock, and hands it to the live tails that want it. It returns the entry
// (nil when the journal is off), whose bodies a reader reads only through
// the journal: they may not be redacted yet.
func (j *Journal) Record(world string, sim time.Time, o engine.Observation) *Entry {
	if j == nil {
		return nil
	}
	at := j.opts.Now().Add(-o.Duration)
	e := build(world, sim, at, o, j.opts.BodyBytes, j.opts.Checked)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.seq++
	e.ID = j.seq
	if old := j.ring[j.head]; old != nil {
		j.evicted[old.World]++
	}
	j.ring[j.head] = e
	j.head = (j.head + 1) % len(j.ring)
	if len(j.subs) > 0 {
		e.finish() // the tails match and send it now
	}
	for s := range j.subs {
		if !s.filter.Match(e) {
			continue
		}
		select {
		case s.c <- e:
		default: // too slow: tell it, and let it go
			s.overflow = true
			close(s.c)
			delete(j.subs, s)
		}
	}
	return e
}

// each calls fn on the world's kept entries, newest first, finished, until
// fn returns false. Call with j.mu held.
func (j *Journal) each(world string, fn func(*Entry) bool) {
	n := len(j.ring)
	for i := 1; i <= n; i++ {
		e := j.ring[(j.head-i+n)%n]
		if e == nil || e.World != world {
			continue
		}
		e.finish()
		if !fn(e) {
			return
		}
	}
}

// Page is one page of a query.
type Page struct {
	Entries  []*Entry `json:"entries"`
	Matched  int      `json:"matched"`
	Capacity int      `json:"capacity"`
	Evicted  int64    `json:"evicted"`
}

// List returns the world's entries that match f, newest first, at most
// limit of them, and how many match in all.
func (j *Journal) List(world string, f Filter, limit int) Page {
	p := Page{Entries: []*Entry{}}
	if j == nil {
		return p
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	p.Capacity, p.Evicted = len(j.ring), j.evicted[world]
	j.each(world, func(e *Entry) bool {
		if f.Match(e) {
			p.Matched++
			if len(p.Entries) < limit {
				p.Entries = append(p.Entries, e)
			}
		}
		return true
	})
	return p
}

// Oldest returns the world's entries that match f, oldest first.
func (j *Journal) Oldest(world string, f Filter) []*Entry {
	if j == nil {
		return nil
	}
	var out []*Entry
	j.mu.Lock()
	j.each(world, func(e *Entry) bool {
		if f.Match(e) {
			out = append(out, e)
		}
		return true
	})
	j.mu.Unlock()
	for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
		out[a], out[b] = out[b], out[a]
	}
	return out
}

// Clear forgets a world's entries (a reset, a DELETE, the world deleted).
func (j *Journal) Clear(world string) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, e := range j.ring {
		if e != nil && e.World == world {
			j.ring[i] = nil
		}
	}
	delete(j.evicted, world)
}

// Count counts the world's entries that meet every criterion, and gives the
// near misses: up to three entries that meet the most, newest first among
// equals, with what they do not meet.
func (j *Journal) Count(world string, c Criteria) CountResult {
	out := CountResult{NearMisses: []NearMiss{}}
	if j == nil {
		return out
	}
	type cand struct {
		e     *Entry
		unmet []string
		order int
	}
	var near []cand
	j.mu.Lock()
	i := 0
	j.each(world, func(e *Entry) bool {
		unmet := c.Unmet(e)
		if len(unmet) == 0 {
			out.Count++
		} else {
			near = append(near, cand{e, unmet, i})
			sort.SliceStable(near, func(a, b int) bool {
				if len(near[a].unmet) != len(near[b].unmet) {
					return len(near[a].unmet) < len(near[b].unmet)
				}
				return near[a].order < near[b].order
			})
			if len(near) > 3 {
				near = near[:3]
			}
		}
		i++
		return true
	})
	j.mu.Unlock()
	for _, n := range near {
		out.NearMisses = append(out.NearMisses, NearMiss{Entry: n.e, Unmet: n.unmet})
	}
	return out
}

// CountResult is what Count found.
type CountResult struct {
	Count      int        `json:"count"`
	NearMisses []NearMiss `json:"nearMisses"`
}

// NearMiss is an entry that meets some criteria, and what it does not.
type NearMiss struct {
	Entry *Entry   `json:"entry"`
	Unmet []string `json:"unmet"`
}

// Sub is a live tail.
type Sub struct {
	j        *Journal
	filter   Filter
	c        chan *Entry
	overflow bool // set, under j.mu, when c was closed for falling behind
}

// ErrTooManyTails is Subscribe's refusal beyond MaxSubscribers.
type ErrTooManyTails struct{}

func (ErrTooManyTails) Error() string {
	return "too many live tails are open (32); close one"
}

// Subscribe opens a live tail of the world's new entries that match f, and
// returns with it the kept entries after id after, oldest first: nothing
// recorded meanwhile is missed or given twice.
func (j *Journal) Subscribe(f Filter, after int64) (*Sub, []*Entry, error) {
	if j == nil {
		return nil, nil, ErrTooManyTails{}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.subs) >= MaxSubscribers {
		return nil, nil, ErrTooManyTails{}
	}
	s := &Sub{j: j, filter: f, c: make(chan *Entry, SubscriberBuffer)}
	j.subs[s] = struct{}{}
	var backlog []*Entry
	if after >= 0 {
		back := f
		back.After = after
		j.each(f.World, func(e *Entry) bool {
			if e.ID <= after {
				return false
			}
			if back.Match(e) {
				backlog = append(backlog, e)
			}
			return true
		})
		for a, b := 0, len(backlog)-1; a < b; a, b = a+1, b-1 {
			backlog[a], backlog[b] = backlog[b], backlog[a]
		}
	}
	return s, backlog, nil
}

// CloseTails ends every live tail (a server shutting down: a tail never
// goes idle on its own).
func (j *Journal) CloseTails() {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for s := range j.subs {
		delete(j.subs, s)
		close(s.c)
	}
}

// C delivers the tail's entries; it is closed when the tail falls behind
// (Overflowed) or is closed.
func (s *Sub) C() <-chan *Entry { return s.c }

// Overflowed reports whether the tail was closed for falling behind.
func (s *Sub) Overflowed() bool {
	s.j.mu.Lock()
	defer s.j.mu.Unlock()
	return s.overflow
}

// Close ends the tail.
func (s *Sub) Close() {
	s.j.mu.Lock()
	defer s.j.mu.Unlock()
	if _, ok := s.j.subs[s]; ok {
		delete(s.j.subs, s)
		close(s.c)
	}
}
