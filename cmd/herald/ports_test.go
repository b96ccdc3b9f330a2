package main

import (
	"bufio"
	"bytes"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// hold listens on addr for the test, as another program would; when
// something else holds it already, so much the better.
func hold(t *testing.T, addr string) {
	t.Helper()
	if ln, err := net.Listen("tcp", addr); err == nil {
		t.Cleanup(func() { ln.Close() })
	}
}

// serveBanner starts herald serve with args and returns its banner: every
// line up to the control API's.
func serveBanner(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--seed", "3"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	rd := bufio.NewReader(stdout)
	var banner strings.Builder
	for !strings.Contains(banner.String(), "control ") {
		line, err := rd.ReadString('\n')
		if err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("herald serve %v: %v\nstdout: %s\nstderr: %s", args, err, banner.String(), stderr.String())
		}
		banner.WriteString(line)
	}
	return banner.String()
}

// listed is the URL the banner gives a system or the main listener.
func listed(t *testing.T, banner, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^  ` + name + ` +(\S+)`)
	if name == "serving" {
		re = regexp.MustCompile(`serving on (\S+)`)
	}
	m := re.FindStringSubmatch(banner)
	if m == nil {
		t.Fatalf("the banner names no %s:\n%s", name, banner)
	}
	return m[1]
}

// Port 0 for the main listener picks a free port for every listener: MNotify
// no longer binds 8443, which herald-load and others may hold.
func TestPortZeroForEveryListener(t *testing.T) {
	bin := buildHerald(t)
	hold(t, "127.0.0.1:8080")
	hold(t, "127.0.0.1:8443")
	banner := serveBanner(t, bin, "--listen", "127.0.0.1:0")
	mnotifyURL := listed(t, banner, "mnotify")
	if strings.Contains(mnotifyURL, ":8443") || !strings.HasPrefix(mnotifyURL, "https://127.0.0.1:") {
		t.Fatalf("MNotify at %s, want a free loopback port:\n%s", mnotifyURL, banner)
	}
	if strings.Contains(banner, "note:") {
		t.Errorf("a loopback Herald notes its addresses:\n%s", banner)
	}
}

// A Herald published elsewhere than it is bound, as in a container started
// with -p 127.0.0.1::8080 -p 127.0.0.1::8443: --public-url makes what it
// reports usable, and herald test --listener-url names where MNotify's port
// is published when the Herald does not know it.
func TestRemappedListeners(t *testing.T) {
	bin := buildHerald(t)
	// The Herald believes MNotify is published on a port where nothing
	// answers, as a container's Herald believes 8443.
	nowhere := "https://127.0.0.1:" + closedPort(t)
	banner := serveBanner(t, bin, "--listen", "127.0.0.1:0", "--public-url", "mnotify="+nowhere)
	base := listed(t, banner, "serving")
	m := regexp.MustCompile(`(?m)^  mnotify +\S+ \(bound to (\S+)\)`).FindStringSubmatch(banner)
	if m == nil || listed(t, banner, "mnotify") != nowhere+"/" {
		t.Fatalf("the banner does not give MNotify's public URL and where it is bound:\n%s", banner)
	}
	published := "https://" + m[1]

	out, err := exec.Command(bin, "test", "--target", base, "--tags", "@mnotify && @auth", "--format", "progress").CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "--listener-url mnotify=https://HOST:PORT") {
		t.Fatalf("an unreachable listener: exit %d, want 1 and a message naming --listener-url:\n%s", code, out)
	}
	out, err = exec.Command(bin, "test", "--target", base, "--listener-url", "mnotify="+published, "--tags", "@mnotify && @auth", "--format", "progress").CombinedOutput()
	if err != nil {
		t.Fatalf("herald test --listener-url mnotify=%s: %v\n%s", published, err, out)
	}
	if sum := regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`).FindStringSubmatch(string(out)); sum == nil || sum[1] != sum[2] || sum[1] == "0" {
		t.Fatalf("want every MNotify scenario to pass:\n%s", out)
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}
