package proxy

import (
	"sort"
	"sync"
	"time"

	"herald/simulator/journal"
)

// maxRules bounds the distinct rules a drift report keeps.
const maxRules = 1000

// Rule is one rule of a spec broken while the proxy ran: which operation,
// which side, where, how often, and the first exchange that showed it.
type Rule struct {
	System    string    `json:"system"`
	Operation string    `json:"operation"` // "" when no operation matched
	Side      string    `json:"side"`      // request, response
	Pointer   string    `json:"pointer"`
	Reason    string    `json:"reason"`
	Count     int       `json:"count"`
	FirstID   int64     `json:"firstId"` // the journal entry
	FirstAt   time.Time `json:"firstAt"`
	// Method and Path are the first exchange's request, to find it again.
	Method string `json:"method"`
	Path   string `json:"path"`
	// Status is the first exchange's answer's.
	Status int `json:"status"`
}

// Drift collects every rule broken, from each journal entry.
type Drift struct {
	mu        sync.Mutex
	rules     map[string]*Rule
	exchanges int
	violating int
	// unanswered counts the exchanges the deployment never answered (the
	// proxy's own 502 or 504).
	unanswered int
	dropped    int
	// seen counts the exchanges of each system and operation; bounded as
	// the rules are.
	seen map[[2]string]int
}

// maxSeen bounds the operations a drift report counts exchanges of.
const maxSeen = 1000

// Seen is how many exchanges one operation of a system had ("" when none
// matched).
type Seen struct {
	System    string `json:"system"`
	Operation string `json:"operation"`
	Exchanges int    `json:"exchanges"`
}

// NewDrift makes an empty drift report.
func NewDrift() *Drift { return &Drift{rules: map[string]*Rule{}, seen: map[[2]string]int{}} }

// Add notes an exchange's violations.
func (d *Drift) Add(e *journal.Entry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.exchanges++
	if r := e.Refusal; r != nil && r.Stage == "upstream" && r.Kind == "upstream" {
		d.unanswered++
	}
	if k := [2]string{e.System, e.Operation}; d.seen[k] > 0 || len(d.seen) < maxSeen {
		d.seen[k]++
	}
	if len(e.Violations) > 0 {
		d.violating++
	}
	for _, v := range e.Violations {
		key := e.System + "\x00" + e.Operation + "\x00" + v.Side + "\x00" + v.Pointer + "\x00" + v.Reason
		r := d.rules[key]
		if r == nil {
			if len(d.rules) >= maxRules {
				d.dropped++
				continue
			}
			r = &Rule{System: e.System, Operation: e.Operation, Side: v.Side, Pointer: v.Pointer, Reason: v.Reason,
				FirstID: e.ID, FirstAt: e.Time, Method: e.Request.Method, Path: e.Request.Path, Status: e.Response.Status}
			d.rules[key] = r
		}
		r.Count++
	}
}

// Report is the drift found so far.
type Report struct {
	Exchanges int `json:"exchanges"`
	// Unanswered counts the exchanges the deployment never answered.
	Unanswered int    `json:"unanswered"`
	Violating  int    `json:"violating"`
	Rules      []Rule `json:"rules"`
	// Seen are the operations exchanged, by system and operation.
	Seen []Seen `json:"seen"`
	// Dropped counts violations of rules beyond the report's bound.
	Dropped int `json:"dropped"`
}

// Report returns the rules broken, by system, operation, side and pointer.
func (d *Drift) Report() Report {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := Report{Exchanges: d.exchanges, Unanswered: d.unanswered, Violating: d.violating, Dropped: d.dropped, Rules: make([]Rule, 0, len(d.rules))}
	for _, r := range d.rules {
		out.Rules = append(out.Rules, *r)
	}
	for k, n := range d.seen {
		out.Seen = append(out.Seen, Seen{System: k[0], Operation: k[1], Exchanges: n})
	}
	sort.Slice(out.Seen, func(i, j int) bool {
		a, b := out.Seen[i], out.Seen[j]
		return a.System < b.System || a.System == b.System && a.Operation < b.Operation
	})
	sort.Slice(out.Rules, func(i, j int) bool {
		a, b := out.Rules[i], out.Rules[j]
		if a.System != b.System {
			return a.System < b.System
		}
		if a.Operation != b.Operation {
			return a.Operation < b.Operation
		}
		if a.Side != b.Side {
			return a.Side < b.Side
		}
		return a.Pointer < b.Pointer
	})
	return out
}
