package system

import (
	"fmt"
	"sync"
)

// Shared holds what a system builds once per Herald and every world then
// reads: parsed fixtures, a certificate authority, a catalogue. What it
// holds must be read-only once built. The zero value is not usable: use
// NewShared.
type Shared struct {
	mu     sync.Mutex
	values map[string]any
}

// NewShared returns an empty store.
func NewShared() *Shared { return &Shared{values: map[string]any{}} }

// Share returns the value stored under key in env's store, building it with
// build on first use; a failed build is not stored. Without a store
// (env.Shared nil, as in a system's own unit tests) it builds afresh.
func Share[T any](env Env, key string, build func() (T, error)) (T, error) {
	s := env.Shared
	if s == nil {
		return build()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.values[key]; ok {
		t, ok := v.(T)
		if !ok {
			var zero T
			return zero, fmt.Errorf("system %s: the shared value %q is a %T, not a %T", env.Name, key, v, zero)
		}
		return t, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	s.values[key] = v
	return v, nil
}
