package main

import (
	"fmt"
	"time"

	"herald/simulator/proxy"
	"herald/steps"
)

// driftSides are the two sides of an exchange, as a drift report names them.
var driftSides = []struct{ side, name string }{{"response", "answer"}, {"request", "request"}}

// driftResults expresses a drift report as results the suite's report
// writers take: one case per system, operation and side (the answers
// first), passed when no rule was broken there, failed with a step per
// rule broken, which says how often and the first exchange that showed it.
func driftResults(d proxy.Report) []*steps.ScenarioResult {
	type key struct{ system, operation string }
	var ops []key
	seen := map[key]int{}
	for _, s := range d.Seen {
		k := key{s.System, s.Operation}
		ops = append(ops, k)
		seen[k] = s.Exchanges
	}
	rules := map[key]map[string][]proxy.Rule{}
	for _, r := range d.Rules {
		k := key{r.System, r.Operation}
		if rules[k] == nil {
			rules[k] = map[string][]proxy.Rule{}
			if _, ok := seen[k]; !ok { // beyond the bound of operations counted
				ops = append(ops, k)
			}
		}
		rules[k][r.Side] = append(rules[k][r.Side], r)
	}
	var out []*steps.ScenarioResult
	for _, k := range ops {
		op := k.operation
		if op == "" {
			op = "(no operation)"
		}
		for _, side := range driftSides {
			res := &steps.ScenarioResult{URI: k.system + "/" + op, Feature: k.system, Name: fmt.Sprintf("%s %s: %s", k.system, op, side.name),
				Line: 1, Tags: []string{"@" + side.name}, Status: "passed"}
			broken := rules[k][side.side]
			if len(broken) == 0 {
				text := fmt.Sprintf("every %s followed the spec", side.name)
				if n := seen[k]; n > 0 {
					text = fmt.Sprintf("every %s of %d %s followed the spec", side.name, n, plural(n, "exchange", "exchanges"))
				}
				res.Steps = []steps.StepResult{{Text: text, Status: "passed"}}
			}
			for _, r := range broken {
				res.Status = "failed"
				res.Steps = append(res.Steps, steps.StepResult{Text: fmt.Sprintf("%s %s: %s", side.name, r.Pointer, oneLine(r.Reason)), Status: "failed",
					Err: fmt.Sprintf("%s %s broke %s %d %s: %s\nfirst exchange: journal #%d, %s %s → %d, at %s", k.system, side.name, r.Pointer, r.Count,
						plural(r.Count, "time", "times"), oneLine(r.Reason), r.FirstID, r.Method, r.Path, r.Status, r.FirstAt.UTC().Format(time.RFC3339))})
			}
			out = append(out, res)
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// driftVerdict is the drift report's one line.
func driftVerdict(d proxy.Report) string {
	var answers, requests int
	for _, r := range d.Rules {
		if r.Side == "response" {
			answers++
		} else {
			requests++
		}
	}
	more := ""
	if d.Dropped > 0 {
		more = fmt.Sprintf("; %d more violations of rules beyond the report's bound", d.Dropped)
	}
	if answers == 0 {
		return fmt.Sprintf("no drift: every answer of %d %s followed the specs; requests broke %d %s", d.Exchanges, plural(d.Exchanges, "exchange", "exchanges"),
			requests, plural(requests, "rule", "rules")) + more
	}
	return fmt.Sprintf("DRIFT: answers broke %d %s of the specs, requests %d, in %d of %d exchanges", answers, plural(answers, "rule", "rules"), requests,
		d.Violating, d.Exchanges) + more
}

// writeDriftReports writes the drift report in each file format of formats.
func writeDriftReports(formats, target string, d proxy.Report) error {
	return steps.WriteResults(formats, steps.ResultsReport{Title: "Herald drift report", Target: target, Verdict: driftVerdict(d),
		Failed: driftStatus(d) != 0, Results: driftResults(d)})
}

// driftStatus is the exit status of a drift report: 1 when an answer broke
// the spec.
func driftStatus(d proxy.Report) int {
	for _, r := range d.Rules {
		if r.Side == "response" {
			return 1
		}
	}
	return 0
}
