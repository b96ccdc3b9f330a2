package engine

import (
	"hash/maphash"
	"sort"
	"strconv"
	"sync"
)

// answerMemo remembers answers that passed the response check, by hashes of
// what the check depends on: operation, status and headers in one, the body
// in the other (randomly seeded maphash, 64 bits each). When full it forgets
// everything and starts over. A nil memo remembers nothing.
type answerMemo struct {
	mu    sync.Mutex
	limit int
	seed  maphash.Seed
	seen  map[[2]uint64]struct{}
}

func newAnswerMemo(limit int) *answerMemo {
	if limit <= 0 {
		return nil
	}
	return &answerMemo{limit: limit, seed: maphash.MakeSeed(), seen: map[[2]uint64]struct{}{}}
}

func (m *answerMemo) key(operationID string, r Reply) [2]uint64 {
	if m == nil {
		return [2]uint64{}
	}
	var meta maphash.Hash
	meta.SetSeed(m.seed)
	meta.WriteString(operationID)
	meta.WriteByte(0)
	meta.WriteString(strconv.Itoa(r.Status))
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range r.Header[name] {
			meta.WriteByte(0)
			meta.WriteString(name)
			meta.WriteByte(0)
			meta.WriteString(v)
		}
	}
	return [2]uint64{meta.Sum64(), maphash.Bytes(m.seed, r.Body)}
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
