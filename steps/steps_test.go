package steps

import (
	"net/http/httptest"
	"os"
	"testing"

	"herald/simulator"
)

// TestMopayFeatures runs every feature against an in-process simulator.
func TestMopayFeatures(t *testing.T) {
	h, err := simulator.New(simulator.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	status := Run(RunOptions{Target: Herald(srv.URL), Format: "progress", Output: os.Stdout, TestingT: t})
	if status != 0 {
		t.Fatalf("the suite failed with status %d", status)
	}
}
