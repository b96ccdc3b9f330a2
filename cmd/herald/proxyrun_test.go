package main

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"herald/simulator/heraldtest"
)

// herald proxy in front of a deployment whose notices drift (the rest is a
// Herald): on SIGTERM it prints the drift report, writes it as JUnit,
// Cucumber and HTML, has recorded the clean answers, and exits 1.
func TestProxyWritesDriftReportsAndRecords(t *testing.T) {
	h := heraldtest.New(t)
	up, _ := url.Parse(h.URLs["mopay"])
	herald := httputil.NewSingleHostReverseProxy(up)
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/user_notice_fetch") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"REQUEST":{"VERSION":"1.0","ACTION":"user_notice_fetch","STATUS":"OK"},"DATA":[{"marker":7}]}`)
			return
		}
		herald.ServeHTTP(w, r)
	}))
	defer vendor.Close()
	dir := t.TempDir()
	target := filepath.Join(dir, "target.yaml")
	if err := os.WriteFile(target, []byte("systems:\n  mopay: {url: "+vendor.URL+"/}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	junit, cucumber, page, record := filepath.Join(dir, "drift.xml"), filepath.Join(dir, "drift.json"), filepath.Join(dir, "drift.html"), filepath.Join(dir, "examples")

	cmd, base, out := startProxy(t, "--target", target, "--listen", "127.0.0.1:0", "--record", record,
		"--format", "progress,junit:"+junit+",cucumber:"+cucumber, "--format", "html:"+page)
	var rest syncBuffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&rest, out); close(copied) }()

	if status, body := do(t, "POST", base+"/mopay/user_profile_login", `{"emal":"amara.okafor@example.com","pswd":"Notices2023","devt":"Web","devs":"d1","devn":"n"}`); status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	if status, _ := do(t, "GET", base+"/mopay/user_notice_fetch", ""); status == 0 {
		t.Fatal("no answer")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	<-copied
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1 (drift):\n%s", err, rest.String())
	}
	text := rest.String()
	for _, want := range []string{"answers that broke the spec", "mopay user_notice_fetch /DATA", "recorded 1 new example answer in " + record} {
		if !strings.Contains(text, want) {
			t.Errorf("the console lacks %q:\n%s", want, text)
		}
	}
	b, err := os.ReadFile(junit)
	var doc struct {
		Failures int `xml:"failures,attr"`
	}
	if err != nil || xml.Unmarshal(b, &doc) != nil || doc.Failures != 2 { // the drifting answer, and the unsigned request
		t.Errorf("JUnit: %v %s", err, b)
	}
	for _, f := range []string{cucumber, page} {
		if b, err := os.ReadFile(f); err != nil || !strings.Contains(string(b), "/DATA") {
			t.Errorf("%s: %v %.300s", f, err, b)
		}
	}
	examples, _ := filepath.Glob(filepath.Join(record, "mopay", "user_profile_login", "200-*.json"))
	drifted, _ := filepath.Glob(filepath.Join(record, "mopay", "user_notice_fetch", "*"))
	if len(examples) != 1 || len(drifted) != 0 {
		t.Errorf("recorded %v and %v", examples, drifted)
	}
}

// A format herald test does not take is a usage error.
func TestProxyFormatUsage(t *testing.T) {
	var stdout, stderr strings.Builder
	if status := runProxy([]string{"--target", "t.yaml", "--format", "xml:out"}, &stdout, &stderr); status != 2 || !strings.Contains(stderr.String(), `unknown format "xml"`) {
		t.Errorf("status %d: %s", status, stderr.String())
	}
	if status := runProxy([]string{"--target", "t.yaml", "--format", "junit"}, &stdout, &stderr); status != 2 || !strings.Contains(stderr.String(), "junit:FILE") {
		t.Errorf("status %d: %s", status, stderr.String())
	}
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
