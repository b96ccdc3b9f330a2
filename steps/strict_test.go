package steps

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cucumber/godog"

	"herald/specs"
)

// strictModule is a system whose steps leave one text undefined, one
// pending, and one matched by two definitions.
type strictModule struct {
	features fs.FS
	checker  *specs.Checker
}

func (m strictModule) System() string                 { return "alpha" }
func (m strictModule) Features() fs.FS                { return m.features }
func (m strictModule) Checker() *specs.Checker        { return m.checker }
func (m strictModule) ForHerald(string) *SystemTarget { return &SystemTarget{} }
func (m strictModule) Exclusions(Target) []Exclusion  { return nil }
func (m strictModule) Init(sc *godog.ScenarioContext) {
	sc.Step(`^it passes$`, func() error { return nil })
	sc.Step(`^it is not written yet$`, func() error { return godog.ErrPending })
	sc.Step(`^the alpha answers (\d+)$`, func(int) error { return nil })
	sc.Step(`^the alpha answers 200$`, func() error { return nil })
}

// A run fails on a step no module defines, on a pending step and on a step
// two definitions match: godog lets the first two pass unless it runs in
// strict mode, and a suite whose steps drifted from its features would
// then report scenarios that checked nothing as passed.
func TestUnusableStepsFailTheRun(t *testing.T) {
	spec, err := specs.Load(specs.Mopay)
	if err != nil {
		t.Fatal(err)
	}
	checker := specs.NewChecker(specs.Mopay, spec)
	for _, c := range []struct{ name, step, say string }{
		{"undefined", "Then nobody defined this step", "undefined"},
		{"pending", "Then it is not written yet", "pending"},
		{"ambiguous", "Then the alpha answers 200", "ambiguous"},
	} {
		t.Run(c.name, func(t *testing.T) {
			feature := "Feature: Alpha\n\n  Scenario: drifted\n    Given it passes\n    " + c.step + "\n"
			fsys := fstest.MapFS{"a.feature": {Data: []byte(feature)}}
			var out bytes.Buffer
			target := Target{Name: "a real deployment", Systems: map[string]*SystemTarget{"alpha": {BaseURL: "http://127.0.0.1:1/"}}}
			status := Run(RunOptions{Target: target, Modules: []Module{strictModule{fsys, checker}}, Format: "progress", Output: &out})
			if status != 1 {
				t.Fatalf("status %d, want 1 for a run with a %s step\n%s", status, c.name, out.String())
			}
			if !strings.Contains(strings.ToLower(out.String()), c.say) {
				t.Errorf("output does not say %q:\n%s", c.say, out.String())
			}
		})
	}
}
