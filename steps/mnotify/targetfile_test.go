package mnotify

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"herald/fixtures"
	"herald/steps"
)

// A target file naming every role's certificate gives the @simulator steps
// each role's certificate to register in a Herald's MPass registry, as
// --mnotify-cert does: none is "missing" (it once said so of sender-b).
func TestTargetFileGivesEveryRolesCertificate(t *testing.T) {
	certs, err := filepath.Abs(filepath.Join("..", "..", "fixtures", "mnotify", "certs"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("herald: {url: http://127.0.0.1:8080}\nsystems:\n  mnotify:\n    url: https://127.0.0.1:49153/\n    ca: " + filepath.Join(certs, "ca.pem") + "\n    clients:\n")
	for _, role := range CertRoles() {
		b.WriteString("      " + role + ": {cert: " + filepath.Join(certs, role+".pem") + ", key: " + filepath.Join(certs, role+"-key.pem") + "}\n")
	}
	file := filepath.Join(t.TempDir(), "target.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	target, err := steps.LoadTargetFile(file, steps.TargetSources{Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: target.Systems[System]}
	for _, role := range CertRoles() {
		certPEM, serial, err := w.certificateOf(role)
		if err != nil {
			t.Errorf("role %s: %v", role, err)
			continue
		}
		want, _, _ := fixtures.MNotifyCert(role)
		block, _ := pem.Decode(want)
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if serial != cert.SerialNumber.Text(16) || !strings.Contains(certPEM, "BEGIN CERTIFICATE") {
			t.Errorf("role %s: serial %s, want %s", role, serial, cert.SerialNumber.Text(16))
		}
	}
}
