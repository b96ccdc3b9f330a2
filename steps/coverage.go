package steps

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/specs"
)

// Coverage is what a run exercised of one spec, from the exchanges the
// steps saw: operations, documented response statuses (per operation) and
// security schemes.
type Coverage struct {
	System     string
	Operations Tally
	Responses  Tally
	Schemes    Tally
}

// Tally counts covered items among all, and names the missing ones.
type Tally struct {
	Covered int
	Total   int
	Missing []string
}

// Percent is the covered share of every operation, response and scheme.
func (c Coverage) Percent() float64 {
	total := c.Operations.Total + c.Responses.Total + c.Schemes.Total
	if total == 0 {
		return 100
	}
	return 100 * float64(c.Operations.Covered+c.Responses.Covered+c.Schemes.Covered) / float64(total)
}

// ComputeCoverage compares what the exchanges exercised with what checker's
// spec documents.
func ComputeCoverage(system string, checker *specs.Checker, exchanges []Exchange) Coverage {
	seenOp, seenResp, seenScheme := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, ex := range exchanges {
		if ex.System != system || ex.OperationID == "" || ex.Status == 0 {
			continue
		}
		route := checker.Route(ex.OperationID)
		if route == nil {
			continue
		}
		seenOp[ex.OperationID] = true
		seenResp[ex.OperationID+" "+strconv.Itoa(ex.Status)] = true
		for _, name := range schemesOf(route.Operation.Security, route.Spec.Security) {
			seenScheme[name] = true
		}
	}
	c := Coverage{System: system}
	schemes := map[string]bool{}
	for _, id := range checker.OperationIDs() {
		route := checker.Route(id)
		c.Operations.count(seenOp[id], id)
		var statuses []string
		for status := range route.Operation.Responses.Map() {
			if _, err := strconv.Atoi(status); err == nil {
				statuses = append(statuses, status)
			}
		}
		sort.Strings(statuses)
		for _, status := range statuses {
			c.Responses.count(seenResp[id+" "+status], id+" "+status)
		}
		for _, name := range schemesOf(route.Operation.Security, route.Spec.Security) {
			schemes[name] = true
		}
	}
	names := make([]string, 0, len(schemes))
	for name := range schemes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c.Schemes.count(seenScheme[name], name)
	}
	return c
}

func (t *Tally) count(covered bool, name string) {
	t.Total++
	if covered {
		t.Covered++
	} else {
		t.Missing = append(t.Missing, name)
	}
}

// schemesOf names the security schemes an operation asks for: its own
// requirements, else the document's.
func schemesOf(op *openapi3.SecurityRequirements, doc openapi3.SecurityRequirements) []string {
	reqs := doc
	if op != nil {
		reqs = *op
	}
	set := map[string]bool{}
	for _, req := range reqs {
		for name := range req {
			set[name] = true
		}
	}
	out := make([]string, 0, len(set))
	for name := range set {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func (t Tally) String() string {
	return fmt.Sprintf("%d/%d", t.Covered, t.Total)
}

// printCoverage writes the coverage of each spec, and what is missing.
func printCoverage(w io.Writer, cs []Coverage) {
	for _, c := range cs {
		fmt.Fprintf(w, "coverage %s: %.0f%% (operations %s, documented responses %s, security schemes %s)\n",
			c.System, c.Percent(), c.Operations, c.Responses, c.Schemes)
		for _, m := range []struct {
			what string
			t    Tally
		}{{"operations", c.Operations}, {"responses", c.Responses}, {"security schemes", c.Schemes}} {
			if len(m.t.Missing) > 0 {
				fmt.Fprintf(w, "  not exercised, %s: %s\n", m.what, strings.Join(m.t.Missing, ", "))
			}
		}
	}
}

func formatPct(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) }
