package main

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// On SIGTERM, a notification attempt still waiting for its receiver when
// --shutdown-grace ends is cut off, and logged so: herald serve does not
// wait for the attempt timeout (30 s here, against a 200 ms grace).
func TestServeCutsOffAnAttemptAtTheShutdownGrace(t *testing.T) {
	cmd, base, stdout, stderr := startServe(t, "--seed", "3", "--monnet-backoff", "0s,1h", "--monnet-attempt-timeout", "30s", "--shutdown-grace", "200ms")
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	// A receiver that holds the request until the sender hangs up.
	arrived, cancelled, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var first sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // then net/http notices when the sender hangs up
		first.Do(func() { close(arrived) })
		select {
		case <-r.Context().Done():
			close(cancelled)
		case <-release:
		}
	}))
	defer slow.Close()
	defer close(release)
	controlCall(t, base, "PUT", "monnet/receivers/22", `{"url":"`+slow.URL+`"}`)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	controlCall(t, base, "PUT", "clock", `{"now":"`+now.Format(time.RFC3339)+`","frozen":true}`)
	createMonnetPayout(t, base, "22", "SoSSp+5M4GrYfngfSE78lC2BzvUYQ0k8+i/iHg+bp54=", "P5yjICOFoE0kmJVMALeBRmoxuWXz0BJKuoSaIXEHTgE=", "GRACE-1", now)
	controlCall(t, base, "POST", "clock/advance", `{"by":"5s"}`)
	<-arrived

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("herald serve exited with %v:\n%s", err, stderr.String())
	}
	<-cancelled // herald serve hung up on the receiver, which was never let go
	logs := stderr.String()
	cut := regexp.MustCompile(`level=WARN msg="notification attempt" system=monnet worker=notifier delivery=ntf-1 merchant=22 .*error="cut off: Herald shut down and the grace period is over"`)
	if !cut.MatchString(logs) {
		t.Fatalf("the attempt was not logged as cut off at the grace:\n%s", logs)
	}
}

// An open live tail of the journal (the console's) never goes idle: on
// SIGTERM herald serve ends it and exits cleanly, without "closing
// connections still open" after the grace.
func TestServeEndsLiveTailsOnShutdown(t *testing.T) {
	cmd, base, out, stderr := startServe(t, "--seed", "3", "--shutdown-grace", "20s")
	var rest syncBuffer
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(&rest, out); close(copied) }()
	resp, err := http.Get(base + "/_herald/v1/journal/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || first != ": herald journal\n" {
		t.Fatalf("the tail began with %q, %v", first, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("herald serve exited with %v:\n%s", err, stderr.String())
	}
	<-copied
	if s := rest.String(); regexp.MustCompile(`closing connections still open`).MatchString(s) {
		t.Errorf("the shutdown waited for the tail:\n%s", s)
	}
}

// startServe starts herald serve on free loopback ports with args added,
// and returns it with its main base URL, the rest of its stdout after the
// banner's first line, and its stderr; it is killed when the test ends.
func startServe(t *testing.T, args ...string) (cmd *exec.Cmd, base string, out *bufio.Reader, stderr *syncBuffer) {
	t.Helper()
	bin := buildHerald(t)
	stderr = &syncBuffer{}
	cmd = exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--listen", "mnotify=127.0.0.1:0"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out = bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("herald serve: %q %v %s", line, err, stderr.String())
	}
	return cmd, m[1], out, stderr
}

// startProxy starts herald proxy with args and returns it with its base URL
// and the rest of its stdout after the banner's first line; it is killed
// when the test ends.
func startProxy(t *testing.T, args ...string) (cmd *exec.Cmd, base string, out *bufio.Reader) {
	t.Helper()
	cmd = exec.Command(buildHerald(t), append([]string{"proxy"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out = bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	m := regexp.MustCompile(`on (http://\S+),`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("herald proxy: %q %v %s", line, err, stderr.String())
	}
	return cmd, m[1], out
}
