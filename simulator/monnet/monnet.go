package monnet

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"herald/fixtures"
	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/specs"
)

// Config is what the Monnet simulator is built from.
type Config struct {
	Clock  clock.Clock
	Random *entropy.Source
	// Seed is the merchants; nil loads fixtures/monnet/seed.json.
	Seed *fixtures.MonnetSeed
	// Notifier delivers the final-stage notifications; nil sends none.
	Notifier *Notifier
	Faults   *engine.Faults
	Logger   *slog.Logger
	// SkipResponseValidation turns off the check of answers against the spec.
	SkipResponseValidation bool
}

// Sim is the Monnet simulator.
type Sim struct {
	clock     clock.Clock
	random    *entropy.Source
	notifier  *Notifier
	merchants map[string]*merchant // by API key
	errors    *catalogue
	engine    *engine.Engine

	mu sync.Mutex // guards st
	st *state
}

type merchant struct {
	id, key, secret string
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
	doc, err := specs.Load(specs.Monnet)
	if err != nil {
		return nil, err
	}
	s := &Sim{clock: cfg.Clock, random: cfg.Random, notifier: cfg.Notifier, merchants: map[string]*merchant{}, st: newState()}
	for _, m := range cfg.Seed.Merchants {
		if m.MerchantID == "" || m.APIKey == "" || m.APISecret == "" {
			return nil, fmt.Errorf("monnet seed: merchant %q needs merchantId, apiKey and apiSecret", m.MerchantID)
		}
		if s.merchants[m.APIKey] != nil {
			return nil, fmt.Errorf("monnet seed: API key of merchant %s is used twice", m.MerchantID)
		}
		s.merchants[m.APIKey] = &merchant{id: m.MerchantID, key: m.APIKey, secret: m.APISecret}
		if cfg.Notifier != nil && m.ReceiverURL != "" {
			if _, set := cfg.Notifier.Receiver(m.MerchantID); !set {
				cfg.Notifier.SetReceiver(m.MerchantID, m.ReceiverURL)
			}
		}
	}
	if s.errors, err = newCatalogue(doc); err != nil {
		return nil, err
	}
	s.engine, err = engine.New(engine.Config{
		Name:                   "monnet",
		Doc:                    doc,
		Handlers:               map[string]engine.Handler{"createPayout": s.handleCreate, "getPayout": s.handleGet},
		Authenticate:           s.authenticate,
		Render:                 s.render,
		ErrorSchema:            "ErrorAnswer",
		Faults:                 cfg.Faults,
		Logger:                 cfg.Logger,
		SkipResponseValidation: cfg.SkipResponseValidation,
	})
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

// Notifier returns the delivery worker, or nil.
func (s *Sim) Notifier() *Notifier { return s.notifier }

// Reset forgets every payout and picked outcome, and the notifier's
// deliveries; merchants and receivers stay.
func (s *Sim) Reset() error {
	s.mu.Lock()
	s.st = newState()
	s.mu.Unlock()
	if s.notifier != nil {
		s.notifier.Reset()
	}
	return nil
}
