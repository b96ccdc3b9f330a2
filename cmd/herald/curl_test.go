package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readmeCurl is the README's command, as a reader copies it; the test runs
// it with the port herald serve was given.
const readmeCurl = "curl --cert fixtures/mnotify/certs/sender-a.pem --key fixtures/mnotify/certs/sender-a-key.pem --cacert fixtures/mnotify/certs/ca.pem https://127.0.0.1:8443/api/Notification"

// curl, the vendor's own example client, gets 200 with a registered
// certificate and ProblemDetails 401 or 403 with none or a bad one.
func TestCurlAgainstMNotify(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		if os.Getenv("HERALD_REQUIRE_CURL") == "1" {
			t.Fatal("curl is not installed, and HERALD_REQUIRE_CURL=1")
		}
		t.Skip("SKIPPED LOUDLY: curl is not installed, so the README's MNotify example cannot be run; set HERALD_REQUIRE_CURL=1 to make this a failure")
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), readmeCurl) {
		t.Fatalf("the README no longer shows the command this test runs:\n%s", readmeCurl)
	}
	bin := buildHerald(t)
	base, _, _ := serve(t, bin)
	url := strings.TrimSuffix(mnotifyURL(t, base), "/")
	const certs = "fixtures/mnotify/certs/"
	withCert := func(role string) []string {
		return []string{"--cert", certs + role + ".pem", "--key", certs + role + "-key.pem"}
	}
	for _, c := range []struct {
		name   string
		args   []string
		status int
		detail string
	}{
		{"the README's command", strings.Fields(strings.Replace(readmeCurl, "https://127.0.0.1:8443", url, 1))[1:], 200, ""},
		{"no certificate", []string{"--cacert", certs + "ca.pem", url + "/api/Notification"}, 401, "a client certificate is required"},
		{"unregistered", append(withCert("unregistered"), "--cacert", certs+"ca.pem", url+"/api/Notification"), 403, "not registered in MPass"},
		{"expired", append(withCert("expired"), "--cacert", certs+"ca.pem", url+"/api/Notification"), 401, "expired"},
		{"foreign CA", append(withCert("foreign"), "--cacert", certs+"ca.pem", url+"/api/Notification"), 401, "trusted certificate authority"},
		{"revoked", append(withCert("revoked"), "--cacert", certs+"ca.pem", url+"/api/Notification"), 403, "revoked"},
	} {
		cmd := exec.Command(curl, append([]string{"--silent", "--show-error", "--write-out", "\n%{http_code} %{content_type}"}, c.args...)...)
		cmd.Dir = filepath.Join("..", "..")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: curl failed: %v\n%s", c.name, err, out)
			continue
		}
		i := strings.LastIndex(string(out), "\n")
		if i < 0 {
			t.Errorf("%s: no status line from curl: %s", c.name, out)
			continue
		}
		body, trailer := string(out[:i]), string(out[i+1:])
		statusText, contentType, _ := strings.Cut(trailer, " ")
		status, _ := strconv.Atoi(statusText)
		if status != c.status {
			t.Errorf("%s: status %d, want %d\n%s", c.name, status, c.status, out)
			continue
		}
		if c.status == 200 {
			var list []struct{ ID, Status string }
			if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 5 || list[0].ID == "" || list[0].Status == "" || contentType != "application/json" {
				t.Errorf("%s: %s %q, want sender-a's five seeded notifications as application/json", c.name, contentType, body)
			}
			continue
		}
		var p struct {
			Status int
			Title  string
			Detail string
		}
		if err := json.Unmarshal([]byte(body), &p); err != nil || contentType != "application/problem+json" || p.Status != c.status ||
			p.Title == "" || !strings.Contains(p.Detail, c.detail) {
			t.Errorf("%s: want ProblemDetails %d mentioning %q, got %s %s", c.name, c.status, c.detail, contentType, body)
		}
	}
}
