package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald/simulator/proxy"
)

// driftFixture is a drift report with an answer's rule, whose pointer needs
// escaping in HTML, a request's rule, and a clean operation.
func driftFixture() proxy.Report {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	return proxy.Report{Exchanges: 5, Violating: 3,
		Seen: []proxy.Seen{{System: "mopay", Operation: "user_notice_fetch", Exchanges: 3}, {System: "mopay", Operation: "user_profile_create", Exchanges: 1},
			{System: "monnet", Operation: "payout_status", Exchanges: 1}},
		Rules: []proxy.Rule{
			{System: "mopay", Operation: "user_notice_fetch", Side: "response", Pointer: "/DATA/0/<b>&x", Reason: "must be a string", Count: 2, FirstID: 7, FirstAt: at, Method: "GET", Path: "/mopay/user_notice_fetch", Status: 200},
			{System: "mopay", Operation: "user_notice_fetch", Side: "response", Pointer: "/REQUEST/STATUS", Reason: "must be one of OK, FAILED", Count: 1, FirstID: 8, FirstAt: at, Method: "GET", Path: "/mopay/user_notice_fetch", Status: 200},
			{System: "mopay", Operation: "user_profile_create", Side: "request", Pointer: "/emal", Reason: "must be a string", Count: 1, FirstID: 9, FirstAt: at, Method: "POST", Path: "/mopay/user_profile_create", Status: 400},
		}}
}

// The drift report in JUnit is valid XML with a case per operation and
// side and a failure per rule broken, naming its pointer and its first
// exchange.
func TestDriftJUnit(t *testing.T) {
	file := filepath.Join(t.TempDir(), "drift.xml")
	if err := writeDriftReports("progress,junit:"+file, "target.yaml", driftFixture()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name     string `xml:"name,attr"`
				Status   string `xml:"status,attr"`
				Failures []struct {
					Message string `xml:"message,attr"`
					Type    string `xml:"type,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b)
	}
	if doc.Tests != 6 || doc.Failures != 2 || len(doc.Suites) != 2 {
		t.Fatalf("tests %d failures %d suites %d:\n%s", doc.Tests, doc.Failures, len(doc.Suites), b)
	}
	failures := map[string]string{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if (len(c.Failures) > 0) != (c.Status == "failed") {
				t.Errorf("case %s is %s with %d failures", c.Name, c.Status, len(c.Failures))
			}
			for _, f := range c.Failures {
				failures[f.Message] = c.Name + " | " + f.Type + " | " + f.Text
			}
		}
	}
	if len(failures) != 3 {
		t.Fatalf("want a failure per rule, got %v", failures)
	}
	for msg, want := range map[string][]string{
		"answer /DATA/0/<b>&x: must be a string":            {"mopay user_notice_fetch: answer", "| answer |", "2 times", "journal #7, GET /mopay/user_notice_fetch → 200, at 2026-05-01T12:00:00Z"},
		"answer /REQUEST/STATUS: must be one of OK, FAILED": {"1 time", "journal #8"},
		"request /emal: must be a string":                   {"mopay user_profile_create: request", "| request |", "journal #9, POST /mopay/user_profile_create → 400"},
	} {
		got, ok := failures[msg]
		if !ok {
			t.Errorf("no failure %q in %v", msg, failures)
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("failure %q lacks %q: %s", msg, w, got)
			}
		}
	}
}

// The drift report in Cucumber is JSON: a feature per system, a scenario
// per operation and side, a failed step per rule.
func TestDriftCucumber(t *testing.T) {
	file := filepath.Join(t.TempDir(), "drift.json")
	if err := writeDriftReports("cucumber:"+file, "target.yaml", driftFixture()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	var features []struct {
		Name     string
		Elements []struct {
			Name  string
			Steps []struct {
				Name   string
				Result struct {
					Status       string
					ErrorMessage string `json:"error_message"`
				}
			}
		}
	}
	if err := json.Unmarshal(b, &features); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	failed := map[string]string{}
	scenarios := 0
	for _, f := range features {
		for _, e := range f.Elements {
			scenarios++
			for _, s := range e.Steps {
				if s.Result.Status == "failed" {
					failed[s.Name] = e.Name + " | " + s.Result.ErrorMessage
				}
			}
		}
	}
	if len(features) != 2 || scenarios != 6 || len(failed) != 3 {
		t.Fatalf("%d features, %d scenarios, failed steps %v", len(features), scenarios, failed)
	}
	if got := failed["answer /DATA/0/<b>&x: must be a string"]; !strings.Contains(got, "mopay user_notice_fetch: answer") || !strings.Contains(got, "journal #7") {
		t.Errorf("the answer's rule: %q", got)
	}
}

// The drift report in HTML shows each pointer, escaped, with its first
// exchange, and says there was drift.
func TestDriftHTML(t *testing.T) {
	file := filepath.Join(t.TempDir(), "drift.html")
	if err := writeDriftReports("html:"+file, "target.yaml", driftFixture()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	page := string(b)
	for _, want := range []string{"<title>Herald drift report</title>", "/DATA/0/&lt;b&gt;&amp;x", "/REQUEST/STATUS", "/emal", "journal #7", "DRIFT: answers broke 2 rules", "monnet payout_status: answer"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>&x") {
		t.Error("a pointer is not escaped")
	}
	for _, absent := range []string{"Contract coverage", "Skipped, with reasons"} {
		if strings.Contains(page, absent) {
			t.Errorf("a drift report shows %q", absent)
		}
	}
}

// No answer broke the spec: exit status 0, and the verdict says so; a
// request's rule alone is the client's, reported but not drift.
func TestDriftStatus(t *testing.T) {
	d := driftFixture()
	if driftStatus(d) != 1 {
		t.Error("answers broke the spec, and the status is 0")
	}
	d.Rules = d.Rules[2:]
	if driftStatus(d) != 0 {
		t.Error("only a request broke the spec, and the status is 1")
	}
	if v := driftVerdict(d); !strings.HasPrefix(v, "no drift") || !strings.Contains(v, "requests broke 1 rule") {
		t.Errorf("verdict %q", v)
	}
}
