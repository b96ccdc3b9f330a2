package mopay

import (
	"context"
	"io/fs"

	"github.com/cucumber/godog"

	"herald/features"
	"herald/specs"
	"herald/steps"
)

// System is Mopay's name, as in its spec.
const System = "mopay"

// Parameters of a Mopay target (steps.SystemTarget.Params).
const (
	// ParamEmail and ParamPassword log in to an account that has notices.
	ParamEmail    = "email"
	ParamPassword = "password"
	// ParamReqForm, "true", addresses actions as "/?req=<action>&…", the
	// form of the vendor's documented base URL, rather than "/<action>?…".
	ParamReqForm = "req-form"
)

// The seeded Mopay account with three pages of notices (fixtures/mopay/seed.json).
const (
	SeededNoticeEmail    = "amara.okafor@example.com"
	SeededNoticePassword = "Notices2023"
)

// TagNoticeAccount marks scenarios that log in to an account with notices.
const TagNoticeAccount = "@notice-account"

type module struct{ checker *specs.Checker }

// Module returns Mopay's part of the suite.
func Module() (steps.Module, error) {
	doc, err := specs.Load(specs.Mopay)
	if err != nil {
		return nil, err
	}
	return &module{checker: specs.NewChecker(specs.Mopay, doc)}, nil
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
	return &steps.SystemTarget{BaseURL: baseURL, Params: map[string]string{ParamEmail: SeededNoticeEmail, ParamPassword: SeededNoticePassword}}
}

func (m *module) Exclusions(t steps.Target) []steps.Exclusion {
	if t.Param(System, ParamEmail) == "" {
		return []steps.Exclusion{{Tag: TagNoticeAccount, Why: "they need a Mopay account with notices (--mopay-email and HERALD_MOPAY_PASSWORD)"}}
	}
	return nil
}

func (m *module) Init(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		s := steps.ScenarioOf(ctx)
		t := s.Target
		w := &world{sc: s, target: t, checker: m.checker, base: t.Systems[System].BaseURL,
			reqForm: t.Param(System, ParamReqForm) == "true", client: t.ClientFor(System, "")}
		return context.WithValue(ctx, worldKey{}, w), nil
	})
	register(sc)
}

// Params lists the parameters the module reads from its target section.
func (m *module) Params() []string { return []string{ParamEmail, ParamPassword, ParamReqForm} }
