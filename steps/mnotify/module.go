package mnotify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/cucumber/godog"

	"herald/features"
	"herald/fixtures"
	"herald/fixtures/mnotify/clientmodel"
	"herald/specs"
	wire "herald/specs/wire/mnotify"
	"herald/steps"
)

// System is MNotify's name, as in its spec.
const System = "mnotify"

// Sender roles: whose certificate a request is made with, as the contract
// names them (specs/wire/mnotify). RoleSenderA is the one every scenario
// needs; a scenario that needs another role's certificate carries the tag
// @cert-<role>, and is left out of a run whose target has no certificate
// for it. RoleNone presents no client certificate: every target has it.
const (
	RoleSenderA      = wire.RoleSenderA
	RoleSenderB      = wire.RoleSenderB
	RoleUnregistered = wire.RoleUnregistered
	RoleExpired      = wire.RoleExpired
	RoleRevoked      = wire.RoleRevoked
	RoleForeign      = wire.RoleForeign
	RoleNone         = wire.RoleNone
)

// CertRoles returns the roles that present a certificate.
func CertRoles() []string { return wire.CertRoles() }

// KnownRole reports whether role is one of CertRoles.
func KnownRole(role string) bool { return wire.KnownRole(role) }

// ParamCertificate + role is the steps.SystemTarget.Params key of the role's
// certificate in PEM, which the @simulator steps hand to Herald's MPass
// registry.
const ParamCertificate = "certificate."

// TagCert + role marks scenarios that need the role's certificate.
const TagCert = "@cert-"

// Identity is a role's client certificate and private key, in PEM.
type Identity struct {
	CertPEM, KeyPEM []byte
}

// Target is how to reach an MNotify at baseURL: one client per role given
// in ids, and RoleNone. caPEM holds the authorities that issue the server's
// certificate; nil trusts the system's.
func Target(baseURL string, caPEM []byte, ids map[string]Identity) (*steps.SystemTarget, error) {
	return target(baseURL, caPEM, ids, "")
}

// target is Target; serverName, when set, is the name the server's
// certificate must carry, whatever host the base URL names.
func target(baseURL string, caPEM []byte, ids map[string]Identity, serverName string) (*steps.SystemTarget, error) {
	var roots *x509.CertPool
	if caPEM != nil {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("MNotify CA: no PEM certificate in it")
		}
	}
	t := &steps.SystemTarget{BaseURL: baseURL, Clients: map[string]*http.Client{}, Params: map[string]string{}}
	t.Clients[RoleNone] = newClient(roots, serverName, nil)
	for role, id := range ids {
		if !KnownRole(role) {
			return nil, fmt.Errorf("MNotify role %q: want one of %v", role, CertRoles())
		}
		pair, err := tls.X509KeyPair(id.CertPEM, id.KeyPEM)
		if err != nil {
			return nil, fmt.Errorf("MNotify role %s: certificate and key: %w", role, err)
		}
		t.Clients[role] = newClient(roots, serverName, &pair)
		t.Params[ParamCertificate+role] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pair.Certificate[0]}))
	}
	return t, nil
}

// newClient is a client with its own connections, so that each role's
// certificate stays on its own TLS sessions.
func newClient(roots *x509.CertPool, serverName string, cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: roots, ServerName: serverName, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}}
}

type module struct {
	checker *specs.Checker
	routes  []route
	// models are the official .NET client's, which every success answer of
	// a call it makes must read as.
	models *clientmodel.Models
}

// Module returns MNotify's part of the suite.
func Module() (steps.Module, error) {
	doc, err := specs.Load(specs.Mnotify)
	if err != nil {
		return nil, err
	}
	c := specs.NewChecker(specs.Mnotify, doc)
	models, err := clientmodel.Load()
	if err != nil {
		return nil, err
	}
	return &module{checker: c, routes: routesOf(c), models: models}, nil
}

func (m *module) System() string          { return System }
func (m *module) Checker() *specs.Checker { return m.checker }

func (m *module) Features() fs.FS {
	sub, err := fs.Sub(features.FS(), System)
	if err != nil { // embedded: only a broken build gets here
		panic(err)
	}
	return sub
}

// ForHerald reaches the simulator with the certificates of fixtures/mnotify,
// trusting the fixtures' test CA alone, and expecting its server certificate
// (issued to localhost) whatever host the base URL names: a Herald in a
// container, say.
func (m *module) ForHerald(baseURL string) *steps.SystemTarget {
	caPEM, _, err := fixtures.MNotifyCert("ca")
	if err != nil { // embedded: only a broken build gets here
		panic(err)
	}
	ids := map[string]Identity{}
	for _, role := range CertRoles() {
		certPEM, keyPEM, err := fixtures.MNotifyCert(role)
		if err != nil {
			panic(err)
		}
		ids[role] = Identity{CertPEM: certPEM, KeyPEM: keyPEM}
	}
	t, err := target(baseURL, caPEM, ids, "localhost")
	if err != nil {
		panic(err)
	}
	return t
}

// Exclusions leaves out the scenarios that need a role's certificate the
// target lacks.
func (m *module) Exclusions(t steps.Target) []steps.Exclusion {
	st := t.Systems[System]
	var out []steps.Exclusion
	for _, role := range CertRoles() {
		if role == RoleSenderA || (st != nil && st.Clients[role] != nil) {
			continue
		}
		out = append(out, steps.Exclusion{Tag: TagCert + role,
			Why:  fmt.Sprintf("the target has no MNotify certificate for the role %s (--mnotify-cert %s=CERT,KEY)", role, role),
			Need: "an MNotify " + role + " certificate"})
	}
	return out
}

func (m *module) Init(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		s := steps.ScenarioOf(ctx)
		w := &world{sc: s, m: m, st: s.Target.Systems[System], ids: map[string]string{}, found: map[string][]string{},
			unique: randomToken(8), idnp: "29" + randomDigits(11)}
		return context.WithValue(ctx, worldKey{}, w), nil
	})
	register(sc)
	registerReading(sc)
}

// Params lists the parameters the module reads from its target section.
func (m *module) Params() []string { return []string{ParamCertificate} }
