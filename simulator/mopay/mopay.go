package mopay

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"herald/fixtures"

	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/system"
	"herald/specs"
)

// Config is what the Mopay simulator is built from.
type Config struct {
	Clock  clock.Clock
	Random *entropy.Source
	// Seed is the initial state; nil loads fixtures/mopay/seed.json.
	Seed *fixtures.MopaySeed
	// Doc is the spec; nil loads specs/mopay.yaml.
	Doc *openapi3.T
	// Engine carries the settings the core decides for every system (name,
	// faults, logger, observer); a zero value is a standalone simulator.
	Engine system.EngineDefaults
	// RateLimit is the number of signed requests a key may make per minute;
	// 0 means no limit (for load tests). The vendor documents 100
	// (RateLimit), the default of the mopay.rate-limit setting.
	RateLimit int
	// CheckCache is passed to the engine: distinct valid answers remembered
	// by the response check (0 default, negative off).
	CheckCache int
	// shared, when set, is what a Herald parsed once for every world.
	shared *sharedParts
}

// sharedParts are what every world of a Herald reads and none changes.
type sharedParts struct {
	records *seedRecords
	errors  *catalogue
}

// prepare parses the seed and reads the error catalogue of doc.
func prepare(seed *fixtures.MopaySeed, doc *openapi3.T) (*sharedParts, error) {
	p := &sharedParts{}
	var err error
	if p.errors, err = newCatalogue(doc); err != nil {
		return nil, err
	}
	if err := p.errors.checkFields(doc); err != nil {
		return nil, err
	}
	if p.records, err = parseSeed(seed); err != nil {
		return nil, err
	}
	return p, nil
}

// Sim is the Mopay simulator.
type Sim struct {
	clock  clock.Clock
	random *entropy.Source
	seed   *seedRecords
	limit  int
	errors *catalogue
	engine *engine.Engine
	mu     sync.Mutex // guards st, and what it holds
	st     *state
}

// Definition registers Mopay with Herald's core.
func Definition() system.Definition {
	return system.Definition{
		Spec: system.Embedded(specs.Mopay),
		Settings: []system.Setting{{Name: "rate-limit", Default: strconv.Itoa(RateLimit),
			Usage: "Mopay `requests` per key per minute before 429; 0 turns the limit off (for load tests)"}},
		New: func(env system.Env) (system.System, error) {
			limit, err := env.Settings.Int("rate-limit")
			if err != nil || limit < 0 {
				return nil, fmt.Errorf("setting rate-limit: want 0 (off) or a positive number of requests, got %q", env.Settings["rate-limit"])
			}
			shared, err := system.Share(env, "parts", func() (*sharedParts, error) {
				seed, err := fixtures.LoadMopaySeed()
				if err != nil {
					return nil, err
				}
				return prepare(seed, env.Doc)
			})
			if err != nil {
				return nil, err
			}
			return New(Config{Clock: env.Clock, Random: env.Random, Doc: env.Doc, Engine: env.Engine, RateLimit: limit,
				Seed: shared.records.seed, shared: shared})
		},
	}
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
	doc, err := cfg.Engine.Standalone(cfg.Doc, specs.Mopay)
	if err != nil {
		return nil, err
	}
	if cfg.RateLimit < 0 {
		return nil, fmt.Errorf("mopay: rate limit %d: want 0 (off) or more", cfg.RateLimit)
	}
	shared := cfg.shared
	if shared == nil {
		if shared, err = prepare(cfg.Seed, doc); err != nil {
			return nil, err
		}
	}
	s := &Sim{clock: cfg.Clock, random: cfg.Random, seed: shared.records, limit: cfg.RateLimit, errors: shared.errors}
	if s.st, err = s.newState(s.seed); err != nil {
		return nil, err
	}
	s.engine, err = engine.New(cfg.Engine.Apply(engine.Config{
		Doc:          doc,
		Handlers:     s.handlers(),
		Authenticate: s.authenticate,
		Render:       s.render,
		ErrorSchema:  "ErrorEnvelope",
		Rewrite:      rewriteReq,
		ActionQuery:  "req",
		CheckCache:   cfg.CheckCache,
	}))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Handler serves Mopay's actions at "/<action>" and "/?req=<action>"; mount
// it with its prefix stripped.
func (s *Sim) Handler() http.Handler { return s.engine }

// Checker checks answers against Mopay's spec.
func (s *Sim) Checker() *specs.Checker { return s.engine.Checker() }

// Control is Mopay's control routes (specs/mopay-control.yaml): the last
// verification code it would have mailed.
func (s *Sim) Control() system.Control {
	return system.Control{Spec: specs.MopayControl, Handlers: map[string]engine.Handler{
		"getMopayVerificationCode": func(ex *engine.Exchange) (engine.Reply, error) {
			email := ex.PathParams["email"]
			c, ok := s.LastVerificationCode(email)
			if !ok {
				return engine.Reply{}, system.NotFound("no verification code is pending for %s", email)
			}
			return engine.JSON(http.StatusOK, map[string]string{"email": c.Email, "code": c.Code, "expiresAt": c.Expires.Format(time.RFC3339)})
		},
	}}
}

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
// is the action it decodes to. A request that names its action twice (two
// req values, or a path action and a req) is ambiguous, and refused.
func rewriteReq(r *http.Request) error {
	r.URL.RawPath = ""
	// Take the req pair out of the raw query and leave every other pair as
	// it came, so that both forms see the same bytes.
	var rest []string
	action, found := "", false
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		if key, err := url.QueryUnescape(rawKey); err == nil && key == "req" {
			if found {
				return &engine.Problem{Kind: engine.Ambiguous, In: "query", Field: "req", Reason: "given more than once; name the action once"}
			}
			found = true
			action, _ = url.QueryUnescape(rawValue)
			continue
		}
		rest = append(rest, pair)
	}
	if r.URL.Path != "/" && r.URL.Path != "" {
		if found {
			return &engine.Problem{Kind: engine.Ambiguous, In: "query", Field: "req",
				Reason: "the path names the action already; use /<action> or /?req=<action>, not both"}
		}
		return nil
	}
	if action == "" {
		return nil
	}
	r.URL.Path, r.URL.RawPath, r.URL.RawQuery = "/"+action, "", strings.Join(rest, "&")
	return nil
}
