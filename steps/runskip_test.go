package steps

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cucumber/godog"

	"herald/specs"
)

// skipModule is a system whose one scenario skips itself in its first
// step, as a Monnet target that never retries does.
type skipModule struct {
	features fs.FS
	checker  *specs.Checker
}

func (m skipModule) System() string                 { return "alpha" }
func (m skipModule) Features() fs.FS                { return m.features }
func (m skipModule) Checker() *specs.Checker        { return m.checker }
func (m skipModule) ForHerald(string) *SystemTarget { return &SystemTarget{} }
func (m skipModule) Exclusions(Target) []Exclusion  { return nil }
func (m skipModule) Init(sc *godog.ScenarioContext) {
	sc.Step(`^the target never retries$`, func() error {
		return fmt.Errorf("%w: no retry came within 1s", godog.ErrSkip)
	})
	sc.Step(`^it passes$`, func() error { return nil })
}

// A scenario a step skips is skipped, with its reason, in every report:
// godog alone counts it as passed.
func TestRuntimeSkipInEveryReport(t *testing.T) {
	fsys := fstest.MapFS{"a.feature": {Data: []byte("Feature: Alpha\n\n  Scenario: retried\n    Given the target never retries\n    Then it passes\n\n  Scenario: plain\n    Given it passes\n")}}
	spec, err := specs.Load(specs.Mopay)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	junit, cucumber, page := filepath.Join(dir, "j.xml"), filepath.Join(dir, "c.json"), filepath.Join(dir, "r.html")
	var out bytes.Buffer
	target := Target{Name: "a real deployment", Systems: map[string]*SystemTarget{"alpha": {BaseURL: "http://127.0.0.1:1/"}}}
	status := Run(RunOptions{Target: target, Modules: []Module{skipModule{fsys, specs.NewChecker(specs.Mopay, spec)}}, Format: "progress,junit:" + junit + ",cucumber:" + cucumber + ",html:" + page, Output: &out})
	if status != 0 {
		t.Fatalf("status %d\n%s", status, out.String())
	}
	console := out.String()
	for _, want := range []string{"no retry came within 1s", "alpha: ran 1 of 2 scenarios, 1 passed, 0 failed; left out 1 that skipped itself", "PARTIAL RUN"} {
		if !strings.Contains(console, want) {
			t.Errorf("console lacks %q:\n%s", want, console)
		}
	}
	var doc junitSuites
	b, _ := os.ReadFile(junit)
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if strings.HasPrefix(c.Name, "retried") {
				found = true
				if c.Status != "skipped" || c.Skipped == nil || !strings.Contains(c.Skipped.Message, "no retry came within 1s") {
					t.Errorf("JUnit: %+v, want skipped with its reason", c)
				}
			}
		}
	}
	if !found {
		t.Fatalf("JUnit has no case for the skipped scenario:\n%s", b)
	}
	var features []map[string]any
	c, _ := os.ReadFile(cucumber)
	if err := json.Unmarshal(c, &features); err != nil {
		t.Fatal(err)
	}
	statuses := ""
	for _, f := range features {
		els, _ := f["elements"].([]any)
		for _, e := range els {
			el := e.(map[string]any)
			if el["name"] != "retried" {
				continue
			}
			for _, st := range el["steps"].([]any) {
				r := st.(map[string]any)["result"].(map[string]any)
				statuses += fmt.Sprint(r["status"], ":", r["error_message"], ";")
			}
		}
	}
	if !strings.HasPrefix(statuses, "skipped:") || !strings.Contains(statuses, "no retry came within 1s") || strings.Contains(statuses, "passed") {
		t.Errorf("Cucumber steps of the skipped scenario: %s", statuses)
	}
	h, _ := os.ReadFile(page)
	if !strings.Contains(string(h), "skipped at run: no retry came within 1s") {
		t.Errorf("HTML report lacks the reason")
	}
}

// A run that falls short of a gate fails in every report, not only in its
// exit status: a CI dashboard must not show it green.
func TestGateFailureInEveryReport(t *testing.T) {
	fsys := fstest.MapFS{"a.feature": {Data: []byte("Feature: Alpha\n\n  Scenario: retried\n    Given the target never retries\n\n  Scenario: plain\n    Given it passes\n")}}
	spec, err := specs.Load(specs.Mopay)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	junit, cucumber, page := filepath.Join(dir, "j.xml"), filepath.Join(dir, "c.json"), filepath.Join(dir, "r.html")
	target := Target{Name: "a real deployment", Systems: map[string]*SystemTarget{"alpha": {BaseURL: "http://127.0.0.1:1/"}}}
	run := func(gate Gate) (int, RunOutcome, string) {
		var out bytes.Buffer
		var outcome RunOutcome
		status := Run(RunOptions{Target: target, Modules: []Module{skipModule{fsys, specs.NewChecker(specs.Mopay, spec)}},
			Format: "progress,junit:" + junit + ",cucumber:" + cucumber + ",html:" + page, Output: &out, MinScenarios: gate, Outcome: &outcome})
		return status, outcome, out.String()
	}
	if status, outcome, console := run(Gate{"alpha": 50}); status != 0 || len(outcome.GateFailures) != 0 {
		t.Fatalf("at 50%%: status %d %+v\n%s", status, outcome, console)
	}
	status, outcome, console := run(Gate{"alpha": 60})
	if status != 1 || outcome.Failed != 0 || len(outcome.GateFailures) != 1 || !strings.Contains(console, "below the 60.0% asked for (--min-scenarios)") {
		t.Fatalf("at 60%%: status %d %+v\n%s", status, outcome, console)
	}
	var doc junitSuites
	b, _ := os.ReadFile(junit)
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Failures != 1 || doc.Suites[0].Failures != 1 || !strings.Contains(string(b), `type="gate"`) {
		t.Errorf("JUnit: %d failures, want the gate's:\n%s", doc.Failures, b)
	}
	var features []struct {
		Name     string
		Elements []struct {
			Steps []struct {
				Result struct {
					Status       string
					ErrorMessage string `json:"error_message"`
				}
			}
		}
	}
	c, _ := os.ReadFile(cucumber)
	if err := json.Unmarshal(c, &features); err != nil {
		t.Fatal(err)
	}
	if len(features) == 0 || len(features[0].Elements) != 1 || features[0].Elements[0].Steps[0].Result.Status != "failed" ||
		!strings.Contains(features[0].Elements[0].Steps[0].Result.ErrorMessage, "--min-scenarios") {
		t.Errorf("Cucumber: the summary has no failed gate:\n%s", c)
	}
	h, _ := os.ReadFile(page)
	if !strings.Contains(string(h), "The run fails its release gate") || !strings.Contains(string(h), "below the 60.0% asked for") {
		t.Errorf("HTML report lacks the gate")
	}
}
