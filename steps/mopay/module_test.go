package mopay

import (
	"testing"

	"herald/specs"
)

// The module's name is the spec's: the one place it is written.
func TestSystemNameIsTheSpecs(t *testing.T) {
	doc, err := specs.Load(specs.Mopay)
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := doc.Info.Extensions["x-herald-system"].(string); name != System {
		t.Fatalf("steps call the system %q, its spec %q", System, name)
	}
}
