package steps

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"strings"
)

// ResultsReport is a report made of results alone, without a godog run
// behind it: herald proxy's drift report, each operation and side a
// scenario, each rule it broke a failed step.
type ResultsReport struct {
	// Title heads the HTML page ("Herald drift report").
	Title string
	// Target names what was checked.
	Target string
	// Verdict is the report's one-line outcome.
	Verdict string
	// Failed colours the verdict: true when the run fails.
	Failed  bool
	Results []*ScenarioResult
}

// WriteResults writes the report in each file format of formats
// (junit:FILE, cucumber:FILE, html:FILE), as herald test writes its own;
// the console formats (progress, pretty) are the caller's and are passed
// over.
func WriteResults(formats string, rep ResultsReport) error {
	for _, f := range strings.Split(formats, ",") {
		name, file, hasFile := strings.Cut(strings.TrimSpace(f), ":")
		if !hasFile {
			continue
		}
		var b []byte
		var err error
		switch name {
		case "junit":
			b, err = resultsJUnit(rep)
		case "cucumber":
			b, err = resultsCucumber(rep)
		case "html":
			var buf bytes.Buffer
			err = writeHTMLReport(&buf, htmlReport{Title: rep.Title, Target: rep.Target, Verdict: rep.Verdict, Partial: rep.Failed, Plain: true}, rep.Results, nil)
			b = buf.Bytes()
		default:
			return fmt.Errorf("unknown format %q", name)
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(file, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// resultsJUnit is one suite per feature, one case per result, one failure
// per failed step.
func resultsJUnit(rep ResultsReport) ([]byte, error) {
	doc := junitSuites{Name: "herald", Time: "0"}
	byName := map[string]*junitSuite{}
	for _, r := range rep.Results {
		suite := byName[r.Feature]
		if suite == nil {
			suite = &junitSuite{Name: r.Feature, Time: "0"}
			byName[r.Feature] = suite
			doc.Suites = append(doc.Suites, suite)
		}
		c := &junitCase{Name: r.Name, Status: r.Status, Time: fmt.Sprintf("%.3f", r.Duration.Seconds())}
		var inner strings.Builder
		for _, s := range r.Steps {
			if s.Status == "failed" {
				fmt.Fprintf(&inner, `<failure message="%s" type="%s">%s</failure>`, xmlEscape(s.Text), xmlEscape(firstTag(r)), xmlEscape(s.Err))
			}
		}
		c.Inner = inner.String()
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
		doc.Tests++
		switch r.Status {
		case "failed":
			suite.Failures++
			doc.Failures++
		case "skipped":
			c.Skipped = &junitSkipped{Message: r.Reason}
			suite.Skipped++
			doc.Skipped++
		}
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// firstTag is a result's first tag without its @, "" when it has none: the
// type of its failures in JUnit.
func firstTag(r *ScenarioResult) string {
	if len(r.Tags) == 0 {
		return ""
	}
	return strings.TrimPrefix(r.Tags[0], "@")
}

// resultsCucumber is one feature per feature name, one scenario per
// result, one step per step result.
func resultsCucumber(rep ResultsReport) ([]byte, error) {
	features := []map[string]any{}
	byName := map[string]map[string]any{}
	for _, r := range rep.Results {
		f := byName[r.Feature]
		if f == nil {
			f = map[string]any{"uri": r.URI, "id": slug(r.Feature), "keyword": "Feature", "name": r.Feature, "description": "", "line": 1, "elements": []any{}}
			byName[r.Feature] = f
			features = append(features, f)
		}
		steps := []any{}
		for _, s := range r.Steps {
			res := map[string]any{"status": s.Status, "duration": 0}
			if s.Err != "" {
				res["error_message"] = s.Err
			}
			steps = append(steps, map[string]any{"keyword": "* ", "name": s.Text, "line": r.Line, "result": res})
		}
		tags := []any{}
		for _, t := range r.Tags {
			tags = append(tags, map[string]any{"name": t, "line": r.Line})
		}
		f["elements"] = append(f["elements"].([]any), map[string]any{
			"id": slug(r.Feature) + ";" + slug(r.Name), "keyword": "Scenario", "name": r.Name, "line": r.Line, "type": "scenario",
			"description": r.Reason, "tags": tags, "steps": steps})
	}
	out, err := json.MarshalIndent(features, "", "    ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
