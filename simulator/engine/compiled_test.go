package engine

import (
	"net/http"
	"testing"
)

// Engines built from one document with one Compiled share what was compiled
// from it, and each still serves its own handlers.
func TestCompiledIsSharedBetweenEnginesOfOneDocument(t *testing.T) {
	compiled := NewCompiled()
	doc := parseToy(t)
	var names []string
	build := func(name string) *harness {
		return newHarness(t, func(h *harness, cfg *Config) {
			cfg.Doc, cfg.Compiled = doc, compiled
			cfg.Handlers["getItem"] = func(ex *Exchange) (Reply, error) {
				names = append(names, name)
				return JSON(http.StatusOK, map[string]any{"id": ex.PathParams["id"], "name": name})
			}
		})
	}
	a, b := build("a"), build("b")
	if a.eng.Checker() != b.eng.Checker() {
		t.Fatal("two engines of one document and one Compiled compiled the document twice")
	}
	if a.eng.router != b.eng.router || a.eng.valid != b.eng.valid {
		t.Fatal("two engines of one document and one Compiled do not share the router and the memory of valid answers")
	}
	for _, h := range []*harness{a, b, a} {
		if rec := h.do(http.MethodGet, "/items/7", "", "", "X-Api-Key", "secret"); rec.Code != http.StatusOK {
			t.Fatalf("GET /items/7: %d %s", rec.Code, rec.Body)
		}
	}
	if got := names; len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "a" {
		t.Fatalf("handlers called %v; want each engine's own: [a b a]", got)
	}

	other := newHarness(t, func(h *harness, cfg *Config) { cfg.Compiled = compiled }) // another document
	if other.eng.Checker() == a.eng.Checker() {
		t.Fatal("an engine of another document got the first document's checker")
	}
	fresh := newHarness(t, func(h *harness, cfg *Config) { cfg.Doc = doc })
	if fresh.eng.Checker() == a.eng.Checker() {
		t.Fatal("an engine without Compiled shares a checker")
	}
}

// A document per engine (a system that loads its own for every world) is
// compiled, but no more are kept than maxCompiled.
func TestCompiledKeepsABoundedNumberOfDocuments(t *testing.T) {
	compiled := NewCompiled()
	for i := 0; i < maxCompiled+5; i++ {
		newHarness(t, func(h *harness, cfg *Config) { cfg.Compiled = compiled })
	}
	if n := len(compiled.byDoc); n != maxCompiled {
		t.Fatalf("Compiled keeps %d documents; want the bound, %d", n, maxCompiled)
	}
}
