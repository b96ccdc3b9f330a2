package mopay

import (
	"fmt"
	"net/http"
	"sync"
)

// refusal remembers, for the run, that the target refused its account's
// sign-in: every later scenario that needs the account then fails at once,
// naming the flags that fix it, instead of sending the same refused login
// (which a real deployment may count towards locking the account).
//
// It is kept by account (a target's URL, email and password): a module
// serving several runs, against several targets, keeps them apart.
type refusal struct {
	mu  sync.Mutex
	err map[string]error
}

// account is the key of an account in refusal.
func account(base, email, password string) string {
	return base + "\x00" + email + "\x00" + password
}

// earlier is the error of a refusal of the account already seen, or nil.
func (r *refusal) earlier(account string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err[account]
}

// login looks at a login answer to the target's account: when it refuses
// the account, it is remembered, and the error returned names the fix.
func (r *refusal) login(account string, a *answer, err error) error {
	if err == nil || a == nil || !refuses(a) {
		return err
	}
	what := fmt.Sprintf("the login answered %d", a.status)
	if a.env.ERRORS != nil && a.env.ERRORS.MSG != nil {
		what += " " + *a.env.ERRORS.MSG
	} else if a.env.ERRORS != nil && a.env.ERRORS.ID != nil {
		what += " " + *a.env.ERRORS.ID
	}
	r.mu.Lock()
	if r.err == nil {
		r.err = map[string]error{}
	}
	if r.err[account] == nil {
		r.err[account] = fmt.Errorf("the Mopay account's sign-in was refused earlier in this run (%s): check %s", what, fixAccount)
	}
	r.mu.Unlock()
	return fmt.Errorf("%w; the target refuses the Mopay account's sign-in: check %s; every later scenario that needs the account fails at once", err, fixAccount)
}

// fixAccount names where the account is given.
const fixAccount = "--mopay-email and HERALD_MOPAY_PASSWORD (or --mopay-key and HERALD_MOPAY_SECRET)"

// refuses reports whether an answer refuses the credentials sent: 401 or
// 403, as its HTTP status or its envelope's CODE.
func refuses(a *answer) bool {
	code := a.status
	if a.env.ERRORS != nil && a.env.ERRORS.CODE != 0 {
		code = a.env.ERRORS.CODE
	}
	return code == http.StatusUnauthorized || code == http.StatusForbidden || a.status == http.StatusUnauthorized || a.status == http.StatusForbidden
}
