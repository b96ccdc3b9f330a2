package steps

import (
	"html/template"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// htmlReport is what the HTML report shows.
type htmlReport struct {
	// Title heads the page; "" is the conformance report's.
	Title string
	// Plain is a report of results alone (WriteResults): no run summary,
	// no coverage, no skipped scenarios.
	Plain     bool
	Target    string
	Generated string
	Totals    counts
	ByTag     []row
	Coverage  []Coverage
	Failures  []*ScenarioResult
	Skipped   []Skipped
	Scenarios []*ScenarioResult
	// Verdict says whether the run was partial; Summaries, per system,
	// how much ran and why the rest did not.
	Verdict   string
	Partial   bool
	Summaries []SystemSummary
	// SkippedAtRun are the scenarios that started and skipped themselves.
	SkippedAtRun []*ScenarioResult
	// Gates are the gates the run fell short of.
	Gates []string
}

type counts struct{ Passed, Failed, Skipped int }

type row struct {
	Name string
	counts
}

func (c *counts) add(status string) {
	switch status {
	case "passed":
		c.Passed++
	case "failed":
		c.Failed++
	default:
		c.Skipped++
	}
}

// writeHTML writes one self-contained page: no script, no link, nothing to
// fetch, so it opens from a CI artifact as it is.
func writeHTML(w io.Writer, target string, results []*ScenarioResult, skipped []Skipped, coverage []Coverage, sums []SystemSummary, gates []string) error {
	rep := htmlReport{Target: target, Coverage: coverage, Verdict: RunVerdict(sums), Summaries: sums, Gates: gates}
	for _, s := range sums {
		rep.Partial = rep.Partial || s.Partial()
	}
	return writeHTMLReport(w, rep, results, skipped)
}

// writeHTMLReport tallies the results and skipped scenarios into rep, and
// writes the page.
func writeHTMLReport(w io.Writer, rep htmlReport, results []*ScenarioResult, skipped []Skipped) error {
	if rep.Title == "" {
		rep.Title = "Herald conformance report"
	}
	rep.Generated = time.Now().UTC().Format(time.RFC3339)
	rep.Skipped, rep.Scenarios = skipped, results
	tags := map[string]*counts{}
	tally := func(m map[string]*counts, key, status string) {
		if m[key] == nil {
			m[key] = &counts{}
		}
		m[key].add(status)
	}
	for _, r := range results {
		rep.Totals.add(r.Status)
		for _, t := range r.Tags {
			tally(tags, t, r.Status)
		}
		if r.Status == "failed" {
			rep.Failures = append(rep.Failures, r)
		}
		if r.Status == "skipped" {
			rep.SkippedAtRun = append(rep.SkippedAtRun, r)
		}
	}
	for _, s := range skipped {
		rep.Totals.add("skipped")
		for _, t := range s.Tags {
			tally(tags, t, "skipped")
		}
	}
	rows := func(m map[string]*counts) []row {
		out := make([]row, 0, len(m))
		for k, v := range m {
			out = append(out, row{k, *v})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	rep.ByTag = rows(tags)
	return reportTemplate.Execute(w, rep)
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"headers": func(h http.Header) string {
		keys := make([]string, 0, len(h))
		for k := range h {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			b.WriteString(k + ": " + strings.Join(h[k], ", ") + "\n")
		}
		return b.String()
	},
	"pct":             func(c Coverage) string { return formatPct(c.Percent()) },
	"pctf":            formatPct,
	"failingExchange": failingExchange,
	"plural":          plural,
	"join":            func(s []string) string { return strings.Join(s, ", ") },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1b1b;max-width:72em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
.passed{color:#0a6b2d}.failed{color:#b00020;font-weight:bold}.skipped{color:#8a6d00}
pre{background:#f5f5f5;padding:.5em;white-space:pre-wrap;word-break:break-all;margin:.2em 0}
.violation{background:#fde7ea;border-left:4px solid #b00020;padding:.3em .6em}
.scenario{border:1px solid #ddd;padding:.5em 1em;margin:1em 0}
.verdict{padding:.6em 1em;margin:1em 0;font-size:1.1em;font-weight:bold}
.verdict.partial{background:#fff4d6;border-left:6px solid #c98a00}.verdict.full{background:#e6f4ea;border-left:6px solid #0a6b2d}
td.num{text-align:right}
.verdict.gate{background:#fde7ea;border-left:6px solid #b00020;color:#b00020}
.exchange{margin:.4em 0}.exchange.failing{border-left:4px solid #b00020;padding-left:.6em;background:#fffafa}
</style></head><body>
<h1>{{.Title}}</h1>
<p>Target: <b>{{.Target}}</b> · {{.Generated}} ·
<span class="passed">{{.Totals.Passed}} passed</span>, <span class="failed">{{.Totals.Failed}} failed</span>,
<span class="skipped">{{.Totals.Skipped}} skipped</span></p>
{{if .Plain}}<p class="verdict {{if .Partial}}gate{{else}}full{{end}}">{{.Verdict}}</p>{{else}}<p class="verdict {{if .Partial}}partial{{else}}full{{end}}">{{.Verdict}}</p>{{end}}
{{if .Gates}}<div class="verdict gate">The run fails its release gate:<ul>{{range .Gates}}<li>{{.}}</li>{{end}}</ul></div>{{end}}
{{if not .Plain}}<table><tr><th>system</th><th>scenarios</th><th>ran</th><th>passed</th><th>failed</th><th>left out, and what would bring them back</th><th>coverage</th></tr>
{{range .Summaries}}<tr><td>{{.System}}</td><td class="num">{{.Scenarios}}{{if ne .Selected .Scenarios}} ({{.Selected}} selected){{end}}</td><td class="num"><b>{{.Ran}}</b></td><td class="num passed">{{.Passed}}</td><td class="num{{if .Failed}} failed{{end}}">{{.Failed}}</td>
<td>{{range .LeftOut}}{{.Count}} {{plural .Count "needs" "need"}} {{.Need}}<br>{{end}}{{if .SkippedAtRun}}{{.SkippedAtRun}} skipped {{plural .SkippedAtRun "itself" "themselves"}} (reasons below)<br>{{end}}{{if .OtherShards}}{{.OtherShards}} in other shards{{end}}</td><td class="num">{{pctf .Coverage}}%</td></tr>
{{end}}</table>{{end}}

<h2>Failures</h2>
{{if not .Failures}}<p class="passed">No scenario failed.</p>{{else}}<ol>{{range $i, $f := .Failures}}<li><a href="#failure-{{$i}}" class="failed">{{$f.Name}}</a> · {{$f.URI}}:{{$f.Line}}</li>{{end}}</ol>{{end}}
{{range $i, $f := .Failures}}<div class="scenario" id="failure-{{$i}}"><h3 class="failed">{{$f.Name}}</h3>
<p>{{$f.Feature}} · {{$f.URI}}:{{$f.Line}}</p>
{{range $f.Steps}}{{if eq .Status "failed"}}<p>Failed step: <b>{{.Text}}</b></p><pre>{{.Err}}</pre>{{end}}{{end}}
{{$at := failingExchange $f}}{{if gt (len $f.Exchanges) 1}}<p>{{len $f.Exchanges}} exchanges; the one that failed is open, the others folded.</p>{{end}}
{{range $j, $x := $f.Exchanges}}<div class="exchange{{if eq $j $at}} failing{{end}}"><h4>{{if eq $j $at}}▶ {{end}}{{$x.Method}} {{$x.URL}} → {{if $x.Err}}no answer{{else}}{{$x.Status}}{{end}}{{if $x.OperationID}} ({{$x.System}} {{$x.OperationID}}){{end}}</h4>
{{if $x.Violation}}<p class="violation">Spec violation of {{$x.System}} {{if $x.OperationID}}{{$x.OperationID}}{{else}}(no operation){{end}}, status {{$x.Status}}: {{$x.Violation}}</p>{{end}}
{{if $x.Err}}<p class="violation">{{$x.Err}}</p>{{end}}
<details{{if eq $j $at}} open{{end}}><summary>Request</summary><pre>{{$x.Method}} {{$x.URL}}
{{headers $x.ReqHeader}}
{{$x.ReqBody}}</pre></details>
{{if not $x.Err}}<details{{if eq $j $at}} open{{end}}><summary>Response</summary><pre>{{$x.Status}}
{{headers $x.RespHeader}}
{{$x.RespBody}}</pre></details>{{end}}</div>
{{end}}</div>{{end}}

<h2>Per tag</h2>
<table><tr><th>tag</th><th>passed</th><th>failed</th><th>skipped</th></tr>
{{range .ByTag}}<tr><td>{{.Name}}</td><td>{{.Passed}}</td><td>{{.Failed}}</td><td>{{.Skipped}}</td></tr>{{end}}</table>

{{if not .Plain}}<h2>Contract coverage</h2>
{{range .Coverage}}<h3>{{.System}}: {{pct .}}%</h3>
<table><tr><th></th><th>exercised</th><th>not exercised</th></tr>
<tr><td>operations</td><td>{{.Operations}}</td><td>{{join .Operations.Missing}}</td></tr>
<tr><td>documented responses</td><td>{{.Responses}}</td><td>{{join .Responses.Missing}}</td></tr>
<tr><td>security schemes</td><td>{{.Schemes}}</td><td>{{join .Schemes.Missing}}</td></tr></table>
{{end}}

<h2>Skipped, with reasons</h2>
{{if and (not .Skipped) (not .SkippedAtRun)}}<p>None.</p>{{end}}
<table>{{range .Skipped}}<tr><td>{{.URI}}:{{.Line}}</td><td>{{.Name}}</td><td class="skipped">{{.Reason}}</td></tr>{{end}}{{range .SkippedAtRun}}<tr><td>{{.URI}}:{{.Line}}</td><td>{{.Name}}</td><td class="skipped">skipped at run: {{.Reason}}</td></tr>{{end}}</table>{{end}}

<h2>Every scenario</h2>
<table><tr><th>scenario</th><th>where</th><th>result</th></tr>
{{range .Scenarios}}<tr><td>{{.Name}}</td><td>{{.URI}}:{{.Line}}</td><td class="{{.Status}}">{{.Status}}</td></tr>{{end}}</table>
</body></html>
`))

// failingExchange is the index of the exchange a failed scenario failed
// on: the last with a spec violation or no answer, else the last one.
func failingExchange(r *ScenarioResult) int {
	for i := len(r.Exchanges) - 1; i >= 0; i-- {
		if r.Exchanges[i].Violation != "" || r.Exchanges[i].Err != "" {
			return i
		}
	}
	return len(r.Exchanges) - 1
}
