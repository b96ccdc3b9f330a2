package mnotify

import (
	"crypto/x509"
	"log/slog"
	"net/http"
	"sync"

	"herald/fixtures"
	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/specs"
)

// MaxBodyBytes is the largest request body: room for the documented 15 MB
// body, or 10 MB of body and 10 MB of attachments in base64 (Herald design).
const MaxBodyBytes = 32 << 20

// Config is what the MNotify simulator is built from.
type Config struct {
	Clock  clock.Clock
	Random *entropy.Source
	// Seed is the initial state; nil loads fixtures/mnotify/seed.json.
	Seed   *fixtures.MNotifySeed
	Faults *engine.Faults
	Logger *slog.Logger
	// SkipResponseValidation turns off the check of answers against the spec.
	SkipResponseValidation bool
	// ClientCAs are the authorities client certificates must chain to; nil
	// is the fixtures' test CA.
	ClientCAs *x509.CertPool
	// CheckCache is passed to the engine (0 default, negative off).
	CheckCache int
}

// Sim is the MNotify simulator.
type Sim struct {
	clock    clock.Clock
	random   *entropy.Source
	seed     *fixtures.MNotifySeed
	roots    *x509.CertPool
	chains   *chainCache
	registry *Registry
	canon    *canon
	engine   *engine.Engine
	mu       sync.Mutex // guards st and what it holds
	st       *state
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
	doc, err := specs.Load(specs.Mnotify)
	if err != nil {
		return nil, err
	}
	registry, err := NewRegistry(cfg.Seed.Registry)
	if err != nil {
		return nil, err
	}
	s := &Sim{clock: cfg.Clock, random: cfg.Random, seed: cfg.Seed, roots: cfg.ClientCAs,
		chains: &chainCache{seen: map[[32]byte]error{}}, registry: registry, canon: newCanon(doc)}
	s.st = newState(cfg.Seed, s.clock.Now(), s.newID)
	// Until the engine can authenticate every operation itself (the spec
	// declares no security scheme, as OpenAPI 3.0.3 has none for mutual
	// TLS), each handler authenticates first: see WithAuthentication.
	handlers := map[string]engine.Handler{}
	for id, h := range s.Handlers() {
		handlers[id] = s.WithAuthentication(h)
	}
	s.engine, err = engine.New(engine.Config{
		Name:                   specs.Mnotify,
		Doc:                    doc,
		Handlers:               handlers,
		Render:                 s.render,
		ErrorSchema:            "ProblemDetails",
		Rewrite:                s.canon.rewrite,
		MaxBodyBytes:           MaxBodyBytes,
		Faults:                 cfg.Faults,
		Logger:                 cfg.Logger,
		SkipResponseValidation: cfg.SkipResponseValidation,
		CheckCache:             cfg.CheckCache,
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Handler serves MNotify's paths at /api/…; mount it with its prefix
// stripped, behind a TLS listener that asks for client certificates (see
// ServerTLSConfig).
func (s *Sim) Handler() http.Handler { return s.engine }

// Checker returns the checker of specs/mnotify.yaml.
func (s *Sim) Checker() *specs.Checker { return s.engine.Checker() }

// Registry is the simulated MPass registry, for the control API.
func (s *Sim) Registry() *Registry { return s.registry }

// Rewrite respells a request's path and query parameter names as the spec
// does (ASP.NET's case-insensitive routing); New passes it to the engine.
func (s *Sim) Rewrite(r *http.Request) error { return s.canon.rewrite(r) }

// WithAuthentication wraps an operation's handler: Authenticate first, then
// the check for repeated query parameters, then the handler. It stands in
// for an engine hook that authenticates every operation; the engine today
// validates parameters and body before the handler runs, so a request that
// is both unauthenticated and malformed is answered 400, not 401.
func (s *Sim) WithAuthentication(h engine.Handler) engine.Handler {
	return func(ex *engine.Exchange) (engine.Reply, error) {
		if err := s.Authenticate(ex); err != nil {
			return engine.Reply{}, err
		}
		if err := repeated(ex); err != nil {
			return engine.Reply{}, err
		}
		return h(ex)
	}
}

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
