package steps

import (
	"fmt"
	"io"
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

// printCoverage writes the coverage of each spec, and what is missing.
func printCoverage(w io.Writer, cs []Coverage) {
	for _, c := range cs {
		fmt.Fprintf(w, "coverage %s: %.0f%% (operations %s, documented responses %s, security schemes %s)\n",
			c.System, c.Percent(), c.Operations, c.Responses, c.Schemes)
		for _, m := range []struct {
			what string
			t    specs.Tally
		}{{"operations", c.Operations}, {"responses", c.Responses}, {"security schemes", c.Schemes}} {
			if len(m.t.Missing) > 0 {
				fmt.Fprintf(w, "  not exercised, %s: %s\n", m.what, strings.Join(m.t.Missing, ", "))
			}
		}
	}
}

func formatPct(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) }
