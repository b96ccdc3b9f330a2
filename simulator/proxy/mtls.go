package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"herald/fixtures"
	"herald/simulator/engine"
	"herald/simulator/system"
	wire "herald/specs/wire/mnotify"
)

// MutualTLS is how the proxy stands in front of a system whose credential
// is the client's certificate (MNotify): it terminates the client's mutual
// TLS on a listener of its own, maps the client's certificate to a role,
// and re-originates the request to the upstream with that role's
// certificate and key. A request whose certificate maps to no role, or
// that comes with none, is never forwarded: the proxy refuses it in the
// system's own format (401 without a certificate, 403 with one it does not
// map), and journals why.
type MutualTLS struct {
	// Roles says which client certificates the proxy lets in, and as which
	// role each is forwarded.
	Roles ClientRoles
	// Clients send each role's requests upstream, presenting that role's
	// certificate (steps.Target.ClientFor, from the target file). A
	// certificate that maps to a role without a client is refused.
	Clients map[string]*http.Client
	// DefaultAddr is where the listener is bound unless told otherwise;
	// "" is the system's own listener's.
	DefaultAddr string
}

// ClientRoles maps client certificates to roles.
type ClientRoles struct {
	// Certificates maps exact certificates (DER) to roles: each is let in
	// as itself, whoever issued it. The fixtures' default is of this kind,
	// since two of its certificates from two CAs share a serial number.
	Certificates map[string]string
	// Serials maps a certificate's serial number, in lowercase hex without
	// leading zeros (as MPass names it), to a role. Such a certificate must
	// chain to CAs, unless AnyClient.
	Serials map[string]string
	// CAs are the authorities a certificate mapped by serial number must
	// chain to. The chain is checked as of a time within the certificate's
	// validity: whether it has expired is the upstream's to say.
	CAs *x509.CertPool
	// AnyClient lets in a certificate from any issuer (a test mode); it
	// must still map to a role.
	AnyClient bool
}

// Pin maps one exact certificate, PEM, to a role.
func (c *ClientRoles) Pin(certPEM []byte, role string) error {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return fmt.Errorf("role %s: not a PEM certificate", role)
	}
	if c.Certificates == nil {
		c.Certificates = map[string]string{}
	}
	c.Certificates[string(block.Bytes)] = role
	return nil
}

// FixtureRoles are the proxy's default roles: the fixtures' MNotify client
// certificates (those the suite presents to a Herald), each mapped to the
// role of its name ("sender-a", "foreign"…).
func FixtureRoles() (ClientRoles, error) {
	var roles ClientRoles
	for _, role := range wire.CertRoles() {
		certPEM, _, err := fixtures.MNotifyCert(role)
		if err != nil {
			return ClientRoles{}, err
		}
		if err := roles.Pin(certPEM, role); err != nil {
			return ClientRoles{}, err
		}
	}
	return roles, nil
}

// Listener is a listener of the proxy besides its main one: a system
// served on a listener of its own, over TLS.
type Listener struct {
	// Name is the system's ("mnotify").
	Name        string
	DefaultAddr string
	TLS         *tls.Config
	Handler     http.Handler
}

// Listeners are the proxy's listeners besides its main one: each system
// served on a listener of its own.
func (p *Proxy) Listeners() []Listener { return append([]Listener(nil), p.own...) }

// role is, in an exchange's Principal, the role its client certificate
// maps to.
type role string

// gate lets in the requests of a mutual-TLS system whose certificate maps
// to a role, and picks the client that re-originates them.
type gate struct {
	name    string
	roles   ClientRoles
	clients map[string]*http.Client
	chains  *wire.ChainCache
}

func newGate(name string, m *MutualTLS) (*gate, error) {
	r := m.Roles
	if len(r.Certificates) == 0 && len(r.Serials) == 0 {
		return nil, fmt.Errorf("%s: no client certificate maps to a role: the proxy would forward nothing", name)
	}
	if len(r.Serials) > 0 && r.CAs == nil && !r.AnyClient {
		return nil, fmt.Errorf("%s: roles by serial number need the CAs their certificates chain to, or AnyClient", name)
	}
	serials := map[string]string{}
	for s, role := range r.Serials {
		key, err := wire.NormalizeSerial(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		serials[key] = role
	}
	r.Serials = serials
	return &gate{name: name, roles: r, clients: m.Clients, chains: wire.NewChainCache()}, nil
}

// ownListener is the proxy's listener of a system: the TLS configuration
// of the system's own listener (its server certificate: the fixtures' for
// MNotify), asking for the client's certificate without verifying it, so
// that every refusal is an answer in the system's format rather than a TLS
// alert.
func ownListener(name string, own system.ListenerConfig, m *MutualTLS, h http.Handler) (Listener, error) {
	if own.TLS == nil {
		return Listener{}, fmt.Errorf("%s: its own listener has no TLS configuration", name)
	}
	cfg := own.TLS.Clone()
	cfg.ClientAuth = tls.RequestClientCert
	addr := m.DefaultAddr
	if addr == "" {
		addr = own.DefaultAddr
	}
	return Listener{Name: name, DefaultAddr: addr, TLS: cfg, Handler: h}, nil
}

// refuse is the proxy's refusal of a caller, in the system's format.
func refuse(status int, format string, args ...any) error {
	return &engine.Problem{Kind: engine.Credentials, Status: status, Reason: fmt.Sprintf(format, args...)}
}

// authenticate maps the request's client certificate to a role
// (ex.Principal), or refuses it; every outcome is explained for the
// journal by the certificate's serial number and subject, never its key.
func (g *gate) authenticate(ex *engine.Exchange) error {
	r := ex.Request
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		ex.Explain("no client certificate presented: the proxy forwards no request without one")
		return refuse(http.StatusUnauthorized, "a client certificate is required: herald proxy forwards a request only with a certificate it maps to a role")
	}
	certs := r.TLS.PeerCertificates
	leaf := certs[0]
	serial := wire.SerialText(leaf.SerialNumber)
	name := certName(leaf)
	rl, pinned := g.roles.Certificates[string(leaf.Raw)]
	if !pinned {
		var ok bool
		if rl, ok = g.roles.Serials[serial]; !ok {
			ex.Explain("%s maps to no role of the proxy (map it with --mnotify-role %s=ROLE)", name, serial)
			return refuse(http.StatusForbidden, "the client certificate with serial %s maps to no role of herald proxy; the request was not forwarded", serial)
		}
		if !g.roles.AnyClient {
			if err := g.verify(certs); err != nil {
				ex.Explain("%s, issued by %s, does not chain to a certificate authority the proxy trusts, so it maps to no role: %v", name, quoted(leaf.Issuer.String()), err)
				return refuse(http.StatusForbidden, "the client certificate with serial %s is not issued by a certificate authority herald proxy trusts, so it maps to no role; the request was not forwarded", serial)
			}
		}
	}
	if g.clients[rl] == nil {
		ex.Explain("%s maps to role %s, which has no certificate and key to forward with (the target file's systems.%s.clients.%s)", name, rl, g.name, rl)
		return refuse(http.StatusForbidden, "the client certificate with serial %s maps to role %s, which herald proxy has no certificate for; the request was not forwarded", serial, rl)
	}
	ex.Explain("%s maps to role %s: forwarded with that role's certificate", name, rl)
	ex.Principal = role(rl)
	return nil
}

// client is the client of the role authenticate found; nil when none.
func (g *gate) client(ex *engine.Exchange) *http.Client {
	rl, ok := ex.Principal.(role)
	if !ok {
		return nil
	}
	return g.clients[string(rl)]
}

// verify checks that a chain leads to the trusted CAs, whatever its dates
// (whether it has expired is the upstream's to say).
func (g *gate) verify(certs []*x509.Certificate) error {
	if g.roles.CAs == nil {
		return errors.New("the proxy trusts no certificate authority")
	}
	return g.chains.Verify(g.roles.CAs, certs, time.Now(), x509.ExtKeyUsageAny)
}

// Mapped lists the roles a proxy's certificates map to, sorted: for its
// banner.
func (r ClientRoles) Mapped() []string {
	seen := map[string]bool{}
	for _, role := range r.Certificates {
		seen[role] = true
	}
	for _, role := range r.Serials {
		seen[role] = true
	}
	out := make([]string, 0, len(seen))
	for role := range seen {
		out = append(out, role)
	}
	sort.Strings(out)
	return out
}

// certName names a certificate for the journal: its serial number and its
// subject's common name.
func certName(c *x509.Certificate) string {
	name := "certificate serial " + wire.SerialText(c.SerialNumber)
	if cn := c.Subject.CommonName; cn != "" {
		name += " (CN " + quoted(cn) + ")"
	}
	return name
}

// quoted is a certificate's text fit for a note: quoted, with what does
// not print escaped, and clipped.
func quoted(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.QuoteToGraphic(s)
}
