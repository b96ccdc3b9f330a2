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
