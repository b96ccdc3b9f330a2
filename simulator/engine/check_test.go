package engine

import (
	"net/http"
	"testing"
)

// The response check remembers valid answers only: a handler that answers
// the same violating bytes every time is caught every time, never served
// unchecked the second time.
func TestViolatingAnswerIsCheckedEveryTime(t *testing.T) {
	h := newHarness(t, func(h *harness, cfg *Config) {
		cfg.Handlers["listItems"] = func(*Exchange) (Reply, error) {
			return JSON(http.StatusOK, map[string]any{"items": "not an array"})
		}
	})
	for i := 1; i <= 3; i++ {
		rec := h.do(http.MethodGet, "/items?limit=5", "", "")
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("answer %d: status %d %s, want the internal error that names the violation", i, rec.Code, rec.Body)
		}
		if p := h.lastProblem(); p.Kind != Internal || len(h.rendered) != i {
			t.Fatalf("answer %d: rendered %d times, last %v; want one internal error per answer", i, len(h.rendered), p)
		}
	}
}

// A valid answer is remembered and served again without a second check; the
// memory is keyed by the bytes, so a different valid answer is checked on
// its own, and a violating one after a valid one is still caught.
func TestValidAnswerIsRememberedByItsBytes(t *testing.T) {
	answers := []Reply{}
	h := newHarness(t, func(h *harness, cfg *Config) {
		cfg.Handlers["listItems"] = func(*Exchange) (Reply, error) {
			r := answers[0]
			answers = answers[1:]
			return r, nil
		}
	})
	good := mustJSON(t, http.StatusOK, map[string]any{"items": []any{}})
	other := mustJSON(t, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": "1", "name": "a"}}})
	bad := mustJSON(t, http.StatusOK, map[string]any{"items": []any{map[string]any{"id": 1}}})
	answers = []Reply{good, good, other, bad}
	for i, want := range []int{200, 200, 200, 500} {
		if rec := h.do(http.MethodGet, "/items?limit=5", "", ""); rec.Code != want {
			t.Fatalf("answer %d: status %d %s, want %d", i+1, rec.Code, rec.Body, want)
		}
	}
}

// The memory of valid answers holds successful answers only: an error
// answer carries a fresh reference, so remembering it would only fill the
// memory.
func TestOnlySuccessfulAnswersAreRemembered(t *testing.T) {
	h := newHarness(t, nil)
	h.do(http.MethodGet, "/items?limit=0", "", "")
	if n := len(h.eng.valid.seen); n != 0 {
		t.Fatalf("after a 400: %d answers remembered, want none", n)
	}
	h.do(http.MethodGet, "/items?limit=5", "", "")
	h.do(http.MethodGet, "/items?limit=6", "", "")
	if n := len(h.eng.valid.seen); n != 1 {
		t.Fatalf("after the same 200 twice: %d answers remembered, want 1", n)
	}
}

// CheckCache: 0 is 4096 answers, a negative number turns the memory off
// (and every answer is still checked), a positive one is the limit.
func TestCheckCacheSetting(t *testing.T) {
	for _, c := range []struct{ set, limit int }{{0, 4096}, {3, 3}, {-1, 0}} {
		h := newHarness(t, func(_ *harness, cfg *Config) { cfg.CheckCache = c.set })
		switch m := h.eng.valid; {
		case c.limit == 0 && m != nil:
			t.Errorf("CheckCache %d: a memory of %d answers, want none", c.set, m.limit)
		case c.limit != 0 && (m == nil || m.limit != c.limit):
			t.Errorf("CheckCache %d: memory %+v, want a limit of %d", c.set, m, c.limit)
		}
		if rec := h.do(http.MethodGet, "/items?limit=5", "", ""); rec.Code != http.StatusOK {
			t.Errorf("CheckCache %d: status %d %s", c.set, rec.Code, rec.Body)
		}
	}
}

// The memory remembers what it was given, by operation, status, headers
// and body; when full it forgets everything and starts over; without one
// (nil) nothing is remembered and nothing fails.
func TestAnswerMemo(t *testing.T) {
	if newAnswerMemo(0) != nil || newAnswerMemo(-1) != nil {
		t.Fatal("a memory with no room exists")
	}
	var off *answerMemo
	k := off.key("op", Reply{Status: 200, Body: []byte("{}")})
	off.add(k)
	if off.has(k) {
		t.Fatal("no memory remembers")
	}
	m := newAnswerMemo(2)
	a := m.key("op", Reply{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"a":1}`)})
	variants := []Reply{
		{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"a":2}`)},
		{Status: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"a":1}`)},
		{Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(`{"a":1}`)},
		{Status: 200, Header: http.Header{"Content-Type": {"application/json"}, "X-Extra": {"1"}}, Body: []byte(`{"a":1}`)},
	}
	for i, v := range variants {
		if m.key("op", v) == a {
			t.Errorf("variant %d has the same key", i)
		}
	}
	if m.key("other", Reply{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"a":1}`)}) == a {
		t.Error("another operation has the same key")
	}
	b, c := m.key("op", variants[0]), m.key("op", variants[1])
	if m.has(a) {
		t.Fatal("remembered before it was added")
	}
	m.add(a)
	m.add(b)
	if !m.has(a) || !m.has(b) || m.has(c) {
		t.Fatalf("after adding a and b: has a %v, b %v, c %v", m.has(a), m.has(b), m.has(c))
	}
	m.add(c) // full: starts over
	if m.has(a) || m.has(b) || !m.has(c) || len(m.seen) != 1 {
		t.Fatalf("after a third answer in a memory of two: has a %v, b %v, c %v, %d held", m.has(a), m.has(b), m.has(c), len(m.seen))
	}
}
