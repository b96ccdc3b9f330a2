package steps

import (
	"strings"
	"testing"
	"testing/fstest"
)

const summaryFeature = `@alpha
Feature: Alpha

  Scenario: reads
    Given a step

  @mutating
  Scenario: writes
    Given a step

  @herald-design
  Scenario Outline: designed
    Given a step <n>

    Examples:
      | n |
      | 1 |
      | 2 |

  @cert-b
  Scenario: needs a role
    Given a step
`

func summaryRuns(t *testing.T) []scenarioRun {
	t.Helper()
	runs, err := scenarioRuns(fstest.MapFS{
		"alpha/a.feature": {Data: []byte(summaryFeature)},
		"beta/b.feature":  {Data: []byte("@beta\nFeature: Beta\n\n  Scenario: one\n    Given a step\n\n  Scenario: two\n    Given a step\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// A real deployment without --allow-mutating: what ran, what was left out
// and why, per system, and the verdict says the run was partial.
func TestSummaryOfAPartialRun(t *testing.T) {
	runs := summaryRuns(t)
	excl := []Exclusion{{Tag: TagHeraldDesign, Need: "a Herald"}, {Tag: TagMutating, Need: "--allow-mutating"}, {Tag: "@cert-b"}}
	skipped := skippedOf(runs, "", excl)
	results := []*ScenarioResult{
		{URI: "alpha/a.feature", Status: "passed"},
		{URI: "beta/b.feature", Status: "failed"},
		{URI: "beta/b.feature", Status: "skipped", Reason: "the target never retried"},
	}
	sums := summarize([]string{"alpha", "beta"}, runs, "", excl, skipped, results, []Coverage{}, nil)
	a, b := sums[0], sums[1]
	if a.Scenarios != 5 || a.Selected != 5 || a.Ran != 1 || a.Passed != 1 || a.LeftOutCount() != 4 || !a.Partial() {
		t.Fatalf("alpha: %+v", a)
	}
	want := "alpha: ran 1 of 5 scenarios, 1 passed, 0 failed; left out 2 that need a Herald, 1 that needs --allow-mutating, 1 that needs cert-b (@cert-b); coverage 0.0%"
	if a.String() != want {
		t.Fatalf("alpha's line:\n got %s\nwant %s", a, want)
	}
	if b.Ran != 1 || b.Failed != 1 || b.SkippedAtRun != 1 || !b.Partial() || !strings.Contains(b.String(), "1 that skipped itself, each with its reason") {
		t.Fatalf("beta: %+v %s", b, b)
	}
	if v := RunVerdict(sums); !strings.HasPrefix(v, "PARTIAL RUN: 2 of 7 selected scenarios ran to a verdict, 5 did not") {
		t.Fatalf("verdict: %s", v)
	}
	fails := checkGates(sums, Gate{"alpha": 10}, Gate{"beta": 50, "": 30})
	if len(fails) != 2 || !strings.Contains(fails[0], "coverage alpha is 0.0%") || !strings.Contains(fails[1], "alpha: 1 of 5 selected scenarios ran to a verdict (20.0%), below the 30.0%") {
		t.Fatalf("gates: %q", fails)
	}
	if fails := checkGates(sums, Gate{}, Gate{"alpha": 20, "beta": 50}); len(fails) != 0 {
		t.Fatalf("gates met: %q", fails)
	}
}

// --tags narrows what is selected; a full run says so.
func TestSummaryOfAFullRun(t *testing.T) {
	runs := summaryRuns(t)
	results := []*ScenarioResult{{URI: "beta/b.feature", Status: "passed"}, {URI: "beta/b.feature", Status: "passed"}}
	sums := summarize([]string{"beta"}, runs, "@beta", nil, nil, results, nil, nil)
	if s := sums[0]; s.Partial() || s.Selected != 2 || s.Ran != 2 || s.RanPercent() != 100 {
		t.Fatalf("beta: %+v", s)
	}
	if v := RunVerdict(sums); v != "full run: all 2 selected scenarios ran to a verdict; all passed" {
		t.Fatalf("verdict: %s", v)
	}
	sums = summarize([]string{"alpha"}, runs, "@mutating", nil, nil, []*ScenarioResult{{URI: "alpha/a.feature", Status: "passed"}}, nil, nil)
	if s := sums[0]; s.Partial() || s.Selected != 1 || !strings.Contains(s.String(), "ran 1 of 5 scenarios (1 selected by --tags)") {
		t.Fatalf("alpha with --tags @mutating: %+v %s", s, s)
	}
}

// A shard is partial only for what it should have run: the other shards'
// scenarios are counted apart.
func TestSummaryOfAShard(t *testing.T) {
	runs := summaryRuns(t)
	mine := map[string]bool{"beta/b.feature:4": true}
	sums := summarize([]string{"beta"}, runs, "", nil, nil, []*ScenarioResult{{URI: "beta/b.feature", Status: "passed"}}, nil, mine)
	if s := sums[0]; s.Partial() || s.OtherShards != 1 || s.RanPercent() != 100 || !strings.Contains(s.String(), "1 in other shards") {
		t.Fatalf("shard: %+v %s", s, s)
	}
}

// What the console shows of a percentage is what a gate compares: 39.97 %
// shows as 39.9 %, so a gate copied from it passes and a gate of 40 fails
// with a figure below 40 (it showed "40%", and a gate of 40 then failed).
func TestPercentagesShowWhatTheGateCompares(t *testing.T) {
	for _, c := range []struct {
		p    float64
		want string
	}{{39.97, "39.9"}, {46.66, "46.6"}, {40, "40.0"}, {100, "100.0"}, {0, "0.0"}} {
		if got := formatPct(c.p); got != c.want {
			t.Errorf("formatPct(%v) = %s; want %s", c.p, got, c.want)
		}
	}
	sums := []SystemSummary{{System: "alpha", Selected: 3, Ran: 3, Coverage: 39.97}}
	if fails := checkGates(sums, Gate{"alpha": 39.9}, Gate{}); len(fails) != 0 {
		t.Errorf("a gate at the figure shown fails: %v", fails)
	}
	fails := checkGates(sums, Gate{"alpha": 40}, Gate{})
	if len(fails) != 1 || !strings.Contains(fails[0], "coverage alpha is 39.9%, below the 40.0%") {
		t.Errorf("a gate of 40 at 39.97 %%: %v", fails)
	}
}

// A full run whose scenarios failed does not read as a good one: the verdict
// says how it went as well as how much ran.
func TestVerdictSaysHowItWent(t *testing.T) {
	full := []SystemSummary{{System: "alpha", Selected: 7, Ran: 7, Failed: 7}}
	if v := RunVerdict(full); v != "full run: all 7 selected scenarios ran to a verdict; 7 failed" {
		t.Errorf("verdict: %s", v)
	}
	partial := []SystemSummary{{System: "alpha", Selected: 7, Ran: 5, Passed: 5, LeftOut: []LeftOut{{Need: "a Herald", Count: 2}}}}
	if v := RunVerdict(partial); v != "PARTIAL RUN: 5 of 7 selected scenarios ran to a verdict, 2 did not; all passed" {
		t.Errorf("verdict: %s", v)
	}
}
