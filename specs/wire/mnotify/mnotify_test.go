package mnotify

import (
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"

	"herald/fixtures"
)

// Every role that presents a certificate has one in the fixtures, and no
// other name is a role.
func TestRolesHaveFixtureCertificates(t *testing.T) {
	for _, role := range CertRoles() {
		if !KnownRole(role) {
			t.Errorf("KnownRole(%q) is false", role)
		}
		certPEM, _, err := fixtures.MNotifyCert(role)
		if err != nil {
			t.Errorf("role %s: %v", role, err)
			continue
		}
		block, _ := pem.Decode(certPEM)
		if block == nil {
			t.Errorf("role %s: the fixture is not PEM", role)
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Errorf("role %s: %v", role, err)
			continue
		}
		if got, err := NormalizeSerial(Serial(cert)); err != nil || got != Serial(cert) {
			t.Errorf("role %s: Serial %s does not normalise to itself: %s %v", role, Serial(cert), got, err)
		}
	}
	for _, role := range []string{RoleNone, "", "ca", "Sender-A"} {
		if KnownRole(role) {
			t.Errorf("KnownRole(%q) is true", role)
		}
	}
}

func TestNormalizeSerial(t *testing.T) {
	for in, want := range map[string]string{"1001": "1001", "0x1001": "1001", "10:01": "1001", "00AB": "ab", "0X0ab": "ab"} {
		if got, err := NormalizeSerial(in); err != nil || got != want {
			t.Errorf("NormalizeSerial(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0x", "xyz", "-1", strings.Repeat("1", 65)} {
		if got, err := NormalizeSerial(in); err == nil {
			t.Errorf("NormalizeSerial(%q) = %q, want an error", in, got)
		}
	}
	if got := SerialText(big.NewInt(0xABC)); got != "abc" {
		t.Errorf("SerialText = %s", got)
	}
}
