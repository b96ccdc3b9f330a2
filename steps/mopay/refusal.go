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
type refusal struct {
	mu  sync.Mutex
	err error
}

// earlier is the error of a refusal already seen in the run, or nil.
func (r *refusal) earlier() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// login looks at a login answer to the target's account: when it refuses
// the account, it is remembered, and the error returned names the fix.
func (r *refusal) login(a *answer, err error) error {
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
		r.err = fmt.Errorf("the Mopay account's sign-in was refused earlier in this run (%s): check %s", what, fixAccount)
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
