package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The webhook flags need --monnet-receiver, and a notifier certificate
// that holds a key: each mistake is a usage error naming the flag.
func TestProxyWebhookFlags(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target.yaml")
	if err := os.WriteFile(target, []byte("systems:\n  monnet:\n    url: http://127.0.0.1:1/monnet/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notCert := filepath.Join(dir, "not.crt")
	if err := os.WriteFile(notCert, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--monnet-webhook-listen", "127.0.0.1:0"}, "need --monnet-receiver"},
		{[]string{"--monnet-notifier-cert", notCert}, "need --monnet-receiver"},
		{[]string{"--monnet-receiver", "ftp://example.com/"}, "not an http:// or https:// URL"},
		{[]string{"--monnet-receiver", "http://127.0.0.1:1/", "--monnet-notifier-cert", notCert}, "--monnet-notifier-cert " + notCert},
	} {
		var out, errb bytes.Buffer
		args := append([]string{"--target", target, "--listen", "127.0.0.1:0"}, c.args...)
		if status := runProxy(args, &out, &errb); status != 2 || !strings.Contains(errb.String(), c.want) {
			t.Errorf("%v: status %d, %q; want 2 naming %q", c.args, status, errb.String(), c.want)
		}
	}
}

// With --monnet-receiver the proxy binds the webhook listener, says where
// the notifications go and whether they are verified, and stops cleanly.
func TestProxyWebhookListens(t *testing.T) {
	target := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(target, []byte("systems:\n  monnet:\n    url: http://127.0.0.1:1/monnet/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	status := runProxy([]string{"--target", target, "--listen", "127.0.0.1:0", "--monnet-webhook-listen", "127.0.0.1:0",
		"--monnet-receiver", "http://127.0.0.1:1/hooks", "--duration", "10ms"}, &out, &errb)
	if status != 0 || !strings.Contains(out.String(), "monnet webhooks http://127.0.0.1:") ||
		!strings.Contains(out.String(), "→ http://127.0.0.1:1/hooks (signatures not checked") {
		t.Errorf("status %d\n%s%s", status, out.String(), errb.String())
	}
}
