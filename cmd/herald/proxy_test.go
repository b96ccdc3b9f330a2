package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// The proof of herald proxy: the conformance suite, run through the proxy
// in front of herald serve addressed as a real deployment (an account,
// credentials, every MNotify role, --allow-mutating), passes as it does
// direct; the proxy's
// journal holds every exchange, none with an answer that broke the spec, and
// its drift report says so.
func TestSuiteThroughTheProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the suite through herald proxy: not in -short")
	}
	_, upstream, serveOut, _ := startServe(t, "--seed", "5")
	var mnotifyUpstream string
	for mnotifyUpstream == "" {
		line, err := serveOut.ReadString('\n')
		if err != nil {
			t.Fatalf("herald serve's banner names no mnotify: %v", err)
		}
		if m := regexp.MustCompile(`^\s+mnotify\s+(https://\S+)`).FindStringSubmatch(line); m != nil {
			mnotifyUpstream = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, serveOut) }()
	receiver := freePort(t)
	controlCall(t, upstream, "PUT", "monnet/receivers/22", `{"url":"http://`+receiver+`/"}`)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	const apiKey, apiSecret = "SoSSp+5M4GrYfngfSE78lC2BzvUYQ0k8+i/iHg+bp54=", "P5yjICOFoE0kmJVMALeBRmoxuWXz0BJKuoSaIXEHTgE="
	dir := t.TempDir()
	vendor := filepath.Join(dir, "vendor.yaml")
	certs := filepath.Join(root, "fixtures/mnotify/certs")
	mnotify := func(url string) string { // every role, with the fixtures' certificates
		out := fmt.Sprintf("  mnotify:\n    url: %s\n    ca: %s\n    clients:\n", url, filepath.Join(certs, "ca.pem"))
		for _, role := range []string{"sender-a", "sender-b", "revoked", "unregistered", "expired", "foreign"} {
			out += fmt.Sprintf("      %s: {cert: %s, key: %s}\n", role, filepath.Join(certs, role+".pem"), filepath.Join(certs, role+"-key.pem"))
		}
		return out
	}
	writeFile(t, vendor, fmt.Sprintf("name: herald-as-vendor\nsystems:\n  mopay:\n    url: %s/mopay/\n  monnet:\n    url: %s/monnet/\n    params: {api-key: %q, api-secret: %q}\n%s",
		upstream, upstream, apiKey, apiSecret, mnotify(mnotifyUpstream)))

	proxyCmd, proxied, out := startProxy(t, "--target", vendor, "--listen", "127.0.0.1:0", "--log-level", "error")
	var mnotifyProxied string
	for mnotifyProxied == "" {
		line, err := out.ReadString('\n')
		if err != nil {
			t.Fatalf("herald proxy's banner names no mnotify listener: %v", err)
		}
		if m := regexp.MustCompile(`^\s+mnotify\s+(https://\S+)`).FindStringSubmatch(line); m != nil {
			mnotifyProxied = m[1]
		}
	}
	var rest syncBuffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&rest, out); close(copied) }()

	target := filepath.Join(dir, "through-proxy.yaml")
	writeFile(t, target, fmt.Sprintf(`name: through the proxy
systems:
  mopay:
    url: %s/mopay/
    params: {email: amara.okafor@example.com, password: Notices2023}
  monnet:
    url: %s/monnet/
    params: {merchant-id: "22", api-key: %q, api-secret: %q, notifier-cert: %s, receiver-listen: %s, retry-wait: 15s}
%s`, proxied, proxied, apiKey, apiSecret, filepath.Join(root, "fixtures/monnet/notifier.crt"), receiver, mnotify(mnotifyProxied)))
	var testOut, testErr bytes.Buffer
	if status := run([]string{"test", "--target", target, "--allow-mutating", "--format", "progress"}, &testOut, &testErr); status != 0 {
		t.Fatalf("herald test through the proxy: status %d\n%s\n%s", status, tail(testOut.String(), 3000), testErr.String())
	}
	summary := regexp.MustCompile(`(?m)^  (mopay|mnotify|monnet): ran (\d+) of \d+ scenarios, (\d+) passed, 0 failed`).FindAllStringSubmatch(testOut.String(), -1)
	if len(summary) != 3 {
		t.Fatalf("the run's summary:\n%s", tail(testOut.String(), 2000))
	}
	for _, s := range summary {
		t.Logf("%s through the proxy: ran %s, passed %s", s[1], s[2], s[3])
	}

	var all, violating struct{ Matched int }
	getJSON(t, proxied+"/_herald/v1/journal?limit=1", &all)
	getJSON(t, proxied+"/_herald/v1/journal?verdict=violates&limit=1", &violating)
	if all.Matched < 50 || violating.Matched != 0 {
		t.Errorf("the proxy's journal: %d exchanges, %d with an answer that broke the spec", all.Matched, violating.Matched)
	}
	if err := proxyCmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := proxyCmd.Wait()
	<-copied
	if waitErr != nil {
		t.Errorf("herald proxy exited with %v (exit 1 is drift):\n%s", waitErr, rest.String())
	}
	if report := rest.String(); !strings.Contains(report, "no drift: every answer the deployment gave followed the specs") {
		t.Errorf("the drift report:\n%s", report)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
