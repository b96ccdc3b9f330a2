package steps

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"herald/specs"
)

// Coverage is what a run exercised of one spec, from the exchanges the
// steps saw.
type Coverage = specs.Coverage

// ComputeCoverage compares what the exchanges exercised with what checker's
// spec documents.
func ComputeCoverage(system string, checker *specs.Checker, exchanges []Exchange) Coverage {
	var seen []specs.Exercised
	for _, ex := range exchanges {
		if ex.System == system && ex.OperationID != "" {
			seen = append(seen, specs.Exercised{OperationID: ex.OperationID, Status: ex.Status})
		}
	}
	return checker.Coverage(system, seen)
}

// consoleMissing is how many missing items of one kind the console names;
// the reports name them all.
const consoleMissing = 12

// printCoverage writes the coverage of each spec, and what is missing: the
// first consoleMissing items of each kind, and how many more the reports
// list.
func printCoverage(w io.Writer, cs []Coverage) {
	for _, c := range cs {
		fmt.Fprintf(w, "coverage %s: %s%% (operations %s, documented responses %s, security schemes %s)\n",
			c.System, formatPct(c.Percent()), c.Operations, c.Responses, c.Schemes)
		for _, m := range []struct {
			what string
			t    specs.Tally
		}{{"operations", c.Operations}, {"responses", c.Responses}, {"security schemes", c.Schemes}} {
			missing := m.t.Missing
			if len(missing) == 0 {
				continue
			}
			more := ""
			if len(missing) > consoleMissing {
				more = fmt.Sprintf(" … and %d more (the reports list them all)", len(missing)-consoleMissing)
				missing = missing[:consoleMissing]
			}
			fmt.Fprintf(w, "  not exercised, %s: %s%s\n", m.what, strings.Join(missing, ", "), more)
		}
	}
}

// coverageOfSelected keeps the coverage of the systems of which --tags
// selected a scenario: a system the run did not set out to check has
// nothing to report but a long list of what it did not exercise. Its
// coverage stays in the summary and the reports.
func coverageOfSelected(cs []Coverage, sums []SystemSummary) []Coverage {
	selected := map[string]bool{}
	for _, s := range sums {
		selected[s.System] = s.Selected > 0
	}
	var out []Coverage
	for _, c := range cs {
		if selected[c.System] {
			out = append(out, c)
		}
	}
	return out
}

// formatPct writes a percentage with the one decimal the gates compare:
// 39.7 %, which a gate of 40 fails, never shows as 40 %. It rounds down, so
// that a figure copied into --min-coverage or --min-scenarios holds.
func formatPct(p float64) string { return strconv.FormatFloat(math.Floor(p*10)/10, 'f', 1, 64) }
