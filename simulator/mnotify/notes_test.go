package mnotify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/fixtures"
	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/system"
)

// observedHarness is a harness whose engine records every observation.
type observedHarness struct {
	*harness
	mu   sync.Mutex
	seen []engine.Observation
}

func newObservedHarness(t *testing.T) *observedHarness {
	t.Helper()
	seed, err := fixtures.LoadMNotifySeed()
	if err != nil {
		t.Fatal(err)
	}
	o := &observedHarness{}
	c := clock.NewControlled(nil)
	c.Set(start, true)
	sim, err := New(Config{Clock: c, Random: entropy.New(1), Seed: seed, Engine: system.EngineDefaults{Faults: &engine.Faults{},
		Observe: func(ob engine.Observation) {
			o.mu.Lock()
			defer o.mu.Unlock()
			o.seen = append(o.seen, ob)
		}}})
	if err != nil {
		t.Fatal(err)
	}
	o.harness = newHarnessOf(t, sim, c)
	return o
}

func (o *observedHarness) last() engine.Observation {
	o.t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.seen) == 0 {
		o.t.Fatal("nothing observed")
	}
	return o.seen[len(o.seen)-1]
}

// Every certificate outcome is explained for the journal, by the
// certificate's serial number and common name: none presented, another CA,
// outside its validity, unknown to MPass, revoked (and since when), and on
// success the sender. The note never holds the certificate's key.
func TestAuthenticationNotes(t *testing.T) {
	o := newObservedHarness(t)
	senderA := o.sim.Registry().Entries()[0]
	check := func(who string, status int, want ...string) {
		t.Helper()
		if a := o.do(who, "GET", "/api/Notification", ""); a.Status != status {
			t.Fatalf("%q: status %d, want %d: %s", who, a.Status, status, a.Body)
		}
		auth := o.last().Auth
		if !auth.Checked || (auth.Err == nil) != (status == 200) {
			t.Errorf("%q: auth %+v", who, auth)
		}
		for _, w := range want {
			if !strings.Contains(auth.Note, w) {
				t.Errorf("%q: note %q\nlacks %q", who, auth.Note, w)
			}
		}
		if who != "" && who != "future" {
			_, keyPEM, err := fixtures.MNotifyCert(who)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(keyPEM), "\n")[1:3] {
				if strings.Contains(auth.Note, line) || strings.Contains(auth.Note, "PRIVATE") {
					t.Errorf("%q: note %q shows the certificate's key", who, auth.Note)
				}
			}
		}
	}
	if senderA.Serial != "1001" {
		t.Fatalf("the seed's first registration is %s, want sender A's 1001", senderA.Serial)
	}
	check("sender-a", 200, `certificate serial 1001 (CN "sender-a") is registered with MPass to sender "`+senderA.Sender.Name+`" (`+senderA.Sender.ID+`)`)
	check("", 401, "no client certificate presented")
	check("foreign", 401, `certificate serial 1001 (CN "foreign"), issued by "CN=Herald foreign test CA,O=Herald", does not chain to the trusted certificate authority`)
	check("expired", 401, `certificate serial 1004 (CN "expired") expired on `, "; the simulator clock is at 2025-11-10T09:00:00Z")
	check("unregistered", 403, `certificate serial 1003 (CN "unregistered") is not registered with MPass`)
	check("revoked", 403, `certificate serial 1005 (CN "revoked") is revoked in MPass by the seed (registered to sender "`)

	o.clock.Set(start.Add(time.Hour), true)
	if _, ok, err := o.sim.Registry().Revoke("1002", o.clock.Now()); !ok || err != nil {
		t.Fatalf("revoke: %v %v", ok, err)
	}
	check("sender-b", 403, `certificate serial 1002 (CN "sender-b") is revoked in MPass since 2025-11-10T10:00:00Z`)

	o.clients["future"] = futureClient(t)
	check("future", 401, `certificate serial 77 (CN "future") is not valid before 2030-01-01T00:00:00Z; the simulator clock is at 2025-11-10T10:00:00Z`)
}

// futureClient presents a certificate of the trusted CA that is not valid
// before 2030, with serial number 0x77.
func futureClient(t *testing.T) *http.Client {
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
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x77), Subject: pkix.Name{CommonName: "future"},
		NotBefore: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, ca.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	roots, err := TestCA()
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// A path MNotify does not have, even case-insensitively, names the closest
// operation.
func TestClosestOperation(t *testing.T) {
	o := newObservedHarness(t)
	o.do("sender-a", "GET", "/api/Notificaton/5", "").problem(t, 404, "")
	want := []string{"segment 2 is `Notificaton`, the document has `Notification`"}
	if m := o.last().Miss; m == nil || m.OperationID != "getNotification" || !reflect.DeepEqual(m.Differences, want) {
		t.Errorf("miss %+v, want getNotification with %q", m, want)
	}
}

// Another sender's notification or template is refused with a note that
// names who asked, as its certificate established, and whose record it is.
func TestOwnerNotes(t *testing.T) {
	o := newObservedHarness(t)
	id := o.send("sender-a", simple(`[{"value":"2222222222222","type":"IDNP"}]`))
	tid := o.do("sender-a", "POST", "/api/Template", `{"name":"t","description":"d","subject":{"ro":"s"},"body":{"ro":"b"}}`).id(t)
	regs := o.sim.Registry().Entries()
	a, b := senderName(regs[0].Sender), senderName(regs[1].Sender)
	for _, c := range []struct{ method, path, body, what string }{
		{"GET", "/api/Notification/" + id, "", "notification " + id},
		{"GET", "/api/Template/" + tid, "", "template " + tid},
		{"POST", "/api/Notification", `{"template":{"id":"` + tid + `"},"recipients":[{"value":"2222222222222","type":"IDNP"}],"priority":"Low"}`, "template " + tid},
	} {
		o.do("sender-b", c.method, c.path, c.body).problem(t, 403, "")
		want := "sender " + b + ", by its certificate, asked for " + c.what + ", which sender " + a + " owns"
		if n := o.last().Auth.Note; n != want {
			t.Errorf("%s %s: note %q, want %q", c.method, c.path, n, want)
		}
	}
}
