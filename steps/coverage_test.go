package steps

import (
	"fmt"
	"strings"
	"testing"

	"herald/specs"
)

// The console names what a run did not exercise of the systems it set out
// to check, a dozen items of each kind at most; the reports name them all.
func TestConsoleCoverageIsShort(t *testing.T) {
	var missing []string
	for i := 0; i < consoleMissing+5; i++ {
		missing = append(missing, fmt.Sprintf("op%d 500", i))
	}
	cs := []Coverage{
		{System: "alpha", Operations: specs.Tally{Total: 1, Covered: 1}, Responses: specs.Tally{Total: len(missing) + 1, Covered: 1, Missing: missing}},
		{System: "beta", Operations: specs.Tally{Total: 1, Missing: []string{"unseen"}}},
	}
	sums := []SystemSummary{{System: "alpha", Selected: 3}, {System: "beta", Selected: 0}}
	var out strings.Builder
	printCoverage(&out, coverageOfSelected(cs, sums))
	got := out.String()
	if strings.Contains(got, "beta") {
		t.Errorf("the console reports the coverage of a system no scenario was selected of:\n%s", got)
	}
	if !strings.Contains(got, "coverage alpha:") || !strings.Contains(got, "op11 500") {
		t.Errorf("the console lost the coverage of the system checked:\n%s", got)
	}
	if strings.Contains(got, "op12 500") || !strings.Contains(got, "… and 5 more (the reports list them all)") {
		t.Errorf("the console names more than %d missing responses, or does not say how many more:\n%s", consoleMissing, got)
	}
}

// The console groups what a run left out by reason, then by file, so that a
// hundred scenarios left out for three reasons take a few lines, and still
// names every one.
func TestConsoleGroupsSkippedByReason(t *testing.T) {
	skipped := []Skipped{
		{URI: "a.feature", Line: 3, Reason: "@herald-design: designed"},
		{URI: "a.feature", Line: 9, Reason: "@herald-design: designed"},
		{URI: "b.feature", Line: 4, Reason: "@mutating: changes data"},
		{URI: "b.feature", Line: 7, Reason: "@herald-design: designed"},
	}
	var out strings.Builder
	printSkipped(&out, skipped)
	want := "\n4 scenarios skipped, by reason and file:line (the reports name each one):\n" +
		"  3 — @herald-design: designed\n" +
		"      a.feature:3,9; b.feature:7\n" +
		"  1 — @mutating: changes data\n" +
		"      b.feature:4\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
