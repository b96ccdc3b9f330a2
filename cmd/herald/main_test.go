package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildHerald compiles the command once per test binary run.
func buildHerald(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "herald")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serve starts "herald serve" on a free port and returns its base URL, the
// process, and a function that returns the rest of its standard output once
// the process has exited.
func serve(t *testing.T, bin string, extra ...string) (string, *exec.Cmd, func() string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0", "--listen", "mnotify=127.0.0.1:0", "--seed", "3"}, extra...)...)
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	rd := bufio.NewReader(stdout)
	line, err := rd.ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("herald serve printed nothing: %v; stderr: %s", err, stderr.String())
	}
	m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("unexpected first line: %q", line)
	}
	var rest bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&rest, rd); close(done) }()
	return m[1], cmd, func() string { <-done; return rest.String() }
}

func TestServeThenTestOverTCP(t *testing.T) {
	bin := buildHerald(t)
	base, srv, srvOut := serve(t, bin)

	junit := filepath.Join(t.TempDir(), "report.xml")
	cucumber := filepath.Join(t.TempDir(), "report.json")
	cmd := exec.Command(bin, "test", "--target", base, "--format", "progress,junit:"+junit+",cucumber:"+cucumber)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("herald test against %s: %v\n%s", base, err, out)
	}
	summary := regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`).FindStringSubmatch(string(out))
	if summary == nil || summary[1] != summary[2] || summary[1] == "0" {
		t.Fatalf("expected every scenario to pass, got:\n%s", out)
	}
	var report struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatalf("no junit report: %v", err)
	}
	if err := xml.Unmarshal(b, &report); err != nil || report.Tests == 0 || report.Failures != 0 {
		t.Fatalf("junit report: tests=%d failures=%d err=%v", report.Tests, report.Failures, err)
	}

	var features []struct {
		URI      string                  `json:"uri"`
		Elements []struct{ Name string } `json:"elements"`
	}
	// The run's summary comes first, as a feature with no scenario; the
	// features follow.
	if b, err := os.ReadFile(cucumber); err != nil || json.Unmarshal(b, &features) != nil || len(features) < 2 ||
		features[0].URI != "herald/run-summary" || len(features[1].Elements) == 0 {
		t.Fatalf("cucumber report: %v, %d features", err, len(features))
	}
	// Every system ran: Mopay and Monnet on the main listener, MNotify on its
	// own TLS listener, found through the control API's info.
	ran := map[string]int{}
	for _, f := range features {
		system, _, _ := strings.Cut(f.URI, "/")
		ran[system] += len(f.Elements)
	}
	if ran["mopay"] == 0 || ran["mnotify"] == 0 || ran["monnet"] < 40 {
		t.Fatalf("scenarios run by system: %v; want every system's", ran)
	}

	// Again, each scenario in a world of its own, against the same Herald:
	// the Monnet receiver routes every world's notifications to its
	// scenario, and a second run does not collide with the first.
	cmd = exec.Command(bin, "test", "--target", base, "--tags", "@monnet", "--concurrency", "4", "--format", "progress")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("herald test --concurrency 4 against %s: %v\n%s", base, err, out)
	} else if m := regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`).FindStringSubmatch(string(out)); m == nil || m[1] != m[2] || m[1] != strconv.Itoa(ran["monnet"]) {
		t.Fatalf("expected the %d Monnet scenarios to pass in worlds, got:\n%s", ran["monnet"], out)
	}

	// SIGTERM stops the server cleanly.
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("herald serve exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("herald serve did not stop within 10 s of SIGTERM")
	}
	if out := srvOut(); !strings.Contains(out, "shutting down") {
		t.Fatalf("herald serve did not say it was shutting down: %q", out)
	}
}

func TestTestFailsWhenAScenarioFails(t *testing.T) {
	bin := buildHerald(t)
	base, _, _ := serve(t, bin)
	cmd := exec.Command(bin, "test", "--target", base, "--tags", "@pagination", "--format", "progress",
		"--mopay-email", "nobody@example.com")
	cmd.Env = append(os.Environ(), "HERALD_MOPAY_PASSWORD=Wrong-pass1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("expected exit status 1, got %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "failed") {
		t.Fatalf("expected failures in the output:\n%s", out)
	}
	// The exit line names what failed, and no gate, none being given.
	if !regexp.MustCompile(`(?m)^herald test: \d+ scenarios? failed; see above$`).Match(out) || strings.Contains(string(out), "--min-") {
		t.Fatalf("the exit line:\n%s", out)
	}
	// The run shared the Herald's root world: it says --isolate exists.
	if !strings.Contains(string(out), "herald test: this run shared the Herald's state with any other client of it (no --isolate)") {
		t.Fatalf("no hint of --isolate:\n%s", out)
	}
	cmd = exec.Command(bin, "test", "--target", base, "--tags", "@pagination", "--format", "progress", "--isolate",
		"--mopay-email", "nobody@example.com")
	cmd.Env = append(os.Environ(), "HERALD_MOPAY_PASSWORD=Wrong-pass1")
	if out, err := cmd.CombinedOutput(); exitCode(err) != 1 || strings.Contains(string(out), "no --isolate") {
		t.Fatalf("isolated: exit %d, or a hint of --isolate:\n%s", exitCode(err), out)
	}
}

// A Herald's Mopay base URL, given as a real deployment, has no control
// API: the scenarios that need it or check Herald's design are left out,
// and the rest pass.
func TestRealDeploymentMode(t *testing.T) {
	bin := buildHerald(t)
	base, _, _ := serve(t, bin)
	cmd := exec.Command(bin, "test", "--mopay-url", base+"/mopay/", "--mopay-req-form", "--format", "progress",
		"--mopay-email", "amara.okafor@example.com", "--allow-mutating")
	cmd.Env = append(os.Environ(), "HERALD_MOPAY_PASSWORD=Notices2023")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("herald test --mopay-url: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "is not a Herald") {
		t.Fatalf("expected a note on the left-out scenarios:\n%s", out)
	}
	m := regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`).FindStringSubmatch(string(out))
	if m == nil || m[1] != m[2] || m[1] == "0" {
		t.Fatalf("expected every selected scenario to pass:\n%s", out)
	}
}

// A client written from the vendor's documentation, in another language,
// is accepted; its signature with a space is refused.
func TestIndependentVendorClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("HERALD_REQUIRE_NODE") != "" {
			t.Fatal("node is not installed, and HERALD_REQUIRE_NODE is set")
		}
		t.Skip("SKIPPED LOUDLY: node is not installed, so the independent vendor client cannot run; set HERALD_REQUIRE_NODE=1 to make this a failure")
	}
	bin := buildHerald(t)
	base, _, _ := serve(t, bin)
	out, err := exec.Command(node, "testdata/vendor-client.mjs", base+"/mopay/").CombinedOutput()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, out)
	}
	var got struct {
		Register, Signed, Spaced  int
		SignedStatus, SpacedError string
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &got); err != nil {
		t.Fatalf("node client output: %v\n%s", err, out)
	}
	if got.Register != 200 || got.Signed != 200 || got.SignedStatus != "OK" || got.Spaced != 401 || got.SpacedError != "signature_invalid" {
		t.Fatalf("unexpected outcome: %+v", got)
	}
}

// mnotifyURL asks a Herald where its MNotify listener is.
func mnotifyURL(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/_herald/v1/info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Systems []struct{ Name, BaseURL string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	for _, s := range info.Systems {
		if s.Name == "mnotify" && strings.HasPrefix(s.BaseURL, "https://") {
			return s.BaseURL
		}
	}
	t.Fatalf("no MNotify on HTTPS in %+v", info)
	return ""
}

// Herald's MNotify, given as a real deployment with certificate files:
// scenarios that need the control API, Herald's design or a role not given
// are left out, with notes, and the rest pass.
func TestRealMNotifyMode(t *testing.T) {
	bin := buildHerald(t)
	base, _, _ := serve(t, bin)
	certs := filepath.Join("..", "..", "fixtures", "mnotify", "certs")
	pair := func(role string) string {
		return role + "=" + filepath.Join(certs, role+".pem") + "," + filepath.Join(certs, role+"-key.pem")
	}
	url := mnotifyURL(t, base)
	run := func(env []string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"test", "--mnotify-url", url, "--format", "progress"}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("herald test --mnotify-url %v: %v\n%s", args, err, out)
		}
		m := regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`).FindStringSubmatch(string(out))
		if m == nil || m[1] != m[2] || m[1] == "0" {
			t.Fatalf("expected every selected scenario to pass:\n%s", out)
		}
		for _, reason := range []string{"— @simulator:", "— @herald-design:", "— @cert-unregistered:"} {
			if !strings.Contains(string(out), reason) {
				t.Errorf("expected scenarios left out for %q:\n%s", reason, out)
			}
		}
		n, _ := strconv.Atoi(m[1])
		return string(out), n
	}
	ca := filepath.Join(certs, "ca.pem")
	// Flags: the environment's certificates are not mixed in, so sender-b's
	// scenarios are left out.
	out, flagsRan := run([]string{"HERALD_MNOTIFY_CERTS=" + pair("sender-b")},
		"--mnotify-ca", ca, "--mnotify-cert", pair("sender-a"), "--allow-mutating")
	if !strings.Contains(out, "— @cert-sender-b:") || strings.Contains(out, "— @mutating:") {
		t.Errorf("want sender-b's scenarios left out for want of its certificate, and none for @mutating:\n%s", out)
	}
	// The environment alone: sender-b's scenarios run.
	out, envRan := run([]string{"HERALD_MNOTIFY_CA=" + ca, "HERALD_MNOTIFY_CERTS=" + pair("sender-a") + "; " + pair("sender-b")}, "--allow-mutating")
	if strings.Contains(out, "— @cert-sender-b:") || envRan <= flagsRan {
		t.Errorf("sender-b was given, yet its scenarios are left out (%d ran, %d without it):\n%s", envRan, flagsRan, out)
	}
	// The same through a target file: a client per role, the CA's client
	// for the role that presents no certificate.
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	file := filepath.Join(t.TempDir(), "mnotify.yaml")
	yaml := "name: mnotify-as-real\nsystems:\n  mnotify:\n    url: " + url + "\n    ca: " + abs(ca) + "\n    clients:\n" +
		"      sender-a: {cert: " + abs(filepath.Join(certs, "sender-a.pem")) + ", key: " + abs(filepath.Join(certs, "sender-a-key.pem")) + "}\n" +
		"      sender-b: {cert: " + abs(filepath.Join(certs, "sender-b.pem")) + ", key: " + abs(filepath.Join(certs, "sender-b-key.pem")) + "}\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "test", "--target", file, "--format", "progress", "--allow-mutating")
	fileOut, err := cmd.CombinedOutput()
	m := regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`).FindStringSubmatch(string(fileOut))
	if err != nil || m == nil || m[1] != m[2] || m[1] != strconv.Itoa(envRan) {
		t.Errorf("a target file with sender-a and sender-b: %v, want the %d scenarios of the same flags to pass:\n%s", err, envRan, fileOut)
	}

	// Without --allow-mutating nothing that sends or changes data runs: a
	// real MNotify delivers what it is sent.
	out, readOnly := run(nil, "--mnotify-ca", ca, "--mnotify-cert", pair("sender-a"))
	if !strings.Contains(out, "— @mutating:") || readOnly >= flagsRan {
		t.Errorf("want the @mutating scenarios left out (%d ran, %d with them):\n%s", readOnly, flagsRan, out)
	}

	// Without the CA of a server the system does not trust, the failures
	// name the flag that fixes them.
	noCA := exec.Command(bin, "test", "--mnotify-url", url, "--mnotify-cert", pair("sender-a"), "--format", "progress", "--tags", "@auth")
	noCAOut, err := noCA.CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(noCAOut), "give the CA that issued it, --mnotify-ca FILE") {
		t.Errorf("without --mnotify-ca: exit %d, want failures naming --mnotify-ca:\n%s", exitCode(err), noCAOut)
	}
}

func TestUnreachableTarget(t *testing.T) {
	var out, errOut bytes.Buffer
	if got := run([]string{"test", "--target", "http://127.0.0.1:1"}, &out, &errOut); got != 1 || !strings.Contains(errOut.String(), "no Herald answers there") {
		t.Fatalf("exit %d, stderr %q", got, errOut.String())
	}
}

func TestUsageErrors(t *testing.T) {
	const (
		testHelp  = "run 'herald test -h' for help\n"
		serveHelp = "run 'herald serve -h' for help\n"
		pct       = "want a percentage from 0 to 100, for every system, or SYSTEM=PERCENT (mopay=60)"
	)
	for _, c := range []struct {
		args []string
		want string // the whole of stderr; ending in "…" its start
	}{
		{[]string{}, usage},
		{[]string{"frobnicate"}, "herald: unknown command \"frobnicate\" (test, serve, proxy, spec, health, monnet, version)\nrun 'herald -h' for help\n"},
		{[]string{"monnet", "frobnicate"}, "herald monnet: unknown command \"frobnicate\" (verify, check-receiver)\nrun 'herald monnet -h' for help\n"},
		{[]string{"test", "--format", "html"}, "herald test: --format: \"html\" needs a file: html:FILE\n"},
		{[]string{"test", "--format", "junit"}, "herald test: --format: \"junit\" needs a file: junit:FILE\n"},
		{[]string{"test", "--target", "ftp://example.com"}, "herald test: --target ftp://example.com: want in-process, a Herald's http:// or https:// URL, or a target file\n"},
		{[]string{"serve", "--seed", "minus-one"}, "herald serve: invalid value \"minus-one\" for flag -seed: want an integer from 0 to 9007199254740991\n" + serveHelp},
		{[]string{"serve", "extra"}, "herald serve: unexpected argument \"extra\"\n"},
		{[]string{"spec", "nosuch"}, "herald: spec nosuch: no such embedded document (have control, mnotify, mnotify-control, monnet, monnet-control, mopay, mopay-control)\n"},
		{[]string{"spec", "mopay", "extra"}, "herald spec: unexpected argument \"extra\"\nusage: herald spec NAME (one of: control, mnotify, mnotify-control, monnet, monnet-control, mopay, mopay-control)\n"},
		{[]string{"version", "extra"}, "herald version: unexpected argument \"extra\"\n"},
		{[]string{"test", "--tags", "@@@"}, "herald test: tag expression \"@@@\": \"@@@\" is not a tag; write @a && ~@b, @c (&& is and, a comma is or, ~ is not; no parentheses)\n"},
		{[]string{"test", "--tags", "@atuh"}, "herald test: tag expression \"@atuh\": no scenario has the tag @atuh (tags: @auth …"},
		{[]string{"test", "--min-scenarios", "101"}, "herald test: invalid value \"101\" for flag -min-scenarios: \"101\": " + pct + "\n" + testHelp},
		{[]string{"test", "--min-scenarios", "=50"}, "herald test: invalid value \"=50\" for flag -min-scenarios: \"=50\": " + pct + "\n" + testHelp},
		{[]string{"test", "--min-coverage", "mopay=x"}, "herald test: invalid value \"mopay=x\" for flag -min-coverage: \"mopay=x\": " + pct + "\n" + testHelp},
		{[]string{"test", "--min-coverage", "mopay=5", "--min-coverage", "mopay=6"}, "herald test: invalid value \"mopay=6\" for flag -min-coverage: \"mopay=6\": mopay is given twice\n" + testHelp},
		{[]string{"test", "--min-scenarios", "mopy=50"}, "herald test: --min-scenarios mopy=50: no system is named mopy (the systems: mopay, mnotify, monnet)\n"},
		{[]string{"test", "--mopay-url", "http://127.0.0.1:1/", "--mopay-email", "qa@example.com"},
			"herald test: target http://127.0.0.1:1/: mopay: the account's email is given without its password: set HERALD_MOPAY_PASSWORD (or systems.mopay.params.password)\n"},
		{[]string{"test", "--mopay-url", "http://127.0.0.1:1/", "--mopay-password", "x"}, "herald test: --mopay-password is given without --mopay-email, whose it is\n"},
		{[]string{"test", "--mopay-url", "http://127.0.0.1:1/", "--mopay-key", "k"},
			"herald test: target http://127.0.0.1:1/: mopay: the account's key is given without its secret: set HERALD_MOPAY_SECRET (or systems.mopay.params.secret)\n"},
		{[]string{"test", "--mopay-url", "http://127.0.0.1:1/", "--min-scenarios", "mnotify=5"}, "herald test: --min-scenarios mnotify=5: the target does not serve mnotify (it serves mopay)\n"},
		{[]string{"test", "--tags", "@auth && @pagination"}, "herald test: no scenario is left to run: the run's tag expression is \"@auth && @pagination\"\n"},
		{[]string{"serve", "--log-level", "loud"}, "herald serve: --log-level \"loud\": want debug, info, warn or error\n"},
		{[]string{"serve", "--journal-size", "-1"}, "herald serve: --journal-size -1: want 0 (no journal) to 100000 exchanges\n"},
		{[]string{"serve", "--journal-body-bytes", "0"}, "herald serve: --journal-body-bytes 0: want 1 to 1048576\n"},
		{[]string{"test", "--mnotify-cert", "sender-a=a.pem,a-key.pem"},
			"herald test: --mnotify-cert and --mnotify-ca are for a real MNotify: give --mnotify-url too (a Herald's MNotify uses the fixtures' certificates)\n"},
		{[]string{"test", "--mnotify-ca", "ca.pem"},
			"herald test: --mnotify-cert and --mnotify-ca are for a real MNotify: give --mnotify-url too (a Herald's MNotify uses the fixtures' certificates)\n"},
		{[]string{"test", "--mnotify-url", "https://127.0.0.1:1/"}, "herald test: --mnotify-url needs at least the certificate of the role sender-a: --mnotify-cert sender-a=CERT,KEY\n"},
		{[]string{"test", "--mnotify-url", "https://127.0.0.1:1/", "--mnotify-cert", "nobody=a.pem,a-key.pem"},
			"herald test: invalid value \"nobody=a.pem,a-key.pem\" for flag -mnotify-cert: role \"nobody\": want one of sender-a, sender-b, unregistered, expired, revoked, foreign\n" + testHelp},
		{[]string{"test", "--mnotify-url", "https://127.0.0.1:1/", "--mnotify-cert", "sender-a=a.pem"},
			"herald test: invalid value \"sender-a=a.pem\" for flag -mnotify-cert: \"sender-a=a.pem\": want ROLE=CERT,KEY (two file paths)\n" + testHelp},
		{[]string{"test", "--mnotify-url", "https://127.0.0.1:1/", "--mnotify-cert", "sender-a=/nonexistent/a.pem,/nonexistent/a-key.pem"},
			"herald test: --mnotify-cert sender-a: open /nonexistent/a.pem: no such file or directory\n"},
		{[]string{"test", "--mnotify-url", "ftp://x/", "--mnotify-cert", "sender-a=a.pem,a-key.pem"}, "herald test: --mnotify-url: \"ftp://x/\" is not an http:// or https:// URL\n"},
		{[]string{"test", "--listener-url", "mnotify=https://127.0.0.1:1"}, "herald test: --listener-url is for a running Herald given as --target URL (in a target file, a system's url says where it answers)\n"},
		{[]string{"test", "--target", "http://127.0.0.1:1", "--listener-url", "mnotify"}, "herald test: invalid value \"mnotify\" for flag -listener-url: \"mnotify\": want NAME=URL, such as mnotify=https://127.0.0.1:49153\n" + testHelp},
		{[]string{"serve", "--public-url", "ftp://x"}, "herald serve: invalid value \"ftp://x\" for flag -public-url: \"ftp://x\": want URL, or NAME=URL for a listener of its own, such as mnotify=https://127.0.0.1:49001\n" + serveHelp},
		{[]string{"serve", "--public-url", "nosuch=http://127.0.0.1:1", "--listen", "127.0.0.1:0"}, "herald serve: --public-url nosuch=…: no such listener (have http, mnotify)\n"},
	} {
		var out, errOut bytes.Buffer
		got := run(c.args, &out, &errOut)
		prefix, isPrefix := strings.CutSuffix(c.want, "…")
		ok := errOut.String() == c.want || (isPrefix && strings.HasPrefix(errOut.String(), prefix))
		if got != 2 || !ok {
			t.Errorf("herald %q: exit %d, want 2; stderr\n%s\nwant\n%s", c.args, got, errOut.String(), c.want)
		}
	}
}

// A host and port without a scheme is taken for a file no more silently:
// the message suggests the URL.
func TestTargetWithoutScheme(t *testing.T) {
	var out, errOut bytes.Buffer
	if got := run([]string{"test", "--target", "127.0.0.1:8080"}, &out, &errOut); got != 2 || !strings.Contains(errOut.String(), "--target http://127.0.0.1:8080") {
		t.Fatalf("exit %d, stderr %q", got, errOut.String())
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"test", "-h"}, {"serve", "--help"}, {"spec", "-h"}, {"version", "-h"}} {
		var out, errOut bytes.Buffer
		if got := run(args, &out, &errOut); got != 0 || !strings.Contains(out.String(), "Usage") || errOut.Len() != 0 {
			t.Errorf("herald %v: exit %d, stdout %d bytes, stderr %q", args, got, out.Len(), errOut.String())
		}
	}
}

func TestInProcessDefault(t *testing.T) {
	var out, errOut bytes.Buffer
	if got := run([]string{"test", "--format", "progress", "--tags", "@profile", "--seed", "5"}, &out, &errOut); got != 0 {
		t.Fatalf("exit %d\n%s\n%s", got, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "in-process simulator (seed 5)") {
		t.Fatalf("the target is not named:\n%s", out.String())
	}
}

func TestSpecCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if got := run([]string{"spec", "mopay"}, &out, &errOut); got != 0 || !strings.HasPrefix(out.String(), "openapi: 3.0.3") {
		t.Fatalf("exit %d, output starts %q", got, out.String()[:min(40, out.Len())])
	}
}

// SIGTERM while a client stalls mid-upload: after the grace period Herald
// closes what is left and exits 0.
func TestShutdownWithAStalledUpload(t *testing.T) {
	bin := buildHerald(t)
	base, srv, srvOut := serve(t, bin, "--shutdown-grace", "500ms")
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The request is in flight once Herald asks for its body: the server
	// answers "100 Continue" when the handler starts reading it.
	_, _ = conn.Write([]byte("POST /mopay/user_profile_create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n"))
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if status, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(status, "HTTP/1.1 100 ") {
		t.Fatalf("herald serve did not ask for the body: %q %v", status, err)
	}
	_, _ = conn.Write([]byte("{\"fsnm\":"))
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = srv.Wait()
	out := srvOut()
	if err != nil {
		t.Fatalf("herald serve exited with %v after SIGTERM; output:\n%s", err, out)
	}
	if !strings.Contains(out, "closing connections still open") {
		t.Fatalf("no word of the closed connection:\n%s", out)
	}
}

// serve prints the base URL of every system, and refuses an unknown listener.
func TestServeListenersAndSettings(t *testing.T) {
	bin := buildHerald(t)
	_, _, _ = serve(t, bin, "--mopay-rate-limit", "0")
	out, err := exec.Command(bin, "serve", "--listen", "nosuch=127.0.0.1:0").CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), "no such listener") {
		t.Fatalf("unknown listener: exit %d\n%s", code, out)
	}
	out, err = exec.Command(bin, "serve", "--mopay-rate-limit", "-3", "--listen", "127.0.0.1:0").CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), "rate-limit") {
		t.Fatalf("negative rate limit: exit %d\n%s", code, out)
	}
}

// exitCode is a finished command's exit status: 0 on success, -1 when it
// did not run.
func exitCode(err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	return -1
}

// Beyond loopback the control API asks for a token, made up and printed
// when none is given; herald test passes it on.
func TestControlToken(t *testing.T) {
	bin := buildHerald(t)
	cmd := exec.Command(bin, "serve", "--listen", "0.0.0.0:0", "--listen", "mnotify=127.0.0.1:0", "--seed", "3")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	rd := bufio.NewReader(stdout)
	var out strings.Builder
	var token, port string
	for token == "" {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("herald serve beyond loopback printed no token:\n%s", out.String())
		}
		out.WriteString(line)
		if m := regexp.MustCompile(`serving on http://\S+:(\d+) `).FindStringSubmatch(line); m != nil {
			port = m[1]
		}
		if m := regexp.MustCompile(`Authorization: Bearer (\S+)`).FindStringSubmatch(line); m != nil {
			token = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, rd) }()
	base := "http://127.0.0.1:" + port
	run := func(extra ...string) (int, string) {
		c := exec.Command(bin, append([]string{"test", "--target", base, "--tags", "@newsletter", "--format", "progress"}, extra...)...)
		c.Env = append(os.Environ(), "HERALD_CONTROL_TOKEN=")
		b, err := c.CombinedOutput()
		return exitCode(err), string(b)
	}
	if code, b := run(); code != 1 || !strings.Contains(b, "asks for a token") {
		t.Fatalf("without the token: exit %d\n%s", code, b)
	}
	if code, b := run("--control-token", token); code != 0 {
		t.Fatalf("with the token: exit %d\n%s", code, b)
	}
}

// renderedText is what a person sees of an HTML page: headless Chromium
// prints it to PDF, and pdftotext reads the PDF back. Without them the test
// skips, loudly, unless HERALD_REQUIRE_CHROMIUM=1 (as CI sets it).
func renderedText(t *testing.T, page string) string {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	pdftotext, err2 := exec.LookPath("pdftotext")
	if err != nil || err2 != nil {
		if os.Getenv("HERALD_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("chromium and pdftotext are required (HERALD_REQUIRE_CHROMIUM=1)")
		}
		t.Skip("SKIPPED: chromium or pdftotext is not installed (apt-get install chromium poppler-utils); set HERALD_REQUIRE_CHROMIUM=1 to make this a failure")
	}
	pdf := filepath.Join(t.TempDir(), "report.pdf")
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
		"--user-data-dir="+t.TempDir(), "--print-to-pdf="+pdf, "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	out, err := exec.Command(pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// The release gate, as a QA engineer runs it against a deployment: a target
// file for a Herald in another process, treated as a real Mopay.
func TestReleaseGateWithATargetFile(t *testing.T) {
	bin := buildHerald(t)
	base, _, _ := serve(t, bin)
	dir := t.TempDir()
	file := filepath.Join(dir, "staging.yaml")
	err := os.WriteFile(file, []byte("name: staging Mopay\nsystems:\n  mopay:\n    url: "+base+"/mopay/\n"+
		"    params:\n      email: amara.okafor@example.com\n      password: ${STAGING_PASSWORD}\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	run := func(extra ...string) (int, string, string) {
		junit, cucumber := filepath.Join(dir, "j.xml"), filepath.Join(dir, "c.json")
		args := append([]string{"test", "--target", file, "--format", "progress", "--format", "junit:" + junit + ",cucumber:" + cucumber}, extra...)
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "STAGING_PASSWORD=Notices2023")
		os.Remove(junit)
		out, err := cmd.CombinedOutput()
		if exitCode(err) == 2 { // a usage error: no report
			return 2, string(out), ""
		}
		var report struct {
			Tests, Skipped, Failures int `xml:",attr"`
		}
		type suite struct {
			Name       string `xml:"name,attr"`
			Tests      int    `xml:"tests,attr"`
			Skipped    int    `xml:"skipped,attr"`
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		}
		var raw struct {
			Tests    int     `xml:"tests,attr"`
			Skipped  int     `xml:"skipped,attr"`
			Failures int     `xml:"failures,attr"`
			Suites   []suite `xml:"testsuite"`
		}
		b, _ := os.ReadFile(junit)
		if err := xml.Unmarshal(b, &raw); err != nil {
			t.Fatalf("JUnit report: %v\n%s", err, out)
		}
		// The run's summary comes first, a suite of its own with one case
		// per system, skipped when the system ran in part.
		if len(raw.Suites) == 0 || !strings.HasPrefix(raw.Suites[0].Name, "Herald run summary: ") {
			t.Fatalf("JUnit report: no summary suite first\n%s", b)
		}
		sum := raw.Suites[0]
		props := map[string]string{}
		for _, p := range sum.Properties {
			props[p.Name] = p.Value
		}
		partial := props["herald.mopay.ran"] != props["herald.mopay.selected"]
		if want := map[bool]string{true: "partial", false: "full"}[partial]; props["herald.run"] != want || props["herald.mopay.summary"] == "" ||
			!strings.Contains(string(out), props["herald.mopay.summary"]) || !strings.Contains(sum.Name, map[bool]string{true: "PARTIAL RUN", false: "full run"}[partial]) {
			t.Fatalf("JUnit summary %q %v, want a %s run, its line as on the console:\n%s", sum.Name, props, want, out)
		}
		report.Tests, report.Skipped, report.Failures = raw.Tests-sum.Tests, raw.Skipped-sum.Skipped, raw.Failures
		var features []struct {
			Name        string
			Description string
			Elements    []struct {
				Steps []struct {
					Result struct{ Status string }
				}
			}
		}
		c, _ := os.ReadFile(cucumber)
		if err := json.Unmarshal(c, &features); err != nil {
			t.Fatalf("Cucumber report: %v", err)
		}
		if len(features) == 0 || features[0].Name != sum.Name || !strings.Contains(features[0].Description, props["herald.mopay.summary"]) {
			t.Fatalf("Cucumber report: no summary first, as in JUnit (%q)", sum.Name)
		}
		scenarios, skipped := 0, 0
		for _, f := range features[1:] { // the summary first, its gate failures apart
			for _, e := range f.Elements {
				scenarios++
				if len(e.Steps) > 0 && e.Steps[0].Result.Status == "skipped" {
					skipped++
				}
			}
		}
		if scenarios != report.Tests || skipped < report.Skipped {
			t.Fatalf("Cucumber has %d scenarios (%d skipped), JUnit %d (%d skipped)", scenarios, skipped, report.Tests, report.Skipped)
		}
		listed := 0 // the console groups them by reason: "  N — reason", then their file:line
		for _, m := range regexp.MustCompile(`\n  (\d+) — @`).FindAllStringSubmatch(string(out), -1) {
			n, _ := strconv.Atoi(m[1])
			listed += n
		}
		lines := 0
		for _, m := range regexp.MustCompile(`mopay/[a-z_]+\.feature:([0-9,]+)`).FindAllStringSubmatch(string(out), -1) {
			lines += strings.Count(m[1], ",") + 1
		}
		if listed != report.Skipped || lines != report.Skipped {
			t.Fatalf("the console counts %d skipped scenarios and names %d, JUnit %d:\n%s", listed, lines, report.Skipped, out)
		}
		return exitCode(err), string(out), fmt.Sprintf("%d tests, %d skipped, %d failed", report.Tests, report.Skipped, report.Failures)
	}

	code, out, counts := run()
	if code != 0 || !strings.Contains(out, "@mutating: they create or change data") || !strings.Contains(out, "coverage mopay:") {
		t.Fatalf("mutating refused: exit %d (%s)\n%s", code, counts, out)
	}
	refused := counts
	code, out, counts = run("--allow-mutating")
	if code != 0 || strings.Contains(out, "@mutating: they create") || counts == refused {
		t.Fatalf("mutating allowed: exit %d (%s; refused: %s)\n%s", code, counts, refused, out)
	}
	if code, out, _ := run("--allow-mutating", "--min-coverage", "99"); code != 1 || !strings.Contains(out, "below the 99.0% asked for") {
		t.Fatalf("coverage gate: exit %d\n%s", code, out)
	}
	if code, out, _ := run("--allow-mutating", "--min-coverage", "mopay=99"); code != 1 || !strings.Contains(out, "coverage mopay is") ||
		!strings.Contains(out, "herald test: the run fell short of 1 gate (--min-coverage); see above") || strings.Contains(out, "scenario failed") {
		t.Fatalf("coverage gate for one system: exit %d\n%s", code, out)
	}
	// The scenario gate: without --allow-mutating and a Herald's tags, less
	// than all of Mopay runs; the gate fails that run, and passes at 0.
	if code, out, _ := run("--min-scenarios", "mopay=100"); code != 1 || !strings.Contains(out, "below the 100.0% asked for (--min-scenarios)") ||
		!strings.Contains(out, "PARTIAL RUN") || !strings.Contains(out, "herald test: the run fell short of 1 gate (--min-scenarios); see above") {
		t.Fatalf("scenario gate: exit %d\n%s", code, out)
	}
	if code, out, _ := run("--min-scenarios", "0"); code != 0 {
		t.Fatalf("scenario gate at 0: exit %d\n%s", code, out)
	}
	if code, out, _ := run("--min-scenarios", "monnet=10"); code != 2 || !strings.Contains(out, "the target does not serve monnet") {
		t.Fatalf("a gate on a system not under test: exit %d\n%s", code, out)
	}

	// A failure explains itself: the HTML report shows its exchange, with
	// the password redacted.
	page := filepath.Join(dir, "report.html")
	cmd := exec.Command(bin, "test", "--target", file, "--set", "systems.mopay.params.password=Wrong-Passw0rd",
		"--allow-mutating", "--tags", "@pagination", "--format", "progress,html:"+page)
	cmd.Env = append(os.Environ(), "STAGING_PASSWORD=unused")
	b, err := cmd.CombinedOutput()
	if exitCode(err) != 1 {
		t.Fatalf("with a wrong password: exit %d\n%s", exitCode(err), b)
	}
	html, _ := os.ReadFile(page)
	if strings.Contains(string(html), "Wrong-Passw0rd") {
		t.Fatal("the HTML report shows the password")
	}
	text := renderedText(t, page)
	for _, want := range []string{"Failures", "POST " + base + "/mopay/user_profile_login", "user_profile_login", "<redacted>", "Contract coverage",
		"PARTIAL RUN", "need a Herald"} {
		if !strings.Contains(text, want) {
			t.Errorf("the rendered report lacks %q:\n%s", want, text)
		}
	}
}

// Two suites at once against one herald serve do not interfere: each
// scenario runs in an isolated world of its own.
func TestTwoSuitesShareOneHerald(t *testing.T) {
	bin := buildHerald(t)
	base, _, _ := serve(t, bin)
	type result struct {
		code int
		out  string
	}
	results := make(chan result, 2)
	for _, flags := range [][]string{{"--isolate"}, {"--concurrency", "3"}} {
		go func() {
			out, err := exec.Command(bin, append([]string{"test", "--target", base, "--format", "progress"}, flags...)...).CombinedOutput()
			results <- result{exitCode(err), string(out)}
		}()
	}
	for i := 0; i < 2; i++ {
		r := <-results
		m := regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`).FindStringSubmatch(r.out)
		if r.code != 0 || m == nil || m[1] != m[2] {
			t.Fatalf("a suite sharing the Herald: exit %d\n%s", r.code, r.out)
		}
	}
}

// SIGTERM as soon as the banner is out shuts down gracefully (exit 0),
// every time: signals are caught before the banner is printed.
func TestSigtermRightAfterTheBanner(t *testing.T) {
	bin := buildHerald(t)
	for i := 0; i < 30; i++ {
		_, cmd, rest := serve(t, bin)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		if out := rest(); err != nil || !strings.Contains(out, "shutting down") {
			t.Fatalf("try %d: %v (exit %d), output %q", i, err, exitCode(err), out)
		}
	}
}

// strayBreaks returns the lines of a help's prose broken before they had
// to be: the next line's first word would have fitted on them, within the
// paragraph's widest line. Indented lines (lists, flags) are not prose.
func strayBreaks(help string) []string {
	help, _, _ = strings.Cut(help, "\nFlags:\n")
	var out []string
	for _, para := range strings.Split(help, "\n\n") {
		lines := strings.Split(strings.Trim(para, "\n"), "\n")
		width := 0
		for _, l := range lines {
			width = max(width, len([]rune(l)))
		}
		for i := 0; i+1 < len(lines); i++ {
			l, next := lines[i], lines[i+1]
			if strings.HasPrefix(l, " ") || strings.HasPrefix(next, " ") || strings.HasSuffix(l, ":") {
				continue
			}
			word, _, _ := strings.Cut(next, " ")
			if len([]rune(l))+1+len([]rune(word)) <= width {
				out = append(out, l)
			}
		}
	}
	return out
}

// No help breaks a line of its prose too early (herald test -h once broke
// "tested. After the" off its paragraph).
func TestHelpHasNoStrayLineBreaks(t *testing.T) {
	broken := "Usage: x\n\nor more of --mopay-url, --mnotify-url and --monnet-url: only the systems given are\ntested. After the\nrun come contract coverage per spec and, per system, how many scenarios\n"
	if got := strayBreaks(broken); len(got) != 1 || got[0] != "tested. After the" {
		t.Fatalf("the check misses a known stray break: %q", got)
	}
	for _, args := range [][]string{{"--help"}, {"test", "-h"}, {"serve", "-h"}, {"health", "-h"}, {"spec", "-h"}, {"version", "-h"},
		{"monnet", "-h"}, {"monnet", "verify", "-h"}, {"monnet", "check-receiver", "-h"}} {
		var out bytes.Buffer
		if code := run(args, &out, io.Discard); code != 0 {
			t.Errorf("herald %v: exit %d", args, code)
		}
		if got := strayBreaks(out.String()); len(got) > 0 {
			t.Errorf("herald %v: lines broken too early: %q", args, got)
		}
		if strings.Contains(out.String(), "\n\n\n") {
			t.Errorf("herald %v: two blank lines in a row", args)
		}
		// Defaults read alike: (default 10s), never quoted, never a
		// parenthesis of their own after another.
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, ") (default") || strings.Contains(l, `(default "`) {
				t.Errorf("herald %v: a default printed unlike the others: %q", args, strings.TrimSpace(l))
			}
		}
	}
}

// A help never prints a value read from the environment as a flag's
// default: the control token is a secret.
func TestHelpShowsNoEnvironmentValues(t *testing.T) {
	t.Setenv("HERALD_CONTROL_TOKEN", "s3cret-token")
	t.Setenv("HERALD_MOPAY_EMAIL", "qa-secret@example.com")
	for _, args := range [][]string{{"test", "-h"}, {"health", "-h"}, {"serve", "-h"}} {
		var out bytes.Buffer
		if code := run(args, &out, io.Discard); code != 0 || strings.Contains(out.String(), "s3cret") || !strings.Contains(out.String(), "HERALD_CONTROL_TOKEN") {
			t.Errorf("herald %v: exit %d, help shows the environment's values:\n%s", args, code, out.String())
		}
	}
}

// A listener whose address is taken says, for the main one as for a
// system's own, which flag moves it.
func TestAddressInUseNamesTheFlag(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	for _, c := range []struct {
		args []string
		hint string
	}{
		{[]string{"serve", "--listen", addr, "--listen", "mnotify=127.0.0.1:0"}, "herald serve: listener http: listen tcp " + addr + ": bind: address already in use (choose another with --listen ADDRESS; port 0 picks a free one)\n"},
		{[]string{"serve", "--listen", "127.0.0.1:0", "--listen", "mnotify=" + addr}, "herald serve: listener mnotify: listen tcp " + addr + ": bind: address already in use (choose another with --listen mnotify=ADDRESS; port 0 picks a free one)\n"},
	} {
		var out, errOut bytes.Buffer
		if code := run(c.args, &out, &errOut); code != 1 || errOut.String() != c.hint {
			t.Errorf("herald %v: exit %d, stderr\n%s\nwant\n%s", c.args, code, errOut.String(), c.hint)
		}
	}
}

// herald test's default console output is for a person: progress, the
// failures with their detail and the summary, whose lines come last; the
// whole of each scenario with --format pretty, without the step
// definitions' locations (reflect.makeFuncStub, for every step).
func TestDefaultConsoleOutput(t *testing.T) {
	args := []string{"test", "--tags", "@monnet && @auth", "--seed", "5"}
	var def, errOut bytes.Buffer
	if code := run(args, &def, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, def.String(), errOut.String())
	}
	var pretty bytes.Buffer
	if code := run(append(args, "--format", "pretty"), &pretty, io.Discard); code != 0 {
		t.Fatalf("--format pretty: exit %d\n%s", code, pretty.String())
	}
	lines := strings.Split(strings.TrimSpace(def.String()), "\n")
	if strings.Contains(def.String(), "Scenario:") || !strings.Contains(def.String(), "scenarios (") ||
		!strings.HasPrefix(lines[len(lines)-1], "  monnet: ran ") || len(lines) > 30 {
		t.Errorf("the default output is not progress and the summary (%d lines):\n%s", len(lines), def.String())
	}
	if !strings.Contains(pretty.String(), "Scenario: A correctly signed request is accepted") || strings.Contains(pretty.String(), "makeFuncStub") ||
		strings.Contains(pretty.String(), ".go:") {
		t.Errorf("--format pretty:\n%s", pretty.String())
	}
	for _, l := range strings.Split(pretty.String(), "\n") {
		if strings.HasSuffix(l, " ") {
			t.Errorf("--format pretty: trailing spaces: %q", l)
			break
		}
	}
}
