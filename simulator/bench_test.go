package simulator

import "testing"

// BenchmarkCreateWorld opens and deletes an isolated world: what a
// scenario run with --concurrency pays on top of its own requests.
// go test -run '^$' -bench CreateWorld -benchmem ./simulator/
func BenchmarkCreateWorld(b *testing.B) {
	h, err := New(Options{Seed: 1, MaxWorlds: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	for b.Loop() {
		info, err := h.CreateWorld()
		if err != nil {
			b.Fatal(err)
		}
		h.DeleteWorld(info.ID)
	}
}
