package mnotify

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/fixtures"
	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/system"
	"herald/specs"
	wire "herald/specs/wire/mnotify"
)

// MaxBodyBytes is the largest request body: room for the documented 15 MB
// body, or 10 MB of body and 10 MB of attachments in base64 (Herald design).
const MaxBodyBytes = 32 << 20

// DefaultAddr is where MNotify's own HTTPS listener is bound unless herald
// serve is told otherwise (--listen mnotify=ADDRESS); 8443 is the vendor's
// port.
const DefaultAddr = "127.0.0.1:8443"

// Config is what the MNotify simulator is built from.
type Config struct {
	Clock  clock.Clock
	Random *entropy.Source
	// Seed is the initial state; nil loads fixtures/mnotify/seed.json.
	Seed *fixtures.MNotifySeed
	// Doc is the spec; nil loads specs/mnotify.yaml.
	Doc *openapi3.T
	// Engine carries the settings the core decides for every system (name,
	// faults, logger, observer, the reset gate); a zero value is a
	// standalone simulator.
	Engine system.EngineDefaults
	// ClientCAs are the authorities client certificates must chain to; nil
	// is the fixtures' test CA.
	ClientCAs *x509.CertPool
	// CheckCache is passed to the engine (0 default, negative off).
	CheckCache int
	// serverTLS and canon, when set, are what a Herald built once for every
	// world.
	serverTLS *tls.Config
	canon     *canon
}

// sharedParts are what every world of a Herald reads and none changes.
type sharedParts struct {
	seed      *fixtures.MNotifySeed
	roots     *x509.CertPool
	serverTLS *tls.Config
	canon     *canon
}

// prepare reads, once per Herald, what every world shares.
func prepare(doc *openapi3.T) (*sharedParts, error) {
	p := &sharedParts{canon: newCanon(doc)}
	var err error
	if p.seed, err = fixtures.LoadMNotifySeed(); err != nil {
		return nil, err
	}
	if p.roots, err = TestCA(); err != nil {
		return nil, err
	}
	if p.serverTLS, err = ServerTLSConfig(); err != nil {
		return nil, err
	}
	return p, nil
}

// Sim is the MNotify simulator.
type Sim struct {
	clock    clock.Clock
	random   *entropy.Source
	seed     *fixtures.MNotifySeed
	roots    *x509.CertPool
	tls      *tls.Config
	chains   *wire.ChainCache
	registry *Registry
	canon    *canon
	engine   *engine.Engine
	mu       sync.Mutex // guards st and what it holds
	st       *state
}

// Definition registers MNotify with Herald's core. It has no settings; it
// is served on a listener of its own, over TLS (system.Listener), and has
// control routes for the MPass registry (system.Controller).
func Definition() system.Definition {
	return system.Definition{
		Spec: system.Embedded(specs.Mnotify),
		New: func(env system.Env) (system.System, error) {
			shared, err := system.Share(env, "parts", func() (*sharedParts, error) { return prepare(env.Doc) })
			if err != nil {
				return nil, err
			}
			return New(Config{Clock: env.Clock, Random: env.Random, Doc: env.Doc, Engine: env.Engine,
				Seed: shared.seed, ClientCAs: shared.roots, serverTLS: shared.serverTLS, canon: shared.canon})
		},
	}
}

// New builds the simulator from specs/mnotify.yaml.
func New(cfg Config) (*Sim, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Random == nil {
		cfg.Random = entropy.New(entropy.RandomSeed())
	}
	if cfg.Seed == nil {
		seed, err := fixtures.LoadMNotifySeed()
		if err != nil {
			return nil, err
		}
		cfg.Seed = seed
	}
	if cfg.ClientCAs == nil {
		pool, err := TestCA()
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
	}
	doc, err := cfg.Engine.Standalone(cfg.Doc, specs.Mnotify)
	if err != nil {
		return nil, err
	}
	registry, err := NewRegistry(cfg.Seed.Registry)
	if err != nil {
		return nil, err
	}
	serverTLS := cfg.serverTLS
	if serverTLS == nil {
		if serverTLS, err = ServerTLSConfig(); err != nil {
			return nil, err
		}
	}
	canon := cfg.canon
	if canon == nil {
		canon = newCanon(doc)
	}
	s := &Sim{clock: cfg.Clock, random: cfg.Random, seed: cfg.Seed, roots: cfg.ClientCAs, tls: serverTLS,
		chains: wire.NewChainCache(), registry: registry, canon: canon}
	s.st = newState(cfg.Seed, s.clock.Now(), s.newID)
	// The spec declares no security scheme (OpenAPI 3.0.3 has none for
	// mutual TLS): the engine authenticates every request itself, before
	// anything else about it (size, path, method, parameters, body), so
	// that a request without a certificate is a 401 whatever else is wrong
	// with it.
	s.engine, err = engine.New(cfg.Engine.Apply(engine.Config{
		Doc:               doc,
		Handlers:          s.handlers(),
		Authenticate:      s.Authenticate,
		AuthenticateAll:   true,
		AuthenticateFirst: true,
		Render:            s.render,
		ErrorSchema:       "ProblemDetails",
		Rewrite:           s.canon.rewrite,
		MaxBodyBytes:      MaxBodyBytes,
		CheckCache:        cfg.CheckCache,
	}))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Handler serves MNotify's paths at /api/…, behind a TLS listener that asks
// for client certificates (see Listener).
func (s *Sim) Handler() http.Handler { return s.engine }

// NotFound answers a request the core turns away on MNotify's listener (a
// world that does not exist) with a 404 ProblemDetails, after the client
// certificate (system.NotFounder).
func (s *Sim) NotFound(reason string) http.Handler {
	return s.engine.Refusing(&engine.Problem{Kind: engine.NotFound, Reason: reason})
}

// Checker returns the checker of specs/mnotify.yaml.
func (s *Sim) Checker() *specs.Checker { return s.engine.Checker() }

// Listener is MNotify's own HTTPS listener: the fixtures' server
// certificate, and a request for the client's (see ServerTLSConfig).
func (s *Sim) Listener() system.ListenerConfig {
	return system.ListenerConfig{TLS: s.tls, DefaultAddr: DefaultAddr}
}

// Registry is the simulated MPass registry.
func (s *Sim) Registry() *Registry { return s.registry }

// Reset puts the state and the MPass registry back to the seed.
func (s *Sim) Reset() error {
	if err := s.registry.load(s.seed.Registry); err != nil {
		return err
	}
	st := newState(s.seed, s.clock.Now(), s.newID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = st
	return nil
}

// newID is a random (version 4) UUID from the simulator's random source.
func (s *Sim) newID() string {
	var b [16]byte
	_, _ = s.random.Read(b[:])
	return formatUUID(b)
}

// formatUUID writes 16 bytes as a version 4 UUID.
func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, v := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[v>>4], hex[v&15])
	}
	return string(out)
}
