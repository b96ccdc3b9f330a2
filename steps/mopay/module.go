package mopay

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/cucumber/godog"

	"herald/features"
	"herald/specs"
	"herald/steps"
)

// System is Mopay's name, as in its spec.
const System = "mopay"

// Parameters of a Mopay target (steps.SystemTarget.Params). The account the
// suite signs in to is given as an email and password, or as a key pair
// Mopay issued to it; with both, each scenario logs in with the email and
// password (a key of its own: none uses up another's rate limit).
const (
	// ParamEmail and ParamPassword log in to an account that has notices.
	ParamEmail    = "email"
	ParamPassword = "password"
	// ParamKey and ParamSecret are a key pair issued to the account (its
	// pbcKey and secret), for a target that hands out no password.
	ParamKey    = "key"
	ParamSecret = "secret"
	// ParamUserID is the account's user id, when its login answer does not
	// carry it (the vendor does not document that it does).
	ParamUserID = "userid"
	// ParamReqForm, "true", addresses actions as "/?req=<action>&…", the
	// form of the vendor's documented base URL, rather than "/<action>?…";
	// it is true or false (steps.BoolParam), anything else is refused.
	ParamReqForm = "req-form"
)

// The seeded Mopay account with three pages of notices (fixtures/mopay/seed.json).
const (
	SeededNoticeEmail    = "amara.okafor@example.com"
	SeededNoticePassword = "Notices2023"
)

// Tags of the scenarios that need the target's account.
const (
	// TagAccount marks scenarios that sign in to the target's account (by
	// logging in or with its issued key pair): signing in changes nothing
	// that outlives the run, so they run without --allow-mutating.
	TagAccount = "@mopay-account"
	// TagNoticeAccount marks scenarios that need that account to have notices.
	TagNoticeAccount = "@notice-account"
	// TagLogin marks scenarios that log in with the account's email and
	// password themselves (a second login, say): an issued key is not enough.
	TagLogin = "@mopay-login"
	// TagRateLimit marks scenarios that spend a key's documented 100
	// requests a minute.
	TagRateLimit = "@rate-limit"
)

type module struct {
	checker *specs.Checker
	pace    *pacer // for the requests signed with a target's issued key
	refused *refusal
}

// Module returns Mopay's part of the suite.
func Module() (steps.Module, error) {
	doc, err := specs.Load(specs.Mopay)
	if err != nil {
		return nil, err
	}
	return &module{checker: specs.NewChecker(specs.Mopay, doc), pace: newPacer(pacedRequests, paceWindow, time.Now, time.Sleep), refused: &refusal{}}, nil
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
	const account = "--mopay-email and HERALD_MOPAY_PASSWORD, or --mopay-key and HERALD_MOPAY_SECRET"
	const login = "--mopay-email and HERALD_MOPAY_PASSWORD"
	hasLogin, hasKey := t.Param(System, ParamEmail) != "", t.Param(System, ParamKey) != ""
	switch {
	case !hasLogin && !hasKey:
		return []steps.Exclusion{
			{Tag: TagAccount, Why: "they sign in to a Mopay account, and the target gives none (" + account + ")", Need: "a Mopay account"},
			{Tag: TagNoticeAccount, Why: "they need a Mopay account with notices, and the target gives none (" + account + ")", Need: "a Mopay account with notices"},
			{Tag: TagLogin, Why: "they log in to a Mopay account, and the target gives none (" + login + ")", Need: "a Mopay email and password"},
		}
	case !hasLogin:
		return []steps.Exclusion{
			{Tag: TagLogin, Why: "they log in with the account's email and password, and the target gives only an issued key pair (" + login + ")", Need: "a Mopay email and password"},
			{Tag: TagRateLimit, Why: "they spend the documented 100 requests a minute of a key, and the one key the target gives serves every scenario (" + login + " gives each scenario a key of its own)", Need: "a Mopay email and password"},
		}
	}
	return nil
}

func (m *module) Init(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		s := steps.ScenarioOf(ctx)
		t := s.Target
		w := &world{sc: s, target: t, checker: m.checker, pace: m.pace, refusal: m.refused, base: t.Systems[System].BaseURL,
			reqForm: reqForm(t.Param(System, ParamReqForm)), client: t.ClientFor(System, "")}
		return context.WithValue(ctx, worldKey{}, w), nil
	})
	register(sc)
}

// Params lists the parameters the module reads from its target section.
func (m *module) Params() []string {
	return []string{ParamEmail, ParamPassword, ParamKey, ParamSecret, ParamUserID, ParamReqForm}
}

// ValidateParams refuses an account given by halves: an email without its
// password (or the reverse), a key without its secret (or the reverse).
// Every scenario would otherwise fail against the deployment, each with a
// refused login or signature, and a real account may lock after so many.
//
// It refuses a req-form that is not true or false, too.
func (m *module) ValidateParams(st *steps.SystemTarget) error {
	if _, err := steps.BoolParam(st.Params[ParamReqForm]); err != nil {
		return fmt.Errorf("systems.%s.params.%s is %w", System, ParamReqForm, err)
	}
	for _, pair := range [][4]string{
		{ParamEmail, ParamPassword, "--mopay-email", "HERALD_MOPAY_PASSWORD"},
		{ParamKey, ParamSecret, "--mopay-key", "HERALD_MOPAY_SECRET"},
	} {
		a, b := st.Params[pair[0]], st.Params[pair[1]]
		switch {
		case a != "" && b == "":
			return fmt.Errorf("the account's %s is given without its %s: set %s (or systems.%s.params.%s)", pair[0], pair[1], pair[3], System, pair[1])
		case a == "" && b != "":
			return fmt.Errorf("the account's %s is given without its %s: give %s (or systems.%s.params.%s)", pair[1], pair[0], pair[2], System, pair[0])
		}
	}
	return nil
}

// reqForm reads ParamReqForm, which ValidateParams has checked.
func reqForm(v string) bool {
	b, _ := steps.BoolParam(v)
	return b
}
