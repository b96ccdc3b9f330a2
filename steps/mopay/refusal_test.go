package mopay

import (
	"errors"
	"strings"
	"testing"

	wire "herald/specs/wire/mopay"
)

// A login refused for its credentials is remembered for the run, naming
// the flags that fix it; an answer that refuses nothing (a server error, a
// rate limit) is not; nor is another account.
func TestRefusedLoginIsRemembered(t *testing.T) {
	msg := "login_failed"
	for _, c := range []struct {
		name     string
		a        *answer
		remember bool
	}{
		{"401 login_failed", &answer{action: "user_profile_login", status: 401, env: wire.Envelope{ERRORS: &wire.Errors{CODE: 401, MSG: &msg}}}, true},
		{"403", &answer{action: "user_profile_login", status: 403}, true},
		{"500", &answer{action: "user_profile_login", status: 500}, false},
		{"429", &answer{action: "user_profile_login", status: 429}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &refusal{}
			err := r.login("a", c.a, errors.New("user_profile_login answered"))
			if err == nil {
				t.Fatal("the login's error is lost")
			}
			if got := r.earlier("a") != nil; got != c.remember {
				t.Fatalf("remembered: %v, want %v (%v)", got, c.remember, r.earlier("a"))
			}
			if r.earlier("b") != nil {
				t.Fatal("another account is taken for refused")
			}
			if c.remember && (!strings.Contains(r.earlier("a").Error(), "--mopay-email and HERALD_MOPAY_PASSWORD") || !strings.Contains(err.Error(), "--mopay-email")) {
				t.Errorf("the refusal does not name the flags: %v / %v", err, r.earlier("a"))
			}
		})
	}
	r := &refusal{}
	if err := r.login("a", &answer{status: 200}, nil); err != nil || r.earlier("a") != nil {
		t.Fatalf("a login that succeeded is taken for refused: %v", err)
	}
}
