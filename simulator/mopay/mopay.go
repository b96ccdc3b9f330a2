package mopay

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"herald/fixtures"
	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/specs"
)

// Config is what the Mopay simulator is built from.
type Config struct {
	Clock  clock.Clock
	Random *entropy.Source
	// Seed is the initial state; nil loads fixtures/mopay/seed.json.
	Seed   *fixtures.MopaySeed
	Faults *engine.Faults
	Logger *slog.Logger
	// SkipResponseValidation turns off the check of answers against the spec.
	SkipResponseValidation bool
	// RateLimit is the number of signed requests a key may make per minute:
	// 0 means the documented 100, a negative number means no limit (for
	// load tests through the simulator).
	RateLimit int
	// CheckCache is passed to the engine: distinct valid answers remembered
	// by the response check (0 default, negative off).
	CheckCache int
}

// Sim is the Mopay simulator.
type Sim struct {
	clock  clock.Clock
	random *entropy.Source
	seed   *fixtures.MopaySeed
	limit  int
	errors *catalogue
	engine *engine.Engine
	mu     sync.Mutex // guards st, and what it holds
	st     *state
}

// New builds the simulator from specs/mopay.yaml.
func New(cfg Config) (*Sim, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Random == nil {
		cfg.Random = entropy.New(entropy.RandomSeed())
	}
	if cfg.Seed == nil {
		seed, err := fixtures.LoadMopaySeed()
		if err != nil {
			return nil, err
		}
		cfg.Seed = seed
	}
	doc, err := specs.Load(specs.Mopay)
	if err != nil {
		return nil, err
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = RateLimit
	}
	s := &Sim{clock: cfg.Clock, random: cfg.Random, seed: cfg.Seed, limit: cfg.RateLimit}
	if s.errors, err = newCatalogue(doc); err != nil {
		return nil, err
	}
	if err := s.errors.checkFields(doc); err != nil {
		return nil, err
	}
	if s.st, err = s.newState(cfg.Seed); err != nil {
		return nil, err
	}
	s.engine, err = engine.New(engine.Config{
		Name:                   "mopay",
		Doc:                    doc,
		Handlers:               s.handlers(),
		Authenticate:           s.authenticate,
		Render:                 s.render,
		ErrorSchema:            "ErrorEnvelope",
		Rewrite:                rewriteReq,
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

// Handler serves Mopay's actions at "/<action>" and "/?req=<action>"; mount
// it with its prefix stripped.
func (s *Sim) Handler() http.Handler { return s.engine }

// Engine returns the validating engine, for its checker.
func (s *Sim) Engine() *engine.Engine { return s.engine }

// Reset puts the state back to the seed.
func (s *Sim) Reset() error {
	st, err := s.newState(s.seed)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = st
	return nil
}

// VerificationCode is the last code sent to an address, as the control API
// shows it instead of mailing it.
type VerificationCode struct {
	Email   string    `json:"email"`
	Code    string    `json:"code"`
	Expires time.Time `json:"expiresAt"`
}

// LastVerificationCode returns the code last sent to an address and not yet
// used, perhaps expired.
func (s *Sim) LastVerificationCode(email string) (VerificationCode, bool) {
	email = strings.ToLower(email)
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.st.codes[email]
	if v == nil {
		return VerificationCode{}, false
	}
	return VerificationCode{Email: email, Code: v.code, Expires: v.expires.UTC()}, true
}

// rewriteReq maps the documented base form "/?req=<action>&…" to "/<action>?…".
// It also drops the path's original escaping, so that "/user%5Fnotice%5Ffetch"
// is the action it decodes to.
func rewriteReq(r *http.Request) {
	r.URL.RawPath = ""
	if r.URL.Path != "/" && r.URL.Path != "" {
		return
	}
	// Take the first req pair out of the raw query and leave every other
	// pair as it came, so that both forms see the same bytes.
	var rest []string
	action, found := "", false
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		if key, err := url.QueryUnescape(rawKey); err == nil && key == "req" && !found {
			found = true
			action, _ = url.QueryUnescape(rawValue)
			continue
		}
		rest = append(rest, pair)
	}
	if action == "" {
		return
	}
	r.URL.Path, r.URL.RawPath, r.URL.RawQuery = "/"+action, "", strings.Join(rest, "&")
}
