package mopay

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	messages "github.com/cucumber/messages/go/v21"

	"herald/specs"
	"herald/steps"
)

// The module's name is the spec's: the one place it is written.
func TestSystemNameIsTheSpecs(t *testing.T) {
	doc, err := specs.Load(specs.Mopay)
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := doc.Info.Extensions["x-herald-system"].(string); name != System {
		t.Fatalf("steps call the system %q, its spec %q", System, name)
	}
}

func pickles(t *testing.T) []*messages.Pickle {
	t.Helper()
	m, err := Module()
	if err != nil {
		t.Fatal(err)
	}
	out, err := steps.Pickles(m.Features())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no Mopay scenarios")
	}
	return out
}

var (
	// Steps that use Herald's control API.
	controlStep = regexp.MustCompile(`simulator`)
	// Steps that send a request which creates or changes data when it is
	// served: an account, a mailed verification code, a subscription, a
	// profile change. Each makes its scenario @mutating, refused or not.
	changeStep = regexp.MustCompile(`^I have registered a new Mopay account|"user_profile_(create|update)"|"user_newsletter_create"|"user_email_verification_send"|^I request an email verification code|^I subscribe it to the newsletter`)
	// Steps that sign in to the target's account.
	signInStep = regexp.MustCompile(`^I am signed in to Mopay$`)
	// Steps that log in with the account's email and password.
	loginStep = regexp.MustCompile(`^I log in to Mopay with the account's|^I log in again on the same device`)
	// Steps that sign a request, and those that give the key pair to sign with.
	signedStep = regexp.MustCompile(`\bsigned\b|with the same signing headers|my notices`)
	keyStep    = regexp.MustCompile(`^I have registered a new Mopay account|^I am signed in to Mopay$|^I log in to Mopay with the account's email and password$`)
)

// Every scenario declares what it needs, so that a target without it leaves
// the scenario out with a reason instead of failing it: @simulator for the
// control API; @mopay-account (or @notice-account) for the target's account,
// @mopay-login for its email and password; and @mutating exactly when it
// sends a request that creates or changes data. Signing in is not mutating.
func TestScenariosDeclareWhatTheyNeed(t *testing.T) {
	mutating := 0
	for _, p := range pickles(t) {
		tags := map[string]bool{}
		for _, tag := range p.Tags {
			tags[tag.Name] = true
		}
		if !tags["@mopay"] {
			t.Errorf("%s: %q has no @mopay tag", p.Uri, p.Name)
		}
		changes, keyed := false, false
		for _, s := range p.Steps {
			if controlStep.MatchString(s.Text) && !tags[steps.TagSimulator] {
				t.Errorf("%s: %q uses the control API (%q) without %s", p.Uri, p.Name, s.Text, steps.TagSimulator)
			}
			if signInStep.MatchString(s.Text) && !tags[TagAccount] && !tags[TagNoticeAccount] {
				t.Errorf("%s: %q signs in (%q) without %s", p.Uri, p.Name, s.Text, TagAccount)
			}
			if loginStep.MatchString(s.Text) && !tags[TagLogin] {
				t.Errorf("%s: %q logs in (%q) without %s", p.Uri, p.Name, s.Text, TagLogin)
			}
			if keyStep.MatchString(s.Text) {
				keyed = true
			} else if signedStep.MatchString(s.Text) && !keyed {
				t.Errorf("%s: %q signs a request (%q) before it has a key pair", p.Uri, p.Name, s.Text)
			}
			changes = changes || changeStep.MatchString(s.Text)
		}
		if changes != tags[steps.TagMutating] {
			t.Errorf("%s: %q creates or changes data: %v, tagged %s: %v", p.Uri, p.Name, changes, steps.TagMutating, tags[steps.TagMutating])
		}
		if changes {
			mutating++
		}
	}
	if mutating == 0 {
		t.Fatal("no scenario creates data: the check of @mutating checks nothing")
	}
}

// Without an account the scenarios that need one are left out, each with
// its reason naming the flags; with an issued key only, those that log in.
func TestExclusionsFollowTheAccount(t *testing.T) {
	m, err := Module()
	if err != nil {
		t.Fatal(err)
	}
	target := func(params map[string]string) steps.Target {
		return steps.Target{Name: "staging", Systems: map[string]*steps.SystemTarget{System: {BaseURL: "https://mopay.example/", Params: params}}}
	}
	tags := func(ex []steps.Exclusion) string {
		var out []string
		for _, e := range ex {
			out = append(out, e.Tag)
			if !strings.Contains(e.Why, "--mopay-email") {
				t.Errorf("%s: the reason names no flag: %s", e.Tag, e.Why)
			}
		}
		return strings.Join(out, " ")
	}
	if got := tags(m.Exclusions(target(nil))); got != "@mopay-account @notice-account @mopay-login" {
		t.Errorf("no account: %s", got)
	}
	if got := tags(m.Exclusions(target(map[string]string{ParamKey: "k", ParamSecret: "s"}))); got != "@mopay-login @rate-limit" {
		t.Errorf("a key pair only: %s", got)
	}
	if got := tags(m.Exclusions(target(map[string]string{ParamEmail: "qa@example.com", ParamPassword: "p"}))); got != "" {
		t.Errorf("an email and password: %s", got)
	}
}

// req-form is true or false (any case), or not given: any other value is
// refused before the run, naming the key and what it accepts, instead of
// meaning false.
func TestReqFormIsTrueOrFalse(t *testing.T) {
	m, err := Module()
	if err != nil {
		t.Fatal(err)
	}
	v := m.(steps.ParamValidator)
	for _, ok := range []string{"", "true", "false", "TRUE", "False"} {
		if err := v.ValidateParams(&steps.SystemTarget{Params: map[string]string{ParamReqForm: ok}}); err != nil {
			t.Errorf("req-form %q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"maybe", "yes", "1", "0", "no", "t", " true"} {
		err := v.ValidateParams(&steps.SystemTarget{Params: map[string]string{ParamReqForm: bad}})
		want := fmt.Sprintf("systems.mopay.params.req-form is %q: want true or false", bad)
		if err == nil || err.Error() != want {
			t.Errorf("req-form %q: %v, want %s", bad, err, want)
		}
	}
}
