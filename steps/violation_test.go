package steps

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// A target whose registration answer lacks the key pair.
func brokenMopay() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"REQUEST":{"VERSION":"1.0","ACTION":"user_profile_create","STATUS":"OK"},"DATA":{"userid":"usr_0123456789","COMMENT":"Operation successful!"}}`))
	}))
}

func feature(body string) fstest.MapFS {
	return fstest.MapFS{"violation.feature": {Data: []byte("Feature: violations\n\n" + body)}}
}

// runAgainstBroken runs one feature against a target whose registration
// answer lacks the key pair, and returns godog's status and output.
func runAgainstBroken(body string) (int, string) {
	srv := brokenMopay()
	defer srv.Close()
	var out bytes.Buffer
	status := Run(RunOptions{Target: Target{Name: "broken", MopayURL: srv.URL + "/"}, Output: &out, Features: feature(body)})
	return status, out.String()
}

// Every answer is checked against the spec: a violation fails the step…
func TestViolationFailsTheStep(t *testing.T) {
	status, out := runAgainstBroken("  Scenario: register\n    Given I have registered a new Mopay account\n")
	if status != 1 || !strings.Contains(out, "violates the Mopay spec") || !strings.Contains(out, "/DATA") {
		t.Fatalf("status %d, want 1 with the violation named:\n%s", status, out)
	}
}

// …unless the scenario says it expects one.
func TestExpectedViolation(t *testing.T) {
	status, out := runAgainstBroken("  @expect-violation\n  Scenario: register\n" +
		"    When I send a POST to \"user_profile_create\" with body:\n      \"\"\"\n      {}\n      \"\"\"\n" +
		"    Then the answer violates the spec\n")
	if status != 0 {
		t.Fatalf("status %d, want 0:\n%s", status, out)
	}
}
