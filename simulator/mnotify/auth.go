package mnotify

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"herald/fixtures"
	"herald/simulator/engine"
	wire "herald/specs/wire/mnotify"
)

// Sender is a sender information system registered in MPass.
type Sender struct {
	ID   string `json:"senderId"`
	Name string `json:"name"`
	IDNO string `json:"idno,omitempty"`
}

// Registration maps a certificate serial number to a sender.
type Registration struct {
	// Serial is the certificate's serial number in lowercase hex, without
	// leading zeros.
	Serial  string `json:"serial"`
	Sender  Sender `json:"sender"`
	Revoked bool   `json:"revoked"`
	// revokedAt is when Revoke revoked it, on the simulator clock; zero for
	// a registration the seed has revoked.
	revokedAt time.Time
	// about names the sender for the journal, made once: every request
	// that authenticates shows it.
	about string
}

func newRegistration(serial string, sender Sender, revoked bool) *Registration {
	return &Registration{Serial: serial, Sender: sender, Revoked: revoked, about: senderName(sender)}
}

// Registry is the simulated MPass registry of client certificates. It is
// safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	entries map[string]*Registration
}

// NewRegistry builds a registry from seed entries.
func NewRegistry(seed []fixtures.MPassEntry) (*Registry, error) {
	r := &Registry{}
	if err := r.load(seed); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Registry) load(seed []fixtures.MPassEntry) error {
	entries := map[string]*Registration{}
	for _, e := range seed {
		serial, err := wire.NormalizeSerial(e.Serial)
		if err != nil {
			return fmt.Errorf("mnotify registry seed: %w", err)
		}
		entries[serial] = newRegistration(serial, Sender{ID: e.SenderID, Name: e.Name, IDNO: e.IDNO}, e.Revoked)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = entries
	return nil
}

// Register maps a serial number (hex) to a sender, replacing and
// un-revoking any earlier registration, and returns the registration.
func (r *Registry) Register(serial string, sender Sender) (Registration, error) {
	key, err := wire.NormalizeSerial(serial)
	if err != nil {
		return Registration{}, err
	}
	reg := newRegistration(key, sender, false)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries[key] = reg
	return *reg, nil
}

// Revoke marks a registration revoked at the time given (the simulator
// clock's now, for the journal) and returns it; ok is false when the serial
// number has none. Revoking it again keeps the first time.
func (r *Registry) Revoke(serial string, at time.Time) (reg Registration, ok bool, err error) {
	key, err := wire.NormalizeSerial(serial)
	if err != nil {
		return Registration{}, false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entries[key]
	if e == nil {
		return Registration{}, false, nil
	}
	if !e.Revoked {
		e.Revoked, e.revokedAt = true, at
	}
	return *e, true, nil
}

// Remove takes a registration out, as if it had never been made, and
// returns it; ok is false when the serial number has none.
func (r *Registry) Remove(serial string) (reg Registration, ok bool, err error) {
	key, err := wire.NormalizeSerial(serial)
	if err != nil {
		return Registration{}, false, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.entries[key]
	if e == nil {
		return Registration{}, false, nil
	}
	delete(r.entries, key)
	return *e, true, nil
}

// Get finds the registration of a serial number written in hex.
func (r *Registry) Get(serial string) (reg Registration, ok bool, err error) {
	key, err := wire.NormalizeSerial(serial)
	if err != nil {
		return Registration{}, false, err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	e := r.entries[key]
	if e == nil {
		return Registration{}, false, nil
	}
	return *e, true, nil
}

// Lookup finds the registration of a certificate serial number.
func (r *Registry) Lookup(serial *big.Int) (Registration, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e := r.entries[wire.SerialText(serial)]
	if e == nil {
		return Registration{}, false
	}
	return *e, true
}

// Entries lists the registrations by serial number.
func (r *Registry) Entries() []Registration {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Registration, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Serial < out[j].Serial })
	return out
}

// Authenticate establishes the sender from the request's client
// certificate and sets ex.Principal to its Sender. The listener only asks
// for the certificate (tls.RequestClientCert); this is where it is
// verified, so that every refusal is a ProblemDetails answer:
//   - 401: no certificate; one that does not chain to the trusted CA; one
//     outside its validity period on the simulator clock;
//   - 403: a valid certificate whose serial number MPass does not know, or
//     whose registration is revoked.
//
// Every outcome is explained for the journal (Exchange.Explain), by the
// certificate's serial number and subject, never its key.
func (s *Sim) Authenticate(ex *engine.Exchange) error {
	r := ex.Request
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		if r.TLS == nil {
			ex.Explain("no client certificate presented (the request did not come over TLS)")
		} else {
			ex.Explain("no client certificate presented")
		}
		return failf(http.StatusUnauthorized, "a client certificate is required")
	}
	certs := r.TLS.PeerCertificates
	leaf := certs[0]
	now := s.clock.Now()
	if err := s.chains.Verify(s.roots, certs, now, x509.ExtKeyUsageClientAuth); err != nil {
		ex.Explain("%s, issued by %s, does not chain to the trusted certificate authority: %v", certName(leaf), quoted(leaf.Issuer.String()), err)
		return failf(http.StatusUnauthorized, "the client certificate is not issued by the trusted certificate authority")
	}
	if now.After(leaf.NotAfter) {
		ex.Explain("%s expired on %s; the simulator clock is at %s", certName(leaf), noteTime(leaf.NotAfter), noteTime(now))
		return failf(http.StatusUnauthorized, "the client certificate expired on %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		ex.Explain("%s is not valid before %s; the simulator clock is at %s", certName(leaf), noteTime(leaf.NotBefore), noteTime(now))
		return failf(http.StatusUnauthorized, "the client certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	reg, ok := s.registry.Lookup(leaf.SerialNumber)
	if !ok {
		ex.Explain("%s is not registered with MPass (register it through the control API)", certName(leaf))
		return failf(http.StatusForbidden, "the client certificate's serial number is not registered in MPass")
	}
	if reg.Revoked {
		since := "by the seed"
		if !reg.revokedAt.IsZero() {
			since = "since " + noteTime(reg.revokedAt)
		}
		ex.Explain("%s is revoked in MPass %s (registered to sender %s)", certName(leaf), since, reg.about)
		return failf(http.StatusForbidden, "the client certificate's MPass registration is revoked")
	}
	// Every request pays for this note: one format, of what is at hand.
	ex.Explain("certificate serial %s (CN %q) is registered with MPass to sender %s", reg.Serial, leaf.Subject.CommonName, reg.about)
	sender := reg.Sender
	ex.Principal = &sender
	return nil
}

// certName names a certificate for the journal: its serial number, as
// MPass keys it, and its subject's common name.
func certName(c *x509.Certificate) string {
	name := "certificate serial " + wire.SerialText(c.SerialNumber)
	if cn := c.Subject.CommonName; cn != "" {
		name += " (CN " + quoted(cn) + ")"
	}
	return name
}

// senderName names a sender for the journal.
func senderName(snd Sender) string {
	return quoted(snd.Name) + " (" + snd.ID + ")"
}

// quoted is a certificate's or registry's text fit for a note: quoted with
// what does not print escaped, and clipped.
func quoted(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.QuoteToGraphic(s)
}

// noteTime is a time for the journal, to the second.
func noteTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// sender is the authenticated sender of an exchange.
func sender(ex *engine.Exchange) (*Sender, error) {
	snd, _ := ex.Principal.(*Sender)
	if snd == nil {
		return nil, failf(http.StatusUnauthorized, "a client certificate is required")
	}
	return snd, nil
}

// ServerTLSConfig is the TLS configuration of an MNotify listener: the
// server certificate from fixtures, and a request for the client
// certificate that does not verify it (tls.RequestClientCert). With
// tls.VerifyClientCertIfGiven and ClientCAs, Go would end the handshake on a
// certificate from another CA or an expired one, and the client would see a
// TLS alert instead of the documented 401/403; Authenticate verifies
// instead. The client still proves it holds the certificate's key.
func ServerTLSConfig() (*tls.Config, error) {
	certPEM, keyPEM, err := fixtures.MNotifyCert("server")
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("mnotify server certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequestClientCert,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// TestCA returns the pool of the fixtures' test CA, the one MNotify trusts.
func TestCA() (*x509.CertPool, error) {
	certPEM, _, err := fixtures.MNotifyCert("ca")
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(certPEM) {
		return nil, fmt.Errorf("mnotify: the test CA certificate does not parse")
	}
	return pool, nil
}
