package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"herald/fixtures"
	monnetsim "herald/simulator/monnet"
	"herald/specs/wire/monnet"
)

func fixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := fixtures.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func verify(args []string, body []byte) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runMonnet(append([]string{"verify"}, args...), bytes.NewReader(body), &out, &errOut)
	return code, out.String(), errOut.String()
}

// Monnet's official test vector verifies; altered copies do not.
func TestMonnetVerifyOfficialVector(t *testing.T) {
	body := fixture(t, "monnet/vendor/test-vector-body.json")
	sig := strings.TrimSpace(string(fixture(t, "monnet/vendor/test-vector-signature.txt")))
	pub := writeTemp(t, "pubkey.pem", fixture(t, "monnet/vendor/test-vector-pubkey.pem"))
	args := []string{"--pubkey", pub, "--merchant-id", "234", "--signature", sig}
	if code, out, errOut := verify(args, body); code != 0 || !strings.HasPrefix(out, "OK") {
		t.Fatalf("official vector: exit %d, %q %q", code, out, errOut)
	}
	altered := bytes.Replace(body, []byte(`"amount":"1"`), []byte(`"amount":"2"`), 1)
	if code, out, _ := verify(args, altered); code != 1 || !strings.HasPrefix(out, "INVALID") {
		t.Errorf("altered body: exit %d, %q", code, out)
	}
	if code, _, _ := verify(args, append(bytes.Clone(body), '\n')); code != 1 {
		t.Errorf("body with a newline added: exit %d", code)
	}
	other := []string{"--pubkey", pub, "--merchant-id", "23", "--signature", sig}
	if code, _, _ := verify(other, body); code != 1 {
		t.Errorf("other merchant id: exit %d", code)
	}
	// The Java sample's bare base64 key works as --pubkey too.
	pemLines := strings.Split(strings.TrimSpace(string(fixture(t, "monnet/vendor/test-vector-pubkey.pem"))), "\n")
	bare := writeTemp(t, "bare.txt", []byte(strings.Join(pemLines[1:len(pemLines)-1], "")))
	if code, _, errOut := verify([]string{"--pubkey", bare, "--merchant-id", "234", "--signature", sig}, body); code != 0 {
		t.Errorf("bare base64 key: exit %d %s", code, errOut)
	}
}

func TestMonnetVerifyUsage(t *testing.T) {
	cert := writeTemp(t, "notifier.crt", fixture(t, fixtures.MonnetNotifierCert))
	pub := writeTemp(t, "pub.pem", fixture(t, fixtures.MonnetNotifierPub))
	for name, args := range map[string][]string{
		"no key":         {"--merchant-id", "1", "--signature", "c2ln"},
		"both keys":      {"--cert", cert, "--pubkey", cert, "--merchant-id", "1", "--signature", "c2ln"},
		"no merchant":    {"--cert", cert, "--signature", "c2ln"},
		"no signature":   {"--cert", cert, "--merchant-id", "1"},
		"missing file":   {"--cert", cert + ".nope", "--merchant-id", "1", "--signature", "c2ln"},
		"key as --cert":  {"--cert", pub, "--merchant-id", "1", "--signature", "c2ln"},
		"unknown flag":   {"--nope"},
		"extra argument": {"--cert", cert, "--merchant-id", "1", "--signature", "c2ln", "body.json"},
	} {
		if code, _, errOut := verify(args, nil); code != 2 || errOut == "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, errOut)
		}
	}
	var out bytes.Buffer
	if code := runMonnet([]string{"verify", "--help"}, nil, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "merchant id immediately followed by the raw body") {
		t.Errorf("--help: exit %d %q", code, out.String())
	}
	if code := runMonnet(nil, nil, io.Discard, io.Discard); code != 2 {
		t.Errorf("no command: exit %d", code)
	}
	if code := run([]string{"monnet", "nope"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("herald monnet nope: exit %d", code)
	}
}

// nowScheduler runs every job at once.
type nowScheduler struct{}

func (nowScheduler) At(_ time.Time, job func(ctx context.Context)) { job(context.Background()) }
func (nowScheduler) Go(f func(ctx context.Context)) bool           { f(context.Background()); return true }

// simulatorNotification has the Notifier deliver one notification to a
// local receiver and returns what arrived.
func simulatorNotification(t *testing.T) (body []byte, sig string) {
	t.Helper()
	got := make(chan [2][]byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- [2][]byte{b, []byte(r.Header.Get("verification"))}
	}))
	defer srv.Close()
	n, err := monnetsim.NewNotifier(monnetsim.NotifierConfig{Scheduler: nowScheduler{}})
	if err != nil {
		t.Fatal(err)
	}
	n.SetReceiver("22", srv.URL)
	payload := []byte(`{"payout":{"id":"100","country":"PER","amount":"100000","currency":"PEN","orderId":"X-1","merchantId":"22","bankCode":"001","name":"Ana Núñez"},"output":{"stage":"SUCCESS","status":"PROCESSED","statusChangeDateTime":"2026-03-01T12:00:05.000000Z"}}`)
	if _, err := n.Notify(time.Now(), "22", "100", "X-1", payload); err != nil {
		t.Fatal(err)
	}
	r := <-got
	return r[0], string(r[1])
}

// A notification the simulator sent verifies with openssl and the published
// certificate, and fails once altered; and with herald monnet verify.
func TestMonnetSimulatorNotificationWithOpenSSL(t *testing.T) {
	body, sig := simulatorNotification(t)
	cert := writeTemp(t, "notifier.crt", fixture(t, fixtures.MonnetNotifierCert))
	if code, out, errOut := verify([]string{"--cert", cert, "--merchant-id", "22", "--signature", sig}, body); code != 0 {
		t.Fatalf("herald monnet verify: exit %d %s %s", code, out, errOut)
	}
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("HERALD_REQUIRE_OPENSSL") == "1" {
			t.Fatal("openssl is not on PATH and HERALD_REQUIRE_OPENSSL=1")
		}
		t.Skip("SKIPPED: openssl is not on PATH; the independent openssl check did not run")
	}
	dir := t.TempDir()
	pub, err := exec.Command(openssl, "x509", "-pubkey", "-noout", "-in", cert).Output()
	if err != nil {
		t.Fatalf("openssl x509 -pubkey: %v", err)
	}
	pubPath := writeTemp(t, "pubkey.pem", pub)
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		t.Fatal(err)
	}
	sigPath := filepath.Join(dir, "sig.bin")
	_ = os.WriteFile(sigPath, raw, 0o644)
	check := func(content []byte) (bool, string) {
		p := filepath.Join(dir, "content")
		_ = os.WriteFile(p, content, 0o644)
		out, err := exec.Command(openssl, "dgst", "-sha256", "-verify", pubPath, "-signature", sigPath, p).CombinedOutput()
		return err == nil && strings.Contains(string(out), "Verified OK"), string(out)
	}
	if ok, out := check(append([]byte("22"), body...)); !ok {
		t.Fatalf("openssl does not verify the simulator's notification: %s", out)
	}
	altered := bytes.Replace(body, []byte("100000"), []byte("100001"), 1)
	if ok, _ := check(append([]byte("22"), altered...)); ok {
		t.Error("openssl verifies an altered body")
	}
	if ok, _ := check(body); ok {
		t.Error("openssl verifies the body without the merchantId prefix")
	}
}

// receiverFunc serves a merchant's receiver for merchant 22 that answers as
// decide says, given the verification header values and the raw body.
func receiverFunc(t *testing.T, decide func(sigs []string, body []byte) int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(decide(r.Header.Values("verification"), b))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// correctReceiver verifies each notification with the notifier certificate
// and acknowledges a payout's notification however often it comes.
func correctReceiver(t *testing.T) string {
	pub, err := monnet.ParsePublicKey(fixture(t, fixtures.MonnetNotifierCert))
	if err != nil {
		t.Fatal(err)
	}
	return receiverFunc(t, func(sigs []string, body []byte) int {
		if len(sigs) != 1 || monnet.Verify(pub, "22", body, sigs[0]) != nil {
			return http.StatusUnauthorized
		}
		return http.StatusOK
	})
}

func checkReceiver(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := runMonnet(append([]string{"check-receiver"}, args...), nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

// A correct receiver passes every case of check-receiver.
func TestCheckReceiverPassesACorrectReceiver(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "check.xml")
	code, out, errOut := checkReceiver(t, "--url", correctReceiver(t), "--merchant-id", "22", "--format", "pretty,junit:"+junit)
	if code != 0 || !strings.Contains(out, "16 scenarios (16 passed)") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"valid SUCCESS notification", "status NO_BALANCE", "byte-identical redelivery", "forged notification reserialised"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report does not name %q", want)
		}
	}
	var report struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if b, err := os.ReadFile(junit); err != nil || xml.Unmarshal(b, &report) != nil || report.Tests != 16 || report.Failures != 0 {
		t.Fatalf("junit report: %+v %v", report, err)
	}
}

// --key signs with another key: a receiver that holds its public key passes.
func TestCheckReceiverWithAKeyOfOnesOwn(t *testing.T) {
	keyPEM := fixture(t, fixtures.MonnetForgerKey)
	key, err := monnet.ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	own := receiverFunc(t, func(sigs []string, body []byte) int {
		if len(sigs) != 1 || monnet.Verify(&key.PublicKey, "22", body, sigs[0]) != nil {
			return http.StatusUnauthorized
		}
		return http.StatusOK
	})
	keyFile := writeTemp(t, "own.key", keyPEM)
	if code, out, errOut := checkReceiver(t, "--url", own, "--merchant-id", "22", "--key", keyFile, "--format", "progress"); code != 0 {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	if code, _, _ := checkReceiver(t, "--url", correctReceiver(t), "--merchant-id", "22", "--key", keyFile, "--format", "progress"); code != 1 {
		t.Fatalf("a receiver with Herald's certificate passed notifications signed by another key: exit %d", code)
	}
}

// A lax receiver (it accepts everything) fails, each forgery named; so does
// one that refuses a redelivery; and a receiver that verifies the signature
// over the body alone.
func TestCheckReceiverNamesEachWrongAnswer(t *testing.T) {
	lax := receiverFunc(t, func([]string, []byte) int { return http.StatusOK })
	code, out, _ := checkReceiver(t, "--url", lax, "--merchant-id", "22", "--format", "progress")
	if code != 1 || !strings.Contains(out, "16 scenarios (9 passed, 7 failed)") {
		t.Fatalf("lax receiver: exit %d\n%s", code, out)
	}
	for _, kind := range monnet.Forgeries() {
		if !strings.Contains(out, "forged notification "+string(kind)+": the receiver answered 200; it accepts a notification "+kind.Describe()) {
			t.Errorf("the report does not name %s:\n%s", kind, out)
		}
	}

	pub, _ := monnet.ParsePublicKey(fixture(t, fixtures.MonnetNotifierCert))
	seen := map[string]bool{}
	var mu sync.Mutex
	refusesAgain := receiverFunc(t, func(sigs []string, body []byte) int {
		mu.Lock()
		defer mu.Unlock()
		if len(sigs) != 1 || monnet.Verify(pub, "22", body, sigs[0]) != nil || seen[string(body)] {
			return http.StatusConflict
		}
		seen[string(body)] = true
		return http.StatusOK
	})
	code, out, _ = checkReceiver(t, "--url", refusesAgain, "--merchant-id", "22", "--format", "progress")
	if code != 1 || !strings.Contains(out, "16 scenarios (15 passed, 1 failed)") || !strings.Contains(out, "byte-identical redelivery of the SUCCESS notification: the receiver answered 409") {
		t.Fatalf("a receiver that refuses a redelivery: exit %d\n%s", code, out)
	}

	bodyOnly := receiverFunc(t, func(sigs []string, body []byte) int {
		if len(sigs) != 1 || monnet.Verify(pub, "", body, sigs[0]) != nil {
			return http.StatusUnauthorized
		}
		return http.StatusOK
	})
	code, out, _ = checkReceiver(t, "--url", bodyOnly, "--merchant-id", "22", "--format", "progress")
	if code != 1 || !strings.Contains(out, "forged notification no-merchant-prefix: the receiver answered 200") || !strings.Contains(out, "valid SUCCESS notification: the receiver answered 401") {
		t.Fatalf("a receiver that verifies the body alone: exit %d\n%s", code, out)
	}
}

func TestCheckReceiverUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"no url":         {"--merchant-id", "22"},
		"relative url":   {"--url", "/hook", "--merchant-id", "22"},
		"no merchant":    {"--url", "http://127.0.0.1:1/"},
		"bad format":     {"--url", "http://127.0.0.1:1/", "--merchant-id", "22", "--format", "junit"},
		"missing key":    {"--url", "http://127.0.0.1:1/", "--merchant-id", "22", "--key", "/nonexistent.pem"},
		"extra argument": {"--url", "http://127.0.0.1:1/", "--merchant-id", "22", "x"},
	} {
		if code, _, errOut := checkReceiver(t, args...); code != 2 || errOut == "" {
			t.Errorf("%s: exit %d, stderr %q", name, code, errOut)
		}
	}
}

// controlCall calls a Herald's control API and fails the test on an error.
func controlCall(t *testing.T, base, method, path, body string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, base+"/_herald/v1/"+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return b
}

// freePort returns a loopback address where nothing listens.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// A Herald's Monnet base URL, given as a real Monnet: no control API, so
// the suite does not set the receiver URL (the merchant's integration team
// did, here through the control API), routes notifications by orderId, and
// waits for the payouts' own time; the vendor-documented scenarios pass.
func TestMonnetRealDeploymentMode(t *testing.T) {
	bin := buildHerald(t)
	base, _, _ := serve(t, bin)
	receiver := freePort(t)
	controlCall(t, base, "PUT", "monnet/receivers/22", `{"url":"http://`+receiver+`/"}`)
	cert := writeTemp(t, "notifier.crt", fixture(t, fixtures.MonnetNotifierCert))
	cucumber := filepath.Join(t.TempDir(), "report.json")
	env := append(os.Environ(), "HERALD_MONNET_API_KEY=SoSSp+5M4GrYfngfSE78lC2BzvUYQ0k8+i/iHg+bp54=", "HERALD_MONNET_API_SECRET=P5yjICOFoE0kmJVMALeBRmoxuWXz0BJKuoSaIXEHTgE=")

	var noCredentials []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_MONNET_") {
			noCredentials = append(noCredentials, kv)
		}
	}
	cmd := exec.Command(bin, "test", "--monnet-url", base+"/monnet/", "--monnet-notifier-cert", cert)
	cmd.Env = noCredentials
	if out, err := cmd.CombinedOutput(); exitCode(err) != 2 || !strings.Contains(string(out), "--monnet-url needs --monnet-merchant-id, HERALD_MONNET_API_KEY, HERALD_MONNET_API_SECRET") {
		t.Fatalf("a real Monnet without credentials: %v\n%s", err, out)
	}

	// Without --allow-mutating only what creates no payout runs: the
	// refused status reads (another merchant's path among them).
	cmd = exec.Command(bin, "test", "--monnet-url", base+"/monnet/", "--monnet-merchant-id", "22", "--monnet-notifier-cert", cert, "--format", "progress")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "7 scenarios (7 passed)") || !strings.Contains(string(out), "— @mutating:") {
		t.Fatalf("a real Monnet without --allow-mutating: %v\n%s", err, out)
	}

	cmd = exec.Command(bin, "test", "--monnet-url", base+"/monnet/", "--monnet-merchant-id", "22", "--monnet-notifier-cert", cert,
		"--monnet-receiver-listen", receiver, "--monnet-retry-wait", "15s", "--monnet-notification-wait", "20s", "--allow-mutating", "--format", "progress,cucumber:"+cucumber)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("herald test --monnet-url: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "is not a Herald") {
		t.Fatalf("expected a note on the left-out scenarios:\n%s", out)
	}
	m := regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`).FindStringSubmatch(string(out))
	if m == nil || m[1] != m[2] || m[1] == "0" {
		t.Fatalf("expected every selected scenario to pass:\n%s", out)
	}
	b, _ := os.ReadFile(cucumber)
	for _, want := range []string{"A successful payout is notified, signed, as the spec describes", "A repeated orderId is the documented duplicate 2005",
		"A notification answered with a 5xx and sent again carries the same bytes", "A merchant's payout is not shown on another merchant's path"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the run left out %q", want)
		}
	}
}

// syncBuffer is an io.Writer safe for a process's output and a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// createMonnetPayout creates a payout through a Herald, signed at the
// simulator time now.
func createMonnetPayout(t *testing.T, base, merchant, key, secret, orderID string, now time.Time) {
	t.Helper()
	body := `{"country":"PER","amount":100000,"currency":"PEN","orderId":"` + orderID + `","beneficiary":{"name":"Ana","lastName":"Núñez","document":{"type":1,"number":"12345678"}},"destination":{"bankAccount":{"bankCode":"001","accountType":"1","accountNumber":"00012345678"}}}`
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	path := "/api/v1/" + merchant + "/payouts"
	req, _ := http.NewRequest("POST", base+"/monnet"+path+"?timestamp="+ts+"&signature="+monnet.PayoutSignature(secret, "POST", path, ts, []byte(body)), strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("monnet-api-key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create payout: %d %s", resp.StatusCode, b)
	}
}

// On SIGTERM herald serve waits for a notification attempt on the network,
// records it, and logs the deliveries still pending; then exits 0.
func TestServeDrainsMonnetDeliveriesOnSIGTERM(t *testing.T) {
	cmd, base, out, stderr := startServe(t, "--seed", "3", "--log-level", "debug", "--monnet-backoff", "0s,1h", "--monnet-attempt-timeout", "20s")
	shuttingDown := make(chan struct{})
	go func() {
		said := false
		for sc := bufio.NewScanner(out); sc.Scan(); {
			if !said && sc.Text() == "herald: shutting down" {
				said = true
				close(shuttingDown)
			}
		}
	}()

	// A receiver for merchant 22 that holds the request until told; merchant
	// 1000's receiver is down.
	arrived, release := make(chan struct{}), make(chan struct{})
	connected := make(chan bool, 1)
	var once sync.Once
	letGo := func() { once.Do(func() { close(release) }) }
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		connected <- r.Context().Err() == nil // the sender still waits for the answer
		w.WriteHeader(http.StatusNoContent)
	}))
	defer slow.Close()
	defer letGo()
	controlCall(t, base, "PUT", "monnet/receivers/22", `{"url":"`+slow.URL+`"}`)
	controlCall(t, base, "PUT", "monnet/receivers/1000", `{"url":"http://`+freePort(t)+`/"}`)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	controlCall(t, base, "PUT", "clock", `{"now":"`+now.Format(time.RFC3339)+`","frozen":true}`)
	createMonnetPayout(t, base, "22", "SoSSp+5M4GrYfngfSE78lC2BzvUYQ0k8+i/iHg+bp54=", "P5yjICOFoE0kmJVMALeBRmoxuWXz0BJKuoSaIXEHTgE=", "DRAIN-1", now)
	createMonnetPayout(t, base, "1000", "herald-monnet-1000-key", "herald-monnet-1000-secret", "DRAIN-2", now)
	controlCall(t, base, "POST", "clock/advance", `{"by":"5s"}`)
	<-arrived

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// herald serve says it is shutting down, and its listener closes, while
	// the attempt is still on the network.
	select {
	case <-shuttingDown:
	case <-time.After(30 * time.Second):
		t.Fatalf("herald serve did not say it was shutting down within 30 s of SIGTERM:\n%s", stderr.String())
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("herald serve still accepts connections 30 s after SIGTERM:\n%s", stderr.String())
		}
	}
	letGo()
	if !<-connected {
		t.Fatal("herald serve dropped the attempt in flight instead of waiting for it")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("herald serve exited with %v:\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("herald serve did not stop within 30 s of SIGTERM:\n%s", stderr.String())
	}
	logs := stderr.String()
	if !regexp.MustCompile(`msg="notification attempt".*delivery=ntf-1 merchant=22 .*status=204`).MatchString(logs) {
		t.Errorf("the attempt in flight was not recorded:\n%s", logs)
	}
	pending := regexp.MustCompile(`level=WARN msg="notifier stopped with deliveries pending, not sent" system=monnet worker=notifier count=1 pending="ntf-2 \(merchant 1000, payout 101, 1 attempts, next due 2026-05-01T13:00:05Z\)"`)
	if !pending.MatchString(logs) {
		t.Errorf("the shutdown log does not list the pending delivery of merchant 1000 (and only it):\n%s", logs)
	}
}

// Each of herald monnet's commands has a help of its own, exit 0, which
// names its own flags and not the other command's.
func TestMonnetCommandsHaveTheirOwnHelp(t *testing.T) {
	for _, c := range []struct {
		cmd, want, notWant string
	}{
		{"verify", "--signature SIG", "--timeout D"},
		{"check-receiver", "--timeout D", "--signature SIG"},
	} {
		for _, h := range []string{"-h", "--help"} {
			var out, errOut bytes.Buffer
			code := runMonnet([]string{c.cmd, h}, nil, &out, &errOut)
			if code != 0 || errOut.Len() != 0 || !strings.Contains(out.String(), "herald monnet "+c.cmd) ||
				!strings.Contains(out.String(), c.want) || strings.Contains(out.String(), c.notWant) {
				t.Errorf("herald monnet %s %s: exit %d, stderr %q, stdout:\n%s", c.cmd, h, code, errOut.String(), out.String())
			}
		}
	}
}

// A usage error of herald monnet's commands is the error and where the help
// is, not the help itself; each names what is wrong.
func TestMonnetUsageErrorsAreShort(t *testing.T) {
	cert := writeTemp(t, "notifier.crt", fixture(t, fixtures.MonnetNotifierCert))
	key := writeTemp(t, "notifier.key", fixture(t, fixtures.MonnetNotifierKey))
	garbage := writeTemp(t, "garbage.key", []byte("not a key\n"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--nope"}, "herald monnet verify: flag provided but not defined: -nope"},
		{[]string{"verify", "--merchant-id", "1", "--signature", "c2ln"}, "herald monnet verify: give exactly one of --cert and --pubkey"},
		{[]string{"verify", "--cert", cert, "--signature", "c2ln"}, "herald monnet verify: --merchant-id is required"},
		{[]string{"verify", "--cert", cert, "--merchant-id", "1"}, "herald monnet verify: --signature is required"},
		{[]string{"verify", "--cert", cert, "--merchant-id", "1", "--signature", "c2ln", "body.json"},
			`herald monnet verify: unexpected argument "body.json" (the body is read from standard input)`},
		{[]string{"verify", "--cert", key, "--merchant-id", "1", "--signature", "c2ln"},
			"herald monnet verify: --cert " + key + " is not a PEM certificate (use --pubkey for a public key)"},
		{[]string{"check-receiver", "--nope"}, "herald monnet check-receiver: flag provided but not defined: -nope"},
		{[]string{"check-receiver", "--url", "http://127.0.0.1:1/"}, "herald monnet check-receiver: --merchant-id is required"},
		{[]string{"check-receiver", "--url", "/hook", "--merchant-id", "22"},
			`herald monnet check-receiver: --url: want the receiver's absolute http:// or https:// URL, got "/hook"`},
		{[]string{"check-receiver", "--url", "http://127.0.0.1:1/", "--merchant-id", "22", "--key", cert},
			"herald monnet check-receiver: --key " + cert + " is a certificate; --key wants the notifier's private key (PEM), such as the key the certificate was made from"},
		{[]string{"check-receiver", "--url", "http://127.0.0.1:1/", "--merchant-id", "22", "--key", garbage},
			"herald monnet check-receiver: --key " + garbage + " holds no PEM block; --key wants an RSA private key (PEM)"},
	} {
		var out, errOut bytes.Buffer
		code := runMonnet(c.args, nil, &out, &errOut)
		want := c.want + "\nrun 'herald monnet " + c.args[0] + " -h' for help\n"
		if code != 2 || errOut.String() != want {
			t.Errorf("herald monnet %v: exit %d, stderr\n%s\nwant\n%s", c.args, code, errOut.String(), want)
		}
	}
	// A private key still signs.
	if _, err := monnet.ParsePrivateKey(fixture(t, fixtures.MonnetNotifierKey)); err != nil {
		t.Fatal(err)
	}
}

// A missing or garbage --monnet-notifier-cert is refused before any
// scenario runs (no payout is created), naming the flag, as --mnotify-ca is.
func TestMonnetNotifierCertIsCheckedFirst(t *testing.T) {
	t.Setenv("HERALD_MONNET_API_KEY", "k")
	t.Setenv("HERALD_MONNET_API_SECRET", "s")
	garbage := writeTemp(t, "garbage.crt", []byte("not a certificate\n"))
	missing := filepath.Join(t.TempDir(), "nope.crt")
	for _, c := range []struct{ file, want string }{
		{missing, "herald test: target http://127.0.0.1:1/monnet/: monnet: --monnet-notifier-cert (systems.monnet.params.notifier-cert) " + missing + ": open " + missing + ": no such file or directory\n"},
		{garbage, "herald test: target http://127.0.0.1:1/monnet/: monnet: --monnet-notifier-cert (systems.monnet.params.notifier-cert) " + garbage + ": "},
	} {
		var out, errOut bytes.Buffer
		code := run([]string{"test", "--monnet-url", "http://127.0.0.1:1/monnet/", "--monnet-merchant-id", "22", "--monnet-notifier-cert", c.file}, &out, &errOut)
		if code != 2 || !strings.HasPrefix(errOut.String(), c.want) || strings.Count(errOut.String(), "\n") != 1 || strings.Contains(out.String(), "scenario") {
			t.Errorf("%s: exit %d, stderr\n%s\nwant\n%s…\nstdout %s", c.file, code, errOut.String(), c.want, out.String())
		}
	}
}

// A Herald whose notifier cannot reach the suite's receiver (here: the
// receiver URL given points where nothing listens, as 127.0.0.1 does from
// inside a container) is found out at the first attempt, and every Monnet
// scenario that needs the receiver fails with the flags that fix it,
// instead of each waiting out the notification wait.
func TestUnreachableMonnetReceiverIsToldOnce(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"test", "--tags", "@monnet && @outcomes", "--monnet-receiver-url", "http://" + freePort(t) + "/",
		"--format", "progress"}, &out, &errOut)
	m := regexp.MustCompile(`^herald test: (\d+) scenarios failed; see above\n$`).FindStringSubmatch(errOut.String())
	if code != 1 || m == nil {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut.String(), out.String())
	}
	failed, _ := strconv.Atoi(m[1])
	told := strings.Count(out.String(), "Error: the Herald cannot reach the suite's Monnet receiver at ")
	if failed < 2 || told != failed || !strings.Contains(out.String(), "give --monnet-receiver-listen 0.0.0.0:PORT and --monnet-receiver-url http://HOST:PORT/") ||
		strings.Contains(errOut.String(), "--isolate") { // an in-process Herald is the run's own
		t.Fatalf("%d scenarios failed, %d of them for the unreachable receiver:\n%s", failed, told, out.String())
	}
}

// check-receiver's last line is exact: with nothing answering at the URL
// it says so; otherwise it counts the notifications answered wrongly.
func TestCheckReceiverSummaryIsExact(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	nothing := gone.URL + "/"
	gone.Close() // nothing answers there now
	code, _, errOut := checkReceiver(t, "--url", nothing, "--merchant-id", "22", "--format", "progress")
	if want := "herald monnet check-receiver: nothing answered at " + nothing + ": none of the 16 notifications got an answer (is the receiver running, and is the URL right?)\n"; code != 1 || errOut != want {
		t.Errorf("nothing listening: exit %d, stderr\n%q\nwant\n%q", code, errOut, want)
	}

	lax := receiverFunc(t, func([]string, []byte) int { return http.StatusOK })
	code, _, errOut = checkReceiver(t, "--url", lax, "--merchant-id", "22", "--format", "progress")
	if want := "herald monnet check-receiver: 7 of 16 notifications were answered wrongly\n"; code != 1 || errOut != want {
		t.Errorf("lax receiver: exit %d, stderr\n%q\nwant\n%q", code, errOut, want)
	}
}
