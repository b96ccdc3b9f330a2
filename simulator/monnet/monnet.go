package monnet

import (
	"context"
	"fmt"
	"net/http"
	"os"
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
	wire "herald/specs/wire/monnet"
)

// Config is what the Monnet simulator is built from.
type Config struct {
	Clock  clock.Clock
	Random *entropy.Source
	// Seed is the merchants; nil loads fixtures/monnet/seed.json.
	Seed *fixtures.MonnetSeed
	// Doc is the spec; nil loads specs/monnet.yaml.
	Doc *openapi3.T
	// Notifier delivers the final-stage notifications; nil sends none.
	Notifier *Notifier
	// Engine carries the settings the core decides for every system (name,
	// faults, logger, observer); a zero value is a standalone simulator.
	Engine system.EngineDefaults
	// errors, when set, is the error catalogue a Herald read once.
	errors *catalogue
}

// sharedParts are what every world of a Herald reads and none changes: the
// seed, the error catalogue, and the notifier's keys and certificate.
type sharedParts struct {
	seed     *fixtures.MonnetSeed
	errors   *catalogue
	notifier NotifierConfig
}

// prepare reads, once per Herald, what every world shares.
func prepare(env system.Env) (*sharedParts, error) {
	p := &sharedParts{}
	var err error
	if p.notifier, err = notifierSettings(env.Settings); err != nil {
		return nil, err
	}
	if p.notifier.Key == nil {
		if p.notifier.Key, err = fixtureKey(fixtures.MonnetNotifierKey); err != nil {
			return nil, err
		}
		if p.notifier.Certificate, err = fixtures.Read(fixtures.MonnetNotifierCert); err != nil {
			return nil, err
		}
	}
	if p.notifier.Forger, err = fixtureKey(fixtures.MonnetForgerKey); err != nil {
		return nil, err
	}
	if p.seed, err = fixtures.LoadMonnetSeed(); err != nil {
		return nil, err
	}
	if p.errors, err = newCatalogue(env.Doc); err != nil {
		return nil, err
	}
	return p, nil
}

// Sim is the Monnet simulator.
type Sim struct {
	clock     clock.Clock
	random    *entropy.Source
	notifier  *Notifier
	merchants map[string]*merchant // by API key
	ids       map[string]*merchant // by merchantId
	errors    *catalogue
	engine    *engine.Engine

	mu sync.Mutex // guards st
	st *state
}

type merchant struct {
	id, key, secret string
}

// Settings of the Monnet system (flags --monnet-<name> of herald serve).
const (
	SettingBackoff        = "backoff"
	SettingAttemptTimeout = "attempt-timeout"
	SettingKey            = "key"
	SettingCert           = "cert"
)

// Definition registers Monnet with Herald's core.
func Definition() system.Definition {
	return system.Definition{
		Spec: system.Embedded(specs.Monnet),
		Settings: []system.Setting{
			{Name: SettingBackoff, Default: FormatBackoff(DefaultBackoff()),
				Usage: "when the notifier makes its attempts, counted from a payout's final stage: comma-separated `durations`, one per attempt, in order"},
			{Name: SettingAttemptTimeout, Default: DefaultAttemptTimeout.String(),
				Usage: "how long the notifier waits for a receiver's answer before the attempt counts as a timeout (a Go `duration`)"},
			{Name: SettingKey, Default: "",
				Usage: "PEM `file` of the RSA key that signs notifications (default: the fixture notifier key); give --monnet-cert with it"},
			{Name: SettingCert, Default: "",
				Usage: "PEM `file` of the notifier certificate for that key, served to merchants (default: the fixture certificate)"},
		},
		New: func(env system.Env) (system.System, error) {
			shared, err := system.Share(env, "parts", func() (*sharedParts, error) { return prepare(env) })
			if err != nil {
				return nil, err
			}
			cfg := shared.notifier
			cfg.Scheduler, cfg.Clock, cfg.Logger = OnScheduler(env.Scheduler), env.Clock, env.Logger
			n, err := NewNotifier(cfg)
			if err != nil {
				return nil, err
			}
			return New(Config{Clock: env.Clock, Random: env.Random, Doc: env.Doc, Engine: env.Engine, Notifier: n,
				Seed: shared.seed, errors: shared.errors})
		},
	}
}

// notifierSettings reads the notifier's settings.
func notifierSettings(s system.Settings) (NotifierConfig, error) {
	var cfg NotifierConfig
	var err error
	if cfg.Backoff, err = ParseBackoff(s[SettingBackoff]); err != nil {
		return cfg, fmt.Errorf("setting %s: %w", SettingBackoff, err)
	}
	if cfg.AttemptTimeout, err = time.ParseDuration(s[SettingAttemptTimeout]); err != nil || cfg.AttemptTimeout <= 0 {
		return cfg, fmt.Errorf("setting %s: want a positive duration such as 10s, got %q", SettingAttemptTimeout, s[SettingAttemptTimeout])
	}
	keyFile, certFile := s[SettingKey], s[SettingCert]
	if (keyFile == "") != (certFile == "") {
		return cfg, fmt.Errorf("settings %s and %s: give the notifier key and its certificate together", SettingKey, SettingCert)
	}
	if keyFile == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return cfg, fmt.Errorf("setting %s: %w", SettingKey, err)
	}
	if cfg.Key, err = wire.ParsePrivateKey(b); err != nil {
		return cfg, fmt.Errorf("setting %s: %s: %w", SettingKey, keyFile, err)
	}
	if cfg.Certificate, err = os.ReadFile(certFile); err != nil {
		return cfg, fmt.Errorf("setting %s: %w", SettingCert, err)
	}
	if err := wire.CertificateMatches(cfg.Certificate, cfg.Key); err != nil {
		return cfg, fmt.Errorf("setting %s: %s: %w", SettingCert, certFile, err)
	}
	return cfg, nil
}

// ParseBackoff reads a retry schedule: "0s,10s,1m".
func ParseBackoff(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%q: want comma-separated durations such as 0s,10s,1m", s)
		}
		out = append(out, d)
	}
	if err := CheckBackoff(out); err != nil {
		return nil, err
	}
	return out, nil
}

// FormatBackoff writes a retry schedule as ParseBackoff reads it.
func FormatBackoff(b []time.Duration) string {
	parts := make([]string, len(b))
	for i, d := range b {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}

// New builds the simulator from specs/monnet.yaml.
func New(cfg Config) (*Sim, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Random == nil {
		cfg.Random = entropy.New(entropy.RandomSeed())
	}
	if cfg.Seed == nil {
		seed, err := fixtures.LoadMonnetSeed()
		if err != nil {
			return nil, err
		}
		cfg.Seed = seed
	}
	doc, err := cfg.Engine.Standalone(cfg.Doc, specs.Monnet)
	if err != nil {
		return nil, err
	}
	s := &Sim{clock: cfg.Clock, random: cfg.Random, notifier: cfg.Notifier, merchants: map[string]*merchant{}, ids: map[string]*merchant{}, st: newState()}
	for _, m := range cfg.Seed.Merchants {
		if m.MerchantID == "" || m.APIKey == "" || m.APISecret == "" {
			return nil, fmt.Errorf("monnet seed: merchant %q needs merchantId, apiKey and apiSecret", m.MerchantID)
		}
		if s.merchants[m.APIKey] != nil || s.ids[m.MerchantID] != nil {
			return nil, fmt.Errorf("monnet seed: merchant %s, or its API key, is listed twice", m.MerchantID)
		}
		mm := &merchant{id: m.MerchantID, key: m.APIKey, secret: m.APISecret}
		s.merchants[m.APIKey], s.ids[m.MerchantID] = mm, mm
		if cfg.Notifier != nil && m.ReceiverURL != "" {
			if _, set := cfg.Notifier.Receiver(m.MerchantID); !set {
				cfg.Notifier.SetReceiver(m.MerchantID, m.ReceiverURL)
			}
		}
	}
	if s.errors = cfg.errors; s.errors == nil {
		if s.errors, err = newCatalogue(doc); err != nil {
			return nil, err
		}
	}
	s.engine, err = engine.New(cfg.Engine.Apply(engine.Config{
		Doc:          doc,
		Handlers:     map[string]engine.Handler{"createPayout": s.handleCreate, "getPayout": s.handleGet},
		Authenticate: s.authenticate,
		Render:       s.render,
		ErrorSchema:  "ErrorAnswer",
	}))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Handler serves the payout API at /api/v1/…; mount it with its prefix
// stripped.
func (s *Sim) Handler() http.Handler { return s.engine }

// Checker returns the checker of specs/monnet.yaml, whose Webhook method
// checks notifications.
func (s *Sim) Checker() *specs.Checker { return s.engine.Checker() }

// CheckNotification checks a notification body against the spec's callback
// schema before it is signed: the simulator never signs a body the spec
// forbids.
func (s *Sim) CheckNotification(body []byte) error {
	// The signature is not made yet: a placeholder stands for it, so that
	// only the body is judged.
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set(wire.HeaderVerification, "AA==")
	if err := s.Checker().Webhook("payoutNotification", http.MethodPost, h, body); err != nil {
		return fmt.Errorf("the body violates the spec's payoutNotification: %w", err)
	}
	return nil
}

// Notifier returns the delivery worker, or nil.
func (s *Sim) Notifier() *Notifier { return s.notifier }

// Run is the notifier's background work (system.Runner): see Notifier.Run.
func (s *Sim) Run(ctx context.Context) {
	if s.notifier == nil {
		<-ctx.Done()
		return
	}
	s.notifier.Run(ctx)
}

// Interrupt cuts off the notification attempts on the network
// (system.Interrupter): see Notifier.Interrupt.
func (s *Sim) Interrupt(why string) {
	if s.notifier != nil {
		s.notifier.Interrupt(why)
	}
}

// Reset forgets every payout and picked outcome, and the notifier's
// deliveries; merchants and their receiver URLs stay (configuration, as the
// URL a merchant's integration team set with Monnet).
func (s *Sim) Reset() error {
	s.mu.Lock()
	s.st = newState()
	s.mu.Unlock()
	if s.notifier != nil {
		s.notifier.Reset()
	}
	return nil
}
