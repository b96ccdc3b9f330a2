package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
