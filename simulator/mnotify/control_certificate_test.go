package mnotify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"herald/fixtures"
)

// issue is a client certificate the test CA signs, with the serial and
// subject given.
func issue(t *testing.T, serial int64, subject pkix.Name) string {
	t.Helper()
	caPEM, caKeyPEM, err := fixtures.MNotifyCert("ca")
	if err != nil {
		t.Fatal(err)
	}
	ca, err := tls.X509KeyPair(caPEM, caKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: subject,
		NotBefore: start.Add(-time.Hour), NotAfter: start.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, ca.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestRegisterCertificateNaming pins how an uploaded certificate is
// registered: serial 0 is a serial like any other, and the sender is named
// after the certificate's first organisation, or, when it has none (or an
// empty one), "Sender" and the serial.
func TestRegisterCertificateNaming(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		name    string
		serial  int64
		subject pkix.Name
		want    string
	}{
		{"serial 0", 0, pkix.Name{Organization: []string{"Zero Org"}}, "Zero Org"},
		{"no organisation", 0x2001, pkix.Name{CommonName: "no org"}, "Sender 2001"},
		{"empty organisation", 0x2002, pkix.Name{Organization: []string{""}}, "Sender 2002"},
		{"first organisation", 0x2003, pkix.Name{Organization: []string{"First", "Second"}}, "First"},
	} {
		body, _ := json.Marshal(map[string]string{"certificate": issue(t, c.serial, c.subject)})
		status, b := h.controlDo("POST", "/registrations", string(body))
		var reg Registration
		if err := json.Unmarshal(b, &reg); status != 200 || err != nil || reg.Sender.Name != c.want {
			t.Errorf("%s: %d %s, want the sender named %q", c.name, status, b, c.want)
		}
	}
	// By serial, without a name: no certificate to read an organisation from.
	status, b := h.controlDo("POST", "/registrations", `{"serial":"3001"}`)
	var reg Registration
	if err := json.Unmarshal(b, &reg); status != 200 || err != nil || reg.Sender.Name != "Sender 3001" {
		t.Errorf("by serial: %d %s, want the sender named %q", status, b, "Sender 3001")
	}
}
