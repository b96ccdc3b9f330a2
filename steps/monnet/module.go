package monnet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/cucumber/godog"

	"herald/features"
	"herald/fixtures"
	"herald/specs"
	wire "herald/specs/wire/monnet"
	"herald/steps"
)

// System is Monnet's name, as in its spec.
const System = "monnet"

// Parameters of a Monnet target (steps.SystemTarget.Params).
const (
	// ParamMerchantID, ParamAPIKey and ParamAPISecret are the merchant the
	// scenarios act as, and its payout-API credentials.
	ParamMerchantID = "merchant-id"
	ParamAPIKey     = "api-key"
	ParamAPISecret  = "api-secret"
	// ParamNotifierCert is a file holding the notifier certificate (or its
	// public key, PEM); on a Herald, empty reads it from the control API.
	ParamNotifierCert = "notifier-cert"
	// ParamReceiverListen is where the suite's merchant receiver listens
	// (default 127.0.0.1:0, a free port); ParamReceiverURL is the URL the
	// notifier reaches it at (default http://<listen address>/). Against a
	// real Monnet, that URL is the one its integration team configured.
	ParamReceiverListen = "receiver-listen"
	ParamReceiverURL    = "receiver-url"
	// ParamNotificationWait is how long a scenario waits for a payout's
	// notification (a Go duration; default 30s): a real Monnet takes its
	// own time to reach a final stage.
	ParamNotificationWait = "notification-wait"
	// ParamRetryWait is how long the redelivery scenario waits for a new
	// attempt after the suite's receiver answered one with a 5xx (default
	// 60s). Monnet documents no retries: none within it skips the scenario.
	ParamRetryWait = "retry-wait"
)

// TagWebhook marks the scenarios that need the suite's receiver: a
// notification must reach it (or be seen not to). --tags '~@webhook' leaves
// them out where the notifier cannot reach the suite.
const TagWebhook = "@webhook"

// Defaults of the waits.
const (
	DefaultNotificationWait = 30 * time.Second
	DefaultRetryWait        = 60 * time.Second
)

// duration reads a wait parameter.
func duration(t steps.Target, key string, def time.Duration) (time.Duration, error) {
	v := t.Param(System, key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("the Monnet target's parameter %s is %q: want a positive Go duration, such as 45s or 5m", key, v)
	}
	return d, nil
}

// HeraldMerchant is the seeded merchant the scenarios use on a Herald: it
// has the credentials of the vendor's HMAC example (fixtures/monnet/seed.json).
const HeraldMerchant = "22"

type module struct {
	checker *specs.Checker
	host    *receiverHost
	seed    *fixtures.MonnetSeed
}

// Module returns Monnet's part of the suite.
func Module() (steps.Module, error) {
	doc, err := specs.Load(specs.Monnet)
	if err != nil {
		return nil, err
	}
	seed, err := fixtures.LoadMonnetSeed()
	if err != nil {
		return nil, err
	}
	return &module{checker: specs.NewChecker(specs.Monnet, doc), host: newReceiverHost(), seed: seed}, nil
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

func (m *module) ForHerald(baseURL string) *steps.SystemTarget {
	params := map[string]string{ParamMerchantID: HeraldMerchant}
	for _, mm := range m.seed.Merchants {
		if mm.MerchantID == HeraldMerchant {
			params[ParamAPIKey], params[ParamAPISecret] = mm.APIKey, mm.APISecret
		}
	}
	return &steps.SystemTarget{BaseURL: baseURL, Params: params}
}

func (m *module) Exclusions(steps.Target) []steps.Exclusion { return nil }

func (m *module) Init(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		s := steps.ScenarioOf(ctx)
		t := s.Target
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		w := &world{sc: s, module: m, checker: m.checker, base: t.Systems[System].BaseURL, client: t.ClientFor(System, ""),
			merchantID: t.Param(System, ParamMerchantID), apiKey: t.Param(System, ParamAPIKey), apiSecret: t.Param(System, ParamAPISecret),
			suffix: hex.EncodeToString(b)}
		if w.merchantID == "" && t.IsHerald() { // a Herald's target file need not name its seed
			seeded := m.ForHerald(w.base).Params
			w.merchantID, w.apiKey, w.apiSecret = seeded[ParamMerchantID], seeded[ParamAPIKey], seeded[ParamAPISecret]
		}
		if w.merchantID == "" || w.apiKey == "" || w.apiSecret == "" {
			return ctx, fmt.Errorf("the Monnet target needs a merchant id, an API key and an API secret (params %s, %s, %s)", ParamMerchantID, ParamAPIKey, ParamAPISecret)
		}
		var err error
		if w.noteWait, err = duration(t, ParamNotificationWait, DefaultNotificationWait); err != nil {
			return ctx, err
		}
		if w.retryWait, err = duration(t, ParamRetryWait, DefaultRetryWait); err != nil {
			return ctx, err
		}
		return context.WithValue(ctx, worldKey{}, w), nil
	})
	sc.After(func(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
		w, ok := ctx.Value(worldKey{}).(*world)
		if !ok {
			return ctx, nil
		}
		w.end()
		return ctx, nil
	})
	register(sc)
}

// Params lists the parameters the module reads from its target section.
func (m *module) Params() []string {
	return []string{ParamMerchantID, ParamAPIKey, ParamAPISecret, ParamNotifierCert, ParamReceiverListen, ParamReceiverURL,
		ParamNotificationWait, ParamRetryWait}
}

// ValidateParams checks, before anything is sent, what would otherwise be
// found only mid-run, after payouts were created: the notifier certificate
// file (it must hold a certificate or public key the notifications can be
// verified with) and the waits.
func (m *module) ValidateParams(st *steps.SystemTarget) error {
	if file := st.Params[ParamNotifierCert]; file != "" {
		data, err := os.ReadFile(file)
		if err == nil {
			_, err = wire.ParsePublicKey(data)
		}
		if err != nil {
			return fmt.Errorf("--monnet-notifier-cert (systems.%s.params.%s) %s: %w", System, ParamNotifierCert, file, err)
		}
	}
	t := steps.Target{Systems: map[string]*steps.SystemTarget{System: st}}
	for key, def := range map[string]time.Duration{ParamNotificationWait: DefaultNotificationWait, ParamRetryWait: DefaultRetryWait} {
		if _, err := duration(t, key, def); err != nil {
			return err
		}
	}
	return nil
}
