package steps

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Skipped is a scenario a run left out, and why: it is reported as skipped,
// with its reason, in every format, never silently dropped.
type Skipped struct {
	URI     string
	Feature string
	Name    string
	Line    int64
	Tags    []string
	Steps   []string
	Reason  string
}

// skippedOf lists the scenarios that the user's expression selects and the
// run's does not, each with the reason of the first exclusion it falls under.
func skippedOf(runs []scenarioRun, userExpr string, exclusions []Exclusion) []Skipped {
	user := parseGroups(userExpr)
	var out []Skipped
	for _, r := range runs {
		if !matchNames(user, r.tags) {
			continue
		}
		for _, e := range exclusions {
			if hasTag(r.tags, e.Tag) {
				out = append(out, Skipped{URI: r.uri, Feature: r.feature, Name: r.name, Line: r.line, Tags: r.tags, Steps: r.steps,
					Reason: fmt.Sprintf("%s: %s", e.Tag, e.Why)})
				break
			}
		}
	}
	return out
}

// printSkipped lists the skipped scenarios on the console.
func printSkipped(w io.Writer, skipped []Skipped) {
	if len(skipped) == 0 {
		return
	}
	var reasons []string
	count := map[string]int{}
	files := map[string][]string{}    // per reason, the files in order
	lines := map[[2]string][]string{} // per reason and file, the lines
	for _, s := range skipped {
		if count[s.Reason] == 0 {
			reasons = append(reasons, s.Reason)
		}
		count[s.Reason]++
		k := [2]string{s.Reason, s.URI}
		if lines[k] == nil {
			files[s.Reason] = append(files[s.Reason], s.URI)
		}
		lines[k] = append(lines[k], strconv.FormatInt(s.Line, 10))
	}
	fmt.Fprintf(w, "\n%d scenarios skipped, by reason and file:line (the reports name each one):\n", len(skipped))
	for _, r := range reasons {
		fmt.Fprintf(w, "  %d — %s\n", count[r], r)
		var where []string
		for _, f := range files[r] {
			where = append(where, f+":"+strings.Join(lines[[2]string{r, f}], ","))
		}
		writeWrapped(w, "      ", where, 100)
	}
}

// writeWrapped writes items separated by semicolons, in lines of about width
// characters, each after indent.
func writeWrapped(w io.Writer, indent string, items []string, width int) {
	line := indent
	for i, it := range items {
		sep := "; "
		if i == len(items)-1 {
			sep = ""
		}
		if len(line) > len(indent) && len(line)+len(it)+len(sep) > width {
			fmt.Fprintln(w, strings.TrimRight(line, " "))
			line = indent
		}
		line += it + sep
	}
	fmt.Fprintln(w, strings.TrimRight(line, " "))
}

// printSkippedWhileRunning lists the scenarios a step skipped (godog.ErrSkip),
// with the reason it gave: godog's own summary counts them as passed.
func printSkippedWhileRunning(w io.Writer, results []*ScenarioResult) {
	var lines []string
	for _, r := range results {
		if r.Status == "skipped" {
			lines = append(lines, fmt.Sprintf("  - %s:%d %s — %s", r.URI, r.Line, r.Name, r.Reason))
		}
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%d scenarios skipped while running, each with its reason (godog's count above has them as passed; the summary below does not):\n%s\n", len(lines), strings.Join(lines, "\n"))
}

// JUnit, as godog writes it, with the skipped scenarios added as
// <testcase><skipped message="…"/></testcase>.
type junitSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Name     string        `xml:"name,attr"`
	Tests    int           `xml:"tests,attr"`
	Skipped  int           `xml:"skipped,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Time     string        `xml:"time,attr"`
	Suites   []*junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Tests      int              `xml:"tests,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Time       string           `xml:"time,attr"`
	Cases      []*junitCase     `xml:"testcase"`
}

type junitProperties struct {
	Items []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// summarySuite is the run's summary as a JUnit suite of its own, first:
// properties a CI can read (herald.run, herald.<system>.ran …) and one
// test case per system, skipped with its summary when it ran in part, so
// that a partial run shows as such in any JUnit viewer.
func summarySuite(sums []SystemSummary, gates []string) *junitSuite {
	verdict := RunVerdict(sums)
	suite := &junitSuite{Name: "Herald run summary: " + verdict, Time: "0", Properties: &junitProperties{}}
	add := func(name, value string) {
		suite.Properties.Items = append(suite.Properties.Items, junitProperty{Name: name, Value: value})
	}
	run := "full"
	for _, s := range sums {
		if s.Partial() {
			run = "partial"
		}
	}
	add("herald.run", run)
	add("herald.verdict", verdict)
	for _, s := range sums {
		p := "herald." + s.System + "."
		add(p+"scenarios", fmt.Sprint(s.Scenarios))
		add(p+"selected", fmt.Sprint(s.Selected))
		add(p+"ran", fmt.Sprint(s.Ran))
		add(p+"passed", fmt.Sprint(s.Passed))
		add(p+"failed", fmt.Sprint(s.Failed))
		add(p+"left-out", fmt.Sprint(s.LeftOutCount()))
		add(p+"coverage", formatPct(s.Coverage))
		add(p+"summary", s.String())
		c := &junitCase{Name: s.String(), Status: "passed", Time: "0"}
		if s.Partial() {
			c.Status, c.Skipped = "skipped", &junitSkipped{Message: "partial: " + s.String()}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
	}
	// Each gate the run fell short of is a failed case: the run's exit
	// status is 1, and a CI dashboard must not show it green.
	for _, g := range gates {
		suite.Cases = append(suite.Cases, &junitCase{Name: "release gate: " + g, Status: "failed", Time: "0",
			Inner: fmt.Sprintf(`<failure message="%s" type="gate"></failure>`, xmlEscape(g))})
		suite.Tests++
		suite.Failures++
	}
	add("herald.gates", fmt.Sprint(len(gates), " failed"))
	return suite
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

type junitCase struct {
	Name    string        `xml:"name,attr"`
	Status  string        `xml:"status,attr"`
	Time    string        `xml:"time,attr"`
	Inner   string        `xml:",innerxml"`
	Skipped *junitSkipped `xml:"skipped"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// writeJUnit copies godog's JUnit report from src to dst, adding the skipped
// scenarios.
func writeJUnit(src, dst string, skipped []Skipped, sums []SystemSummary, results []*ScenarioResult, gates []string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var doc junitSuites
	if len(b) > 0 {
		if err := xml.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("reading godog's JUnit report: %w", err)
		}
	}
	if doc.Name == "" {
		doc.Name = "herald"
	}
	markSkippedAtRun(&doc, results)
	for _, s := range skipped {
		var suite *junitSuite
		for _, su := range doc.Suites {
			if su.Name == s.Feature {
				suite = su
			}
		}
		if suite == nil {
			suite = &junitSuite{Name: s.Feature, Time: "0"}
			doc.Suites = append(doc.Suites, suite)
		}
		suite.Cases = append(suite.Cases, &junitCase{Name: fmt.Sprintf("%s (%s:%d)", s.Name, s.URI, s.Line), Status: "skipped", Time: "0",
			Skipped: &junitSkipped{Message: s.Reason}})
		suite.Tests++
		suite.Skipped++
		doc.Tests++
		doc.Skipped++
	}
	if len(sums) > 0 {
		sum := summarySuite(sums, gates)
		doc.Suites = append([]*junitSuite{sum}, doc.Suites...)
		doc.Tests += sum.Tests
		doc.Skipped += sum.Skipped
		doc.Failures += sum.Failures
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(dst, append([]byte(xml.Header), append(out, '\n')...), 0o644)
}

// writeCucumber copies godog's Cucumber JSON report from src to dst, adding
// the skipped scenarios, each with its steps skipped and the reason as the
// error message (Cucumber JSON has no field of its own for it).
func writeCucumber(src, dst string, skipped []Skipped, sums []SystemSummary, results []*ScenarioResult, gates []string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var features []map[string]any
	if len(strings.TrimSpace(string(b))) > 0 {
		if err := json.Unmarshal(b, &features); err != nil {
			return fmt.Errorf("reading godog's Cucumber report: %w", err)
		}
	}
	markCucumberSkippedAtRun(features, results)
	byURI := map[string]map[string]any{}
	for _, f := range features {
		uri, _ := f["uri"].(string)
		uri, _, _ = strings.Cut(uri, ":")
		byURI[uri] = f
	}
	for _, s := range skipped {
		f := byURI[s.URI]
		if f == nil {
			f = map[string]any{"uri": s.URI, "id": slug(s.Feature), "keyword": "Feature", "name": s.Feature, "description": "", "line": 1, "elements": []any{}}
			byURI[s.URI] = f
			features = append(features, f)
		}
		var steps []any
		for _, text := range s.Steps {
			steps = append(steps, map[string]any{"keyword": "* ", "name": text, "line": s.Line,
				"result": map[string]any{"status": "skipped", "error_message": s.Reason}})
		}
		var tags []any
		for _, t := range s.Tags {
			tags = append(tags, map[string]any{"name": t, "line": s.Line})
		}
		elements, _ := f["elements"].([]any)
		f["elements"] = append(elements, map[string]any{
			"id": slug(s.Feature) + ";" + slug(s.Name), "keyword": "Scenario", "name": s.Name, "line": s.Line, "type": "scenario",
			"description": "Skipped: " + s.Reason, "tags": tags, "steps": steps})
	}
	sort.SliceStable(features, func(i, j int) bool { return fmt.Sprint(features[i]["uri"]) < fmt.Sprint(features[j]["uri"]) })
	if len(sums) > 0 {
		// The summary comes first, as a feature of its own with no
		// scenario: its name says whether the run was partial, and its
		// description gives each system's line.
		var lines []string
		for _, s := range sums {
			lines = append(lines, s.String())
		}
		// Each gate the run fell short of is a failed step of a scenario
		// of its own there.
		elements := []any{}
		if len(gates) > 0 {
			var steps []any
			for _, g := range gates {
				steps = append(steps, map[string]any{"keyword": "* ", "name": "release gate", "line": 1,
					"result": map[string]any{"status": "failed", "error_message": g}})
			}
			elements = append(elements, map[string]any{"id": "herald-run-summary;release-gate", "keyword": "Scenario", "name": "Release gate",
				"line": 1, "type": "scenario", "steps": steps})
			lines = append(lines, gates...)
		}
		features = append([]map[string]any{{"uri": "herald/run-summary", "id": "herald-run-summary", "keyword": "Summary",
			"name": "Herald run summary: " + RunVerdict(sums), "description": strings.Join(lines, "\n"), "line": 1,
			"tags": []any{map[string]any{"name": "@herald-summary", "line": 1}}, "elements": elements}}, features...)
	}
	out, err := json.MarshalIndent(features, "", "    ")
	if err != nil {
		return err
	}
	return os.WriteFile(dst, append(out, '\n'), 0o644)
}

func slug(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), " ", "-")
}

// skippedStep is how godog's JUnit report writes a skipped step: as an
// error, which JUnit viewers count as one.
var skippedStep = regexp.MustCompile(`\s*<error message="[^"]*" type="skipped"></error>`)

// ranAs reports whether a report's scenario name is the result's: the
// same, or an outline row's ("name #2").
func ranAs(name string, r *ScenarioResult) bool {
	rest, ok := strings.CutPrefix(name, r.Name)
	return ok && (rest == "" || strings.HasPrefix(rest, " #"))
}

// markSkippedAtRun turns each scenario a step skipped, which godog reports
// as passed with its steps as errors of type "skipped", into a skipped test
// case with its reason.
func markSkippedAtRun(doc *junitSuites, results []*ScenarioResult) {
	for _, r := range results {
		if r.Status != "skipped" {
			continue
		}
	marked:
		for _, suite := range doc.Suites {
			if suite.Name != r.Feature {
				continue
			}
			for _, c := range suite.Cases {
				if c.Skipped == nil && ranAs(c.Name, r) && strings.Contains(c.Inner, `type="skipped"`) && !strings.Contains(c.Inner, "<failure") {
					c.Inner = skippedStep.ReplaceAllString(c.Inner, "")
					c.Status, c.Skipped = "skipped", &junitSkipped{Message: r.Reason}
					suite.Skipped++
					doc.Skipped++
					break marked
				}
			}
		}
	}
}

// markCucumberSkippedAtRun gives the first skipped step of each scenario a
// step skipped its reason, as the error message Cucumber JSON has room for.
func markCucumberSkippedAtRun(features []map[string]any, results []*ScenarioResult) {
	done := map[[2]int]bool{} // feature and element index
	for _, r := range results {
		if r.Status != "skipped" {
			continue
		}
	marked:
		for fi, f := range features {
			if f["name"] != r.Feature {
				continue
			}
			elements, _ := f["elements"].([]any)
			for ei, e := range elements {
				el, _ := e.(map[string]any)
				name, _ := el["name"].(string)
				if el == nil || done[[2]int{fi, ei}] || !ranAs(name, r) {
					continue
				}
				steps, _ := el["steps"].([]any)
				for _, st := range steps {
					step, _ := st.(map[string]any)
					res, _ := step["result"].(map[string]any)
					if res != nil && res["status"] == "skipped" {
						res["error_message"] = "skipped: " + r.Reason
						done[[2]int{fi, ei}] = true
						break marked
					}
				}
			}
		}
	}
}
