package steps

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"

	"herald/specs/wire/redact"
)

// Exchange is one HTTP exchange a step made, as reports show it: secrets
// redacted, bodies clipped.
type Exchange struct {
	System      string
	OperationID string // "" when the request named no operation
	Method      string
	URL         string
	ReqHeader   http.Header
	ReqBody     string
	Status      int
	RespHeader  http.Header
	RespBody    string
	// Violation is what was wrong with the answer against the spec.
	Violation string
	// Err is why no answer came.
	Err string
}

// StepResult is one step as it ended.
type StepResult struct {
	Text   string
	Status string // passed, failed, skipped, undefined, pending
	Err    string
}

// ScenarioResult is one scenario of a run, as reports show it.
type ScenarioResult struct {
	URI       string
	Feature   string
	Name      string
	Line      int64
	Tags      []string
	Status    string // passed, failed, skipped
	Reason    string // why it was skipped, when it was
	Steps     []StepResult
	Exchanges []Exchange
	Duration  time.Duration
}

// journal collects what a run did, for the reports and the coverage.
type journal struct {
	mu        sync.Mutex
	scenarios []*ScenarioResult
}

func (j *journal) add(r *ScenarioResult) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.scenarios = append(j.scenarios, r)
}

// results returns the scenarios in place order.
func (j *journal) results() []*ScenarioResult {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := append([]*ScenarioResult(nil), j.scenarios...)
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].URI != out[b].URI {
			return out[a].URI < out[b].URI
		}
		return out[a].Line < out[b].Line
	})
	return out
}

// Exchanged records an exchange of the scenario and returns what its check
// against the spec means for the step (see Checked). req and resp may be
// nil; body is the answer's body.
func (s *Scenario) Exchanged(system, operationID string, req *http.Request, reqBody []byte, resp *http.Response, body []byte, violation, transport error) error {
	ex := Exchange{System: system, OperationID: operationID}
	if req != nil {
		ex.Method, ex.URL, ex.ReqHeader, ex.ReqBody = req.Method, redact.URL(req.URL.String()), redact.Header(req.Header), Clip(redact.Body(reqBody))
	}
	if resp != nil {
		ex.Status, ex.RespHeader, ex.RespBody = resp.StatusCode, redact.Header(resp.Header), Clip(redact.Body(body))
	}
	if violation != nil {
		ex.Violation = violation.Error()
	}
	if transport != nil {
		msg := transport.Error()
		if req != nil { // the URL may carry a signature or a code
			msg = strings.ReplaceAll(msg, req.URL.String(), ex.URL)
		}
		ex.Err = msg
	}
	s.exchanges = append(s.exchanges, ex)
	if transport != nil {
		return errors.New(ex.Err)
	}
	return s.Checked(system, violation, ex.Status, body)
}

// stepStatus names how a step ended.
func stepStatus(st godog.StepResultStatus) string {
	switch st {
	case godog.StepPassed:
		return "passed"
	case godog.StepFailed:
		return "failed"
	case godog.StepSkipped:
		return "skipped"
	case godog.StepUndefined:
		return "undefined"
	case godog.StepPending:
		return "pending"
	case godog.StepAmbiguous:
		return "ambiguous"
	}
	return "unknown"
}

// scenarioStatus names how a scenario ended, from its error.
func scenarioStatus(err error) string {
	switch {
	case err == nil:
		return "passed"
	case errors.Is(err, godog.ErrSkip):
		return "skipped"
	}
	return "failed"
}

// systemOf is the system a feature belongs to: its folder.
func systemOf(uri string) string {
	sys, _, found := strings.Cut(uri, "/")
	if !found {
		return ""
	}
	return sys
}
