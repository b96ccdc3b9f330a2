package engine

import "sync"

// Faults holds failures to inject: the next Count requests to an operation
// that pass validation are answered with Status instead of being handled.
// It is safe for concurrent use.
type Faults struct {
	mu      sync.Mutex
	pending []FaultRule
}

// FaultRule is one failure to inject.
type FaultRule struct {
	System      string `json:"system"`
	OperationID string `json:"operationId"`
	Status      int    `json:"status"`
	Count       int    `json:"count"`
}

// Add queues a rule.
func (f *Faults) Add(r FaultRule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = append(f.pending, r)
}

// Take consumes one injection for the operation, if one is pending.
func (f *Faults) Take(system, operationID string) (status int, ok bool) {
	if f == nil {
		return 0, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.pending {
		r := &f.pending[i]
		if r.System == system && r.OperationID == operationID && r.Count > 0 {
			r.Count--
			status = r.Status
			if r.Count == 0 {
				f.pending = append(f.pending[:i], f.pending[i+1:]...)
			}
			return status, true
		}
	}
	return 0, false
}

// Pending lists the rules not yet used up.
func (f *Faults) Pending() []FaultRule {
	if f == nil {
		return []FaultRule{}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FaultRule{}, f.pending...)
}

// Clear drops every pending rule.
func (f *Faults) Clear() {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = nil
}
