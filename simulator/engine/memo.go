package engine

import (
	"hash/maphash"
	"sort"
	"strconv"
	"sync"
)

// answerMemo remembers answers that passed the response check, by a 128-bit
// hash (two randomly seeded maphash sums) of what the check depends on:
// operation, status, headers and body. When full it forgets everything and
// starts over. A nil memo remembers nothing.
type answerMemo struct {
	mu     sync.Mutex
	limit  int
	s1, s2 maphash.Seed
	seen   map[[2]uint64]struct{}
}

func newAnswerMemo(limit int) *answerMemo {
	if limit <= 0 {
		return nil
	}
	return &answerMemo{limit: limit, s1: maphash.MakeSeed(), s2: maphash.MakeSeed(), seen: make(map[[2]uint64]struct{}, limit)}
}

func (m *answerMemo) key(operationID string, r Reply) [2]uint64 {
	if m == nil {
		return [2]uint64{}
	}
	var h1, h2 maphash.Hash
	h1.SetSeed(m.s1)
	h2.SetSeed(m.s2)
	write := func(s string) {
		h1.WriteString(s)
		h2.WriteString(s)
		h1.WriteByte(0)
		h2.WriteByte(0)
	}
	write(operationID)
	write(strconv.Itoa(r.Status))
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range r.Header[name] {
			write(name)
			write(v)
		}
	}
	h1.Write(r.Body)
	h2.Write(r.Body)
	return [2]uint64{h1.Sum64(), h2.Sum64()}
}

func (m *answerMemo) has(k [2]uint64) bool {
	if m == nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.seen[k]
	return ok
}

func (m *answerMemo) add(k [2]uint64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.seen) >= m.limit {
		clear(m.seen)
	}
	m.seen[k] = struct{}{}
}
