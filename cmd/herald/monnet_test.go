package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/fixtures"
	"herald/simulator/monnet"
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
	n, err := monnet.NewNotifier(monnet.NotifierConfig{Scheduler: nowScheduler{}})
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
