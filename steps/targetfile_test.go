package steps

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// selfSigned writes a certificate and key for a client role.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "sender"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	certFile = writeFile(t, dir, "c.crt", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyFile = writeFile(t, dir, "c.key", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	return certFile, keyFile
}

func TestTargetFile(t *testing.T) {
	dir := t.TempDir()
	selfSigned(t, dir)
	p := writeFile(t, dir, "target.yaml", `name: staging
timeout: 5s
systems:
  mopay:
    url: https://mopay.example
    params:
      email: qa@example.com
      password: ${MOPAY_PASSWORD}
  mnotify:
    url: https://mnotify.example/
    ca: c.crt
    clients:
      sender-a: {cert: c.crt, key: c.key}
`)
	tg, err := LoadTargetFile(p, TargetSources{Env: env(map[string]string{"MOPAY_PASSWORD": "pw", "HERALD_SYSTEMS_MOPAY_PARAMS_EMAIL": "env@example.com"}),
		Sets: map[string]string{"systems.mopay.params.req-form": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	m := tg.Systems["mopay"]
	if tg.Name != "staging" || tg.IsHerald() || m.BaseURL != "https://mopay.example/" || m.Params["password"] != "pw" ||
		m.Params["email"] != "env@example.com" || m.Params["req-form"] != "true" || tg.Client.Timeout != 5*time.Second {
		t.Fatalf("target %+v, mopay %+v", tg, m)
	}
	if c := tg.Systems["mnotify"].Clients; c["sender-a"] == nil || c[""] == nil {
		t.Fatalf("mnotify clients %v", c)
	}

	h := writeFile(t, dir, "herald.yaml", "herald: {url: http://127.0.0.1:8080, token: t0}\nsystems: {mopay: {url: http://127.0.0.1:8080/mopay/}}\n")
	if tg, err := LoadTargetFile(h, TargetSources{}); err != nil || tg.ControlURL != "http://127.0.0.1:8080/_herald/v1/" || tg.ControlToken != "t0" {
		t.Fatalf("a Herald's target file: %+v %v", tg, err)
	}
}

// Errors name the key at fault and its line.
func TestTargetFileErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ text, want string }{
		{"systems:\n  mopay:\n    url: https://x/\n    parms: {a: b}\n", "line 4: key systems.mopay.parms.a: unknown key"},
		{"systems:\n  mopay:\n    params: {email: a}\n", "line 3: key systems.mopay.url is missing"},
		{"systems:\n  mopay:\n    url: ftp://x/\n", "line 3: key systems.mopay.url"},
		{"timeout: soon\nsystems: {mopay: {url: http://x/}}\n", "line 1: key timeout"},
		{"systems:\n  mopay:\n    url: http://x/\n    params:\n      password: ${NOPE}\n", "line 5: key systems.mopay.params.password: the environment variable NOPE is not set"},
		{"systems:\n  mnotify:\n    url: http://x/\n    clients:\n      a: {cert: c.crt}\n", "key systems.mnotify.clients.a: give both cert and key"},
		{"systems:\n  mopay: {url: http://x/}\n  mopay: {url: http://y/}\n", "line 3: key systems.mopay.url is given twice"},
		{"name: x\n", "no systems"},
		{"systems: [a, b]\n", "line 1: key systems: want a value or a mapping"},
	} {
		p := writeFile(t, dir, "t.yaml", tc.text)
		_, err := LoadTargetFile(p, TargetSources{Env: env(nil)})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.text, err, tc.want)
		}
	}
}

// The README's sample target files load.
func TestReadmeTargetSamples(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(b), "<!-- target-sample -->")
	if len(parts) < 2 {
		t.Fatal("the README has no target sample")
	}
	for i, part := range parts[1:] {
		start := strings.Index(part, "```yaml\n")
		end := strings.Index(part, "```\n")
		if start < 0 || end < 0 {
			t.Fatalf("sample %d: no yaml block after the marker", i+1)
		}
		end = start + 8 + strings.Index(part[start+8:], "```")
		block := strings.Split(part[start+8:end], "\n")
		indent := -1 // the block's own indentation, as a list item's
		for _, l := range block {
			if n := len(l) - len(strings.TrimLeft(l, " ")); strings.TrimSpace(l) != "" && (indent < 0 || n < indent) {
				indent = n
			}
		}
		var lines []string
		for _, l := range block {
			if len(l) >= indent && indent > 0 {
				l = l[indent:]
			}
			lines = append(lines, l)
		}
		// Saved at the top of the checkout, as the README says, so that
		// paths to the fixtures resolve.
		f, err := os.CreateTemp("..", "readme-sample-*.yaml")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(f.Name()) })
		if _, err := f.WriteString(strings.Join(lines, "\n")); err != nil {
			t.Fatal(err)
		}
		f.Close()
		p := f.Name()
		// Every variable a sample names is set; none of Herald's overrides.
		anyVar := func(name string) (string, bool) { return "x", !strings.HasPrefix(name, "HERALD_") }
		if _, err := LoadTargetFile(p, TargetSources{Env: anyVar}); err != nil {
			t.Errorf("README sample %d: %v", i+1, err)
		}
	}
}
