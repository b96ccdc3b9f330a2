package steps

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// SystemSummary is how much of one system's part of the suite a run
// checked, and why the rest was not: a run that left much out must never
// read like one that checked everything.
type SystemSummary struct {
	System string
	// Scenarios is how many scenario runs (an outline row is one) the
	// system's features hold; Selected, how many of them --tags selects.
	Scenarios, Selected int
	// Ran is how many ran to a verdict; Passed and Failed split them.
	Ran, Passed, Failed int
	// SkippedAtRun is how many started but skipped themselves, each with
	// its reason (a target that never retries, say).
	SkippedAtRun int
	// LeftOut is what the run left out before it started, by need.
	LeftOut []LeftOut
	// OtherShards is how many selected scenarios other shards run.
	OtherShards int
	// Coverage is the system's contract coverage, in percent.
	Coverage float64
}

// LeftOut is a number of scenarios left out for one need.
type LeftOut struct {
	Need  string // "--allow-mutating", "a Herald", "a Mopay account" …
	Count int
}

// Partial reports whether scenarios of the system that --tags selects did
// not run to a verdict in this run (other shards' do not count).
func (s SystemSummary) Partial() bool { return s.Ran < s.Selected-s.OtherShards }

// RanPercent is the share of the selected scenarios that ran to a verdict.
func (s SystemSummary) RanPercent() float64 {
	here := s.Selected - s.OtherShards
	if here <= 0 {
		return 100
	}
	return 100 * float64(s.Ran) / float64(here)
}

// LeftOutCount is how many selected scenarios this run did not run.
func (s SystemSummary) LeftOutCount() int { return s.Selected - s.OtherShards - s.Ran }

// String is the summary in one line: "mopay: ran 46 of 123 scenarios (46
// passed); left out 21 that need --allow-mutating, 56 that need a Herald;
// coverage 47%".
func (s SystemSummary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ran %d of %d scenarios", s.System, s.Ran, s.Scenarios)
	if s.Selected != s.Scenarios {
		fmt.Fprintf(&b, " (%d selected by --tags)", s.Selected)
	}
	fmt.Fprintf(&b, ", %d passed, %d failed", s.Passed, s.Failed)
	var out []string
	for _, l := range s.LeftOut {
		out = append(out, fmt.Sprintf("%d that %s %s", l.Count, plural(l.Count, "needs", "need"), l.Need))
	}
	if s.SkippedAtRun > 0 {
		out = append(out, fmt.Sprintf("%d that skipped %s, each with its reason", s.SkippedAtRun, plural(s.SkippedAtRun, "itself", "themselves")))
	}
	if len(out) > 0 {
		fmt.Fprintf(&b, "; left out %s", strings.Join(out, ", "))
	}
	if s.OtherShards > 0 {
		fmt.Fprintf(&b, "; %d in other shards", s.OtherShards)
	}
	fmt.Fprintf(&b, "; coverage %s%%", formatPct(s.Coverage))
	return b.String()
}

// needOf is the short need of an exclusion, for summaries.
func needOf(e Exclusion) string {
	if e.Need != "" {
		return e.Need
	}
	return strings.TrimPrefix(e.Tag, "@") + " (" + e.Tag + ")"
}

// summarize counts, per system, the scenarios of the features, those the
// user's tags select, what ran and what was left out and why.
func summarize(systems []string, runs []scenarioRun, userExpr string, exclusions []Exclusion, skipped []Skipped,
	results []*ScenarioResult, coverage []Coverage, shardPaths map[string]bool) []SystemSummary {
	user := parseGroups(userExpr)
	by := map[string]*SystemSummary{}
	var out []*SystemSummary
	for _, sys := range systems {
		s := &SystemSummary{System: sys}
		by[sys] = s
		out = append(out, s)
	}
	for _, r := range runs {
		s := by[systemOf(r.uri)]
		if s == nil {
			continue
		}
		s.Scenarios++
		if !matchNames(user, r.tags) {
			continue
		}
		s.Selected++
		if shardPaths != nil && !shardPaths[fmt.Sprintf("%s:%d", r.uri, r.unit)] && !excluded(r.tags, exclusions) {
			s.OtherShards++
		}
	}
	needs := map[string]map[string]int{}
	for _, sk := range skipped {
		sys := systemOf(sk.URI)
		if by[sys] == nil {
			continue
		}
		for _, e := range exclusions {
			if hasTag(sk.Tags, e.Tag) {
				if needs[sys] == nil {
					needs[sys] = map[string]int{}
				}
				needs[sys][needOf(e)]++
				break
			}
		}
	}
	for sys, m := range needs {
		for need, n := range m {
			by[sys].LeftOut = append(by[sys].LeftOut, LeftOut{Need: need, Count: n})
		}
		sort.Slice(by[sys].LeftOut, func(i, j int) bool {
			a, b := by[sys].LeftOut[i], by[sys].LeftOut[j]
			if a.Count != b.Count {
				return a.Count > b.Count
			}
			return a.Need < b.Need
		})
	}
	for _, r := range results {
		s := by[systemOf(r.URI)]
		if s == nil {
			continue
		}
		switch r.Status {
		case "passed":
			s.Ran++
			s.Passed++
		case "failed":
			s.Ran++
			s.Failed++
		default:
			s.SkippedAtRun++
		}
	}
	for _, c := range coverage {
		if s := by[c.System]; s != nil {
			s.Coverage = c.Percent()
		}
	}
	res := make([]SystemSummary, len(out))
	for i, s := range out {
		res[i] = *s
	}
	return res
}

func excluded(tags []string, exclusions []Exclusion) bool {
	for _, e := range exclusions {
		if hasTag(tags, e.Tag) {
			return true
		}
	}
	return false
}

// RunVerdict says in a few words how complete a run was.
func RunVerdict(sums []SystemSummary) string {
	ran, selected, left, failed := 0, 0, 0, 0
	for _, s := range sums {
		ran += s.Ran
		selected += s.Selected - s.OtherShards
		left += s.LeftOutCount()
		failed += s.Failed
	}
	// "Full" speaks of how much ran, not how it went: say that too.
	outcome := "; all passed"
	if failed > 0 {
		outcome = fmt.Sprintf("; %d failed", failed)
	}
	if ran == 0 {
		outcome = ""
	}
	if left > 0 {
		return fmt.Sprintf("PARTIAL RUN: %d of %d selected scenarios ran to a verdict, %d did not%s", ran, selected, left, outcome)
	}
	return fmt.Sprintf("full run: all %d selected scenarios ran to a verdict%s", ran, outcome)
}

// printSummary writes the run's last lines: how much ran, per system.
func printSummary(w io.Writer, sums []SystemSummary) {
	fmt.Fprintf(w, "\n%s\n", RunVerdict(sums))
	for _, s := range sums {
		fmt.Fprintf(w, "  %s\n", s)
	}
}

// Gate is a threshold per system, in percent; the key "" holds for every
// system without a key of its own.
type Gate map[string]float64

// For returns the threshold for a system, and whether there is one.
func (g Gate) For(system string) (float64, bool) {
	if v, ok := g[system]; ok {
		return v, true
	}
	v, ok := g[""]
	return v, ok
}

// check returns the gate's failures: what each system fell short of.
func checkGates(sums []SystemSummary, minCoverage, minScenarios Gate) []string {
	var fails []string
	for _, s := range sums {
		if min, ok := minCoverage.For(s.System); ok && s.Coverage < min {
			fails = append(fails, fmt.Sprintf("coverage %s is %s%%, below the %.1f%% asked for (--min-coverage): see what is not exercised in the coverage",
				s.System, formatPct(s.Coverage), min))
		}
		if min, ok := minScenarios.For(s.System); ok && s.RanPercent() < min {
			fails = append(fails, fmt.Sprintf("%s: %d of %d selected scenarios ran to a verdict (%s%%), below the %.1f%% asked for (--min-scenarios): see what was left out, and why, in the summary",
				s.System, s.Ran, s.Selected-s.OtherShards, formatPct(s.RanPercent()), min))
		}
	}
	return fails
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
