package mopay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"herald/steps"
)

// register binds the Mopay steps, grouped as the features use them.
func register(sc *godog.ScenarioContext) {
	on := func(f any) any { return steps.On[*world](worldKey{}, f) }
	// Accounts and keys.
	sc.Step(`^I have registered a new Mopay account$`, on(func(w *world) error { return w.registerAccount("") }))
	sc.Step(`^I have registered a new Mopay account with the push token "([^"]*)"$`, on((*world).registerAccount))
	sc.Step(`^I am signed in to Mopay$`, on((*world).signIn))
	sc.Step(`^I log in to Mopay with the account's email and password$`, on((*world).logIn))
	sc.Step(`^I log in to Mopay with an address that has no account$`, on(func(w *world) error { return w.logInWrongly(uniqueEmail("nobody")) }))
	sc.Step(`^I log in to Mopay with the account's email and a wrong password$`, on(func(w *world) error {
		if w.target.Param(System, ParamEmail) == "" {
			return fmt.Errorf("target %s names no Mopay account to log in to: give --mopay-email and HERALD_MOPAY_PASSWORD", w.target.Name)
		}
		return w.logInWrongly(w.target.Param(System, ParamEmail))
	}))
	sc.Step(`^I log in again on the same device$`, on((*world).loginAgain))
	sc.Step(`^the answer carries a 64-hex public key and a 128-hex secret$`, on((*world).answerCarriesKeys))

	// Calls.
	sc.Step(`^I call "([^"]*)" signed$`, on(func(w *world, a string) error { return w.do(request{action: a}) }))
	sc.Step(`^I call "([^"]*)" signed with query "([^"]*)"$`, on(func(w *world, a, q string) error { return w.doQuery(request{action: a}, q) }))
	sc.Step(`^I call "([^"]*)" without signing$`, on(func(w *world, a string) error { return w.do(request{action: a, sign: signing{skip: true}}) }))
	sc.Step(`^I call "([^"]*)" without signing with query "([^"]*)"$`, on(func(w *world, a, q string) error {
		return w.doQuery(request{action: a, sign: signing{skip: true}}, q)
	}))
	sc.Step(`^I call "([^"]*)" signed but without the "([^"]*)" header$`, on(func(w *world, a, h string) error {
		return w.do(request{action: a, sign: signing{without: h}})
	}))
	sc.Step(`^I call "([^"]*)" signed with an unknown public key$`, on(func(w *world, a string) error {
		return w.do(request{action: a, sign: signing{key: strings.Repeat("0f", 32)}})
	}))
	sc.Step(`^I call "([^"]*)" signed with a timestamp (-?\d+) seconds from now$`, on(func(w *world, a string, s int) error {
		return w.do(request{action: a, sign: signing{tsOffset: time.Duration(s) * time.Second}})
	}))
	sc.Step(`^I call "([^"]*)" signed with a tampered signature$`, on(func(w *world, a string) error {
		return w.do(request{action: a, sign: signing{tamper: true}})
	}))
	sc.Step(`^I call "([^"]*)" signed over the timestamp JSON with a space after the colon$`, on(func(w *world, a string) error {
		return w.do(request{action: a, sign: signing{withSpace: true}})
	}))
	sc.Step(`^I call "([^"]*)" signed with the timestamp "([^"]*)"$`, on(func(w *world, a, ts string) error {
		return w.do(request{action: a, sign: signing{timestamp: ts}})
	}))
	sc.Step(`^I call "([^"]*)" with the same signing headers$`, on(func(w *world, a string) error {
		if w.headers == nil {
			return fmt.Errorf("no signed call was made before")
		}
		return w.do(request{action: a, sign: signing{reuse: w.headers}})
	}))
	sc.Step(`^I call "([^"]*)" signed in uppercase hex$`, on(func(w *world, a string) error {
		return w.do(request{action: a, sign: signing{upperHex: true}})
	}))
	sc.Step(`^I call "([^"]*)" signed with my previous key pair$`, on(func(w *world, a string) error {
		if w.old == nil {
			return fmt.Errorf("no previous key pair: log in again first")
		}
		return w.do(request{action: a, sign: signing{credentials: w.old}})
	}))
	sc.Step(`^I call "([^"]*)" signed through the "\?req=" form with query "([^"]*)"$`, on(func(w *world, a, q string) error {
		return w.doQuery(request{action: a, reqForm: true}, q)
	}))
	sc.Step(`^I call "([^"]*)" signed with the body "([^"]*)"$`, on(func(w *world, a, body string) error {
		return w.do(request{action: a, body: []byte(body)})
	}))
	sc.Step(`^I make (\d+) signed calls to "([^"]*)"$`, on((*world).repeat))

	// Raw requests, for malformed input.
	sc.Step(`^I send a (GET|POST|PUT|DELETE|PATCH) to "([^"]*)"$`, on(func(w *world, m, ref string) error {
		return w.do(request{method: m, rawRef: ref, sign: signing{skip: true}})
	}))
	sc.Step(`^I send a (GET|POST|PUT|DELETE|PATCH) to "([^"]*)" signed$`, on(func(w *world, m, ref string) error {
		return w.do(request{method: m, rawRef: ref})
	}))
	sc.Step(`^I send a (GET|POST) to "([^"]*)" with body:$`, on(func(w *world, m, ref string, doc *godog.DocString) error {
		body, err := w.expand(doc.Content)
		if err != nil {
			return err
		}
		return w.do(request{method: m, rawRef: ref, body: []byte(body), sign: signing{skip: true}})
	}))
	sc.Step(`^I send a POST to "([^"]*)" with content type "([^"]*)" and body:$`, on(func(w *world, ref, ct string, doc *godog.DocString) error {
		return w.do(request{method: http.MethodPost, rawRef: ref, header: http.Header{"Content-Type": {ct}}, body: []byte(doc.Content), sign: signing{skip: true}})
	}))
	sc.Step(`^I send a POST to "([^"]*)" with the header "([^"]*)" set to "([^"]*)" and body:$`, on(func(w *world, ref, name, value string, doc *godog.DocString) error {
		return w.do(request{method: http.MethodPost, rawRef: ref, header: http.Header{name: {value}}, body: []byte(doc.Content), sign: signing{skip: true}})
	}))
	sc.Step(`^I send a POST to "([^"]*)" with a body of (\d+) bytes$`, on(func(w *world, ref string, n int) error {
		body := `{"fsnm":"` + strings.Repeat("a", max(n-10, 0)) + `"}`
		return w.do(request{method: http.MethodPost, rawRef: ref, body: []byte(body[:max(n, 0)]), sign: signing{skip: true}})
	}))
	sc.Step(`^I send a POST to "([^"]*)" with a body that is not UTF-8$`, on(func(w *world, ref string) error {
		body := []byte(`{"fsnm":"Ad\xff\xfea","lsnm":"Obi","emal":"x@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`)
		return w.do(request{method: http.MethodPost, rawRef: ref, body: body, sign: signing{skip: true}})
	}))
	sc.Step(`^I send a GET to "([^"]*)" signed with a "([^"]*)" header of (\d+) bytes$`, on(func(w *world, ref, name string, n int) error {
		return w.do(request{rawRef: ref, header: http.Header{name: {strings.Repeat("x", n)}}})
	}))
	sc.Step(`^I send a GET to "([^"]*)" signed with the "([^"]*)" header set to "([^"]*)"$`, on(func(w *world, ref, name, value string) error {
		r := request{rawRef: ref, header: http.Header{}, sign: signing{skip: true}}
		if err := w.sign(r.header, signing{}); err != nil {
			return err
		}
		r.header.Set(name, value)
		return w.do(r)
	}))

	// Outcomes.
	sc.Step(`^the call succeeds$`, on((*world).succeeds))
	sc.Step(`^the call fails with (ID|MSG) "([^"]*)" and code (\d+)$`, on((*world).failsWith))
	sc.Step(`^the error details mention "([^"]*)"$`, on((*world).detailsMention))
	sc.Step(`^the call is refused with code (\d+)$`, on(func(w *world, code int) error { return w.refused(code) }))
	sc.Step(`^the call is refused$`, on(func(w *world) error { return w.refused(0) }))
	sc.Step(`^the answer has a "([^"]*)" header$`, on(func(w *world, name string) error { return w.header(name, "") }))
	sc.Step(`^the answer has the "([^"]*)" header "([^"]*)"$`, on((*world).header))
	sc.Step(`^every one of them succeeds$`, on((*world).allSucceed))
	sc.Step(`^DATA holds (\d+) records?$`, on((*world).dataHolds))
	sc.Step(`^DATA holds at least (\d+) records?$`, on((*world).dataHoldsAtLeast))
	sc.Step(`^every record in DATA has "([^"]*)" equal to "([^"]*)"$`, on(func(w *world, f, v string) error { return w.everyRecordHas(f, v, false) }))
	sc.Step(`^every record in DATA, if it succeeded, has "([^"]*)" equal to "([^"]*)"$`, on(func(w *world, f, v string) error { return w.everyRecordHas(f, v, true) }))
	sc.Step(`^the answer is the same as the one before$`, on((*world).sameAsBefore))
	sc.Step(`^the records in DATA are newest first$`, on((*world).dataNewestFirst))
	sc.Step(`^DATA has "([^"]*)" equal to "([^"]*)"$`, on((*world).dataFieldIs))
	sc.Step(`^I remember the (marker|userid|cntiso) of the first record in DATA$`, on(func(w *world, f string) error { return w.remember(f, false) }))
	sc.Step(`^I remember the userid of the first record in DATA that is not mine$`, on(func(w *world) error { return w.remember("userid", true) }))
	sc.Step(`^Mopay still serves$`, on((*world).stillServes))

	// Notices.
	sc.Step(`^I walk every page of my notices$`, on((*world).walkNotices))
	sc.Step(`^every page holds at most (\d+) notices$`, on((*world).pagesAtMost))
	sc.Step(`^the notices are newest first across all pages$`, on((*world).noticesNewestFirst))
	sc.Step(`^each page's cursor is the recorded time of its last notice$`, on((*world).cursorsMatch))
	sc.Step(`^the notices all belong to me$`, on((*world).noticesMine))
	sc.Step(`^the pages hold ([0-9, and]+) notices$`, on((*world).pagesHold))
	sc.Step(`^I have seen (\d+) notices in all$`, on((*world).seenInAll))
	sc.Step(`^I call "user_notice_fetch" signed with the cursor of the last page$`, on((*world).afterLastPage))

	// Email verification and newsletter.
	sc.Step(`^I read its verification code from the simulator$`, on((*world).readCode))
	sc.Step(`^a new email address$`, on(func(w *world) error { w.email = uniqueEmail("news"); return nil }))
	sc.Step(`^I request an email verification code for it$`, on(func(w *world) error {
		return w.do(request{action: "user_email_verification_send", query: url.Values{"emal": {w.email}}, sign: signing{skip: true}})
	}))
	sc.Step(`^I subscribe it to the newsletter with that code$`, on(func(w *world) error {
		return w.do(request{action: "user_newsletter_create", query: url.Values{"emal": {w.email}, "code": {w.code}}, sign: signing{skip: true}})
	}))
	sc.Step(`^I subscribe it to the newsletter with the code "([^"]*)"$`, on(func(w *world, code string) error {
		return w.do(request{action: "user_newsletter_create", query: url.Values{"emal": {w.email}, "code": {code}}, sign: signing{skip: true}})
	}))
}

// do sends a request and keeps its answer; it fails only when no answer
// came, or the answer violates the spec.
func (w *world) do(r request) error {
	_, err := w.call(r)
	return err
}

// doQuery parses a query written in a step ("rqtp=user&rqvl={userid}").
func (w *world) doQuery(r request, q string) error {
	expanded, err := w.expand(q)
	if err != nil {
		return err
	}
	values, err := url.ParseQuery(expanded)
	if err != nil {
		return fmt.Errorf("query %q: %w", q, err)
	}
	r.query = values
	return w.do(r)
}

// expand replaces in step text {email} and {code}, {userid} (the signed-in
// account's), and a value remembered from an answer: {marker}, {userid of
// DATA} as {user}, {cntiso} as {country}. A placeholder with no value is an
// error; {userid}, when neither the login answer nor the target gave it,
// skips the scenario, saying so.
func (w *world) expand(s string) (string, error) {
	repl := []string{"{email}", w.email, "{code}", w.code}
	for field, name := range map[string]string{"marker": "{marker}", "userid": "{user}", "cntiso": "{country}"} {
		if v, ok := w.remembered[field]; ok {
			repl = append(repl, name, v)
		} else if strings.Contains(s, name) {
			return "", fmt.Errorf("%s: remember the %s of a record first", name, field)
		}
	}
	if strings.Contains(s, "{userid}") {
		if err := w.learnUserID(); err != nil {
			return "", err
		}
		repl = append(repl, "{userid}", w.creds.UserID)
	}
	return strings.NewReplacer(repl...).Replace(s), nil
}

// learnUserID makes sure the signed-in account's user id is known: from its
// login answer, else from the target, else from its notices, which the
// vendor documents as the authenticated user's. An account with neither is
// a scenario that cannot run: skipped, saying why.
func (w *world) learnUserID() error {
	if w.creds == nil {
		return fmt.Errorf("{userid}: sign in first")
	}
	if w.creds.UserID != "" {
		return nil
	}
	last, before := w.last, w.before
	a, err := w.call(request{action: "user_notice_fetch"})
	w.last, w.before = last, before
	if err != nil {
		return err
	}
	var p noticePage
	if a.status == http.StatusOK && json.Unmarshal(a.env.DATA, &p) == nil && len(p.Result) > 0 && p.Result[0]["userid"] != "" {
		w.creds.UserID = p.Result[0]["userid"]
		return nil
	}
	return fmt.Errorf("%w: the Mopay account's user id is unknown: its login answer carried none, the target gives none (systems.mopay.params.userid, --mopay-userid), and it has no notice to read it from", godog.ErrSkip)
}

func (w *world) credentialsFrom(a *answer) error {
	if a.status != http.StatusOK {
		return fmt.Errorf("%s answered %d: %s", a.action, a.status, steps.Clip(a.body))
	}
	var c credentials
	if err := json.Unmarshal(a.env.DATA, &c); err != nil || c.PbcKey == "" || c.Secret == "" {
		return fmt.Errorf("%s: DATA has no pbcKey and secret: %s", a.action, steps.Clip(a.body))
	}
	w.old, w.creds, w.shared = w.creds, &c, false
	return nil
}

func (w *world) profileBody(email, password, pushToken string) []byte {
	body := map[string]string{"fsnm": "Ada", "lsnm": "Obi", "emal": email, "pswd": password,
		"devt": "Web", "devs": w.device, "devn": "Herald conformance suite"}
	if pushToken != "" {
		body["tktp"], body["phtk"], body["chid"] = "ExponentPushToken", pushToken, "herald"
	}
	b, _ := json.Marshal(body)
	return b
}

func (w *world) registerAccount(pushToken string) error {
	w.email, w.password, w.device = uniqueEmail("herald"), "Herald-Suite-1", newDevice()
	a, err := w.call(request{action: "user_profile_create", body: w.profileBody(w.email, w.password, pushToken), sign: signing{skip: true}})
	if err != nil {
		return err
	}
	return w.credentialsFrom(a)
}

// hasAccount reports whether the target gives an account to sign in to.
func (w *world) hasAccount() bool {
	return w.target.Param(System, ParamEmail) != "" || w.target.Param(System, ParamKey) != ""
}

// signIn gets a key pair for the target's account, changing nothing that
// outlives the run: it logs in with the account's email and password, on a
// device of its own, or takes the issued key pair the target gives.
func (w *world) signIn() error {
	if w.target.Param(System, ParamEmail) != "" {
		return w.logIn()
	}
	key, secret := w.target.Param(System, ParamKey), w.target.Param(System, ParamSecret)
	switch {
	case key == "":
		return fmt.Errorf("target %s names no Mopay account: give --mopay-email and HERALD_MOPAY_PASSWORD, or --mopay-key and HERALD_MOPAY_SECRET", w.target.Name)
	case secret == "":
		return fmt.Errorf("target %s gives a Mopay key (--mopay-key, systems.mopay.params.key) but no secret: give HERALD_MOPAY_SECRET", w.target.Name)
	}
	w.creds, w.shared = &credentials{UserID: w.target.Param(System, ParamUserID), PbcKey: key, Secret: secret}, true
	return nil
}

// logIn logs in to the target's account on a new device serial, so that
// scenarios at once never revoke each other's key pair, even on a
// deployment that issues one pair per device.
func (w *world) logIn() error {
	if w.target.Param(System, ParamEmail) == "" {
		return fmt.Errorf("target %s names no Mopay account to log in to: give --mopay-email and HERALD_MOPAY_PASSWORD", w.target.Name)
	}
	w.email, w.password, w.device = w.target.Param(System, ParamEmail), w.target.Param(System, ParamPassword), newDevice()
	acct := account(w.base, w.email, w.password)
	if err := w.refusal.earlier(acct); err != nil {
		return err
	}
	a, err := w.login()
	if err := w.refusal.login(acct, a, err); err != nil {
		return err
	}
	if w.creds.UserID == "" {
		w.creds.UserID = w.target.Param(System, ParamUserID)
	}
	return nil
}

// logInWrongly tries to log in to email with a password that is not its
// own (one that follows the documented rules, and that no password of the
// suite's is).
func (w *world) logInWrongly(email string) error {
	wrong := "Wrong-" + newDevice()[len("herald-suite-"):] + "A1"
	body, _ := json.Marshal(map[string]string{"emal": email, "pswd": wrong, "devt": "Web", "devs": newDevice(), "devn": "Herald conformance suite"})
	return w.do(request{action: "user_profile_login", body: body, sign: signing{skip: true}})
}

// loginAgain logs in again on the device of the last login.
func (w *world) loginAgain() error {
	if w.email == "" || w.device == "" {
		return fmt.Errorf("no login to repeat: log in to Mopay with the account's email and password first")
	}
	_, err := w.login()
	return err
}

// login logs in with the world's email, password and device, and returns
// the answer with the error, if any.
func (w *world) login() (*answer, error) {
	body := map[string]string{"emal": w.email, "pswd": w.password, "devt": "Web", "devs": w.device, "devn": "Herald conformance suite"}
	b, _ := json.Marshal(body)
	a, err := w.call(request{action: "user_profile_login", body: b, sign: signing{skip: true}})
	if err != nil {
		return a, err
	}
	return a, w.credentialsFrom(a)
}

var (
	hex64  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	hex128 = regexp.MustCompile(`^[0-9a-f]{128}$`)
)

func (w *world) answerCarriesKeys() error {
	if w.creds == nil || !hex64.MatchString(w.creds.PbcKey) || !hex128.MatchString(w.creds.Secret) {
		return fmt.Errorf("expected a 64-hex pbcKey and a 128-hex secret, but actual is %s", steps.Clip(w.last.body))
	}
	return nil
}

func (w *world) repeat(n int, action string) error {
	w.answers = nil
	for i := 0; i < n; i++ {
		a, err := w.call(request{action: action})
		if err != nil {
			return fmt.Errorf("call %d of %d: %w", i+1, n, err)
		}
		w.answers = append(w.answers, a)
	}
	return nil
}

func (w *world) lastAnswer() (*answer, error) {
	if w.last == nil {
		return nil, fmt.Errorf("no call was made")
	}
	return w.last, nil
}

func (w *world) succeeds() error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	return succeeded(a)
}

func succeeded(a *answer) error {
	if a.status != http.StatusOK || a.env.REQUEST.STATUS != "OK" {
		return fmt.Errorf("expected status 200 with STATUS OK, but actual is %d: %s", a.status, steps.Clip(a.body))
	}
	if a.action != "" && a.env.REQUEST.ACTION != a.action {
		return fmt.Errorf("expected ACTION %q, but actual is %q", a.action, a.env.REQUEST.ACTION)
	}
	return nil
}

func (w *world) failsWith(key, name string, code int) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	e := a.env.ERRORS
	if e == nil || a.env.REQUEST.STATUS != "FAILED" {
		return fmt.Errorf("expected a FAILED envelope with ERRORS, but actual is %d: %s", a.status, steps.Clip(a.body))
	}
	if e.CODE != code {
		return fmt.Errorf("expected ERRORS.CODE %d, but actual is %d: %s", code, e.CODE, steps.Clip(a.body))
	}
	if err := w.statusFits(a); err != nil {
		return err
	}
	got, other, otherKey := e.MSG, e.ID, "ID"
	if key == "ID" {
		got, other, otherKey = e.ID, e.MSG, "MSG"
	}
	if got == nil || *got != name {
		return fmt.Errorf("expected ERRORS.%s %q, but actual is %s", key, name, steps.Clip(a.body))
	}
	if other != nil {
		return fmt.Errorf("expected no ERRORS.%s beside ERRORS.%s, but actual is %s", otherKey, key, steps.Clip(a.body))
	}
	if a.action != "" && a.env.REQUEST.ACTION != a.action {
		return fmt.Errorf("expected ACTION %q, but actual is %q", a.action, a.env.REQUEST.ACTION)
	}
	if !mpsReference.MatchString(e.DETAILS) {
		return fmt.Errorf("expected DETAILS to end with (MPS + 15 digits), but actual is %q", e.DETAILS)
	}
	return nil
}

// statusFits checks the HTTP status of a FAILED answer against its
// ERRORS.CODE. The vendor documents only CODE, in HTTP's own numbers (401
// unauthorised, 400, 409, 500), so every target must answer in the same
// class (a client error as a 4xx, a server error as a 5xx; never a 2xx);
// that the status equals CODE is Herald's design, held to a Herald only.
func (w *world) statusFits(a *answer) error {
	code := a.env.ERRORS.CODE
	if w.target.IsHerald() {
		if a.status != code {
			return fmt.Errorf("expected the HTTP status to equal ERRORS.CODE %d (Herald's design), but actual is %d: %s", code, a.status, steps.Clip(a.body))
		}
		return nil
	}
	if a.status/100 != code/100 || code < 400 {
		return fmt.Errorf("expected an HTTP status of the class of ERRORS.CODE %d (%dxx), but actual is %d: %s", code, code/100, a.status, steps.Clip(a.body))
	}
	return nil
}

// refused checks what the vendor documents of a refusal, whatever Herald
// names it: a FAILED envelope with ERRORS.CODE code (any client error when
// code is 0), under an HTTP status that fits it.
func (w *world) refused(code int) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	e := a.env.ERRORS
	if e == nil || a.env.REQUEST.STATUS != "FAILED" {
		return fmt.Errorf("expected the call refused in a FAILED envelope with ERRORS, but actual is %d: %s", a.status, steps.Clip(a.body))
	}
	if (code != 0 && e.CODE != code) || (code == 0 && (e.CODE < 400 || e.CODE > 499)) {
		want := "a client error (4xx)"
		if code != 0 {
			want = strconv.Itoa(code)
		}
		return fmt.Errorf("expected the call refused with ERRORS.CODE %s, but actual is %d: %s", want, e.CODE, steps.Clip(a.body))
	}
	if a.action != "" && a.env.REQUEST.ACTION != a.action {
		return fmt.Errorf("expected ACTION %q, but actual is %q", a.action, a.env.REQUEST.ACTION)
	}
	return w.statusFits(a)
}

func (w *world) detailsMention(s string) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if a.env.ERRORS == nil || !strings.Contains(a.env.ERRORS.DETAILS, s) {
		return fmt.Errorf("expected DETAILS to mention %q, but actual is %s", s, steps.Clip(a.body))
	}
	return nil
}

// header checks that the last answer has a header, with a value when given.
func (w *world) header(name, value string) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	got, ok := a.header[http.CanonicalHeaderKey(name)]
	if !ok || len(got) == 0 {
		return fmt.Errorf("expected a %s header, but actual has none", name)
	}
	if value != "" && got[0] != value {
		return fmt.Errorf("expected %s: %s, but actual is %s", name, value, got[0])
	}
	return nil
}

func (w *world) allSucceed() error {
	if len(w.answers) == 0 {
		return fmt.Errorf("no repeated calls were made")
	}
	for i, a := range w.answers {
		if err := succeeded(a); err != nil {
			return fmt.Errorf("call %d: %w", i+1, err)
		}
	}
	return nil
}

func (w *world) records() ([]map[string]string, error) {
	a, err := w.lastAnswer()
	if err != nil {
		return nil, err
	}
	var rs []map[string]string
	if err := json.Unmarshal(a.env.DATA, &rs); err != nil {
		return nil, fmt.Errorf("expected DATA to be an array of records, but actual is %s", steps.Clip(a.body))
	}
	return rs, nil
}

func (w *world) dataHolds(n int) error {
	rs, err := w.records()
	if err != nil {
		return err
	}
	if len(rs) != n {
		return fmt.Errorf("expected %d records in DATA, but actual is %d", n, len(rs))
	}
	return nil
}

func (w *world) dataHoldsAtLeast(n int) error {
	rs, err := w.records()
	if err != nil {
		return err
	}
	if len(rs) < n {
		return fmt.Errorf("expected at least %d records in DATA, but actual is %d", n, len(rs))
	}
	return nil
}

// everyRecordHas checks a field of every record of DATA; with ifOK, a
// FAILED answer has no records to check.
func (w *world) everyRecordHas(field, value string, ifOK bool) error {
	if a, err := w.lastAnswer(); err == nil && ifOK && a.env.REQUEST.STATUS == "FAILED" {
		return nil
	}
	rs, err := w.records()
	if err != nil {
		return err
	}
	if value, err = w.expand(value); err != nil {
		return err
	}
	for i, r := range rs {
		if !strings.EqualFold(r[field], value) {
			return fmt.Errorf("expected every record to have %s %q, but record %d has %q", field, value, i, r[field])
		}
	}
	return nil
}

func (w *world) dataNewestFirst() error {
	rs, err := w.records()
	if err != nil {
		return err
	}
	_, err = newestFirst(rs, 1<<62, false)
	return err
}

// newestFirst checks that recorded times never increase, starting below
// prev (strictly below, with afterCursor: the first record of the page after
// a cursor), and returns the last one.
func newestFirst(rs []map[string]string, prev int64, afterCursor bool) (int64, error) {
	last := prev
	for i, r := range rs {
		t, err := strconv.ParseInt(r["recorded"], 10, 64)
		if err != nil {
			return last, fmt.Errorf("record %d: recorded %q is not unix seconds", i, r["recorded"])
		}
		if t > last || (i == 0 && afterCursor && t == last) {
			return last, fmt.Errorf("expected newest first, but record %d (recorded %d) is not older than the one before it (%d)", i, t, last)
		}
		last = t
	}
	return last, nil
}

// sameAsBefore checks that the last answer says what the one before said:
// the same status, envelope status and DATA (or error name and code).
func (w *world) sameAsBefore() error {
	a, b := w.last, w.before
	if a == nil || b == nil {
		return fmt.Errorf("two calls are needed to compare answers")
	}
	same := a.status == b.status && a.env.REQUEST.STATUS == b.env.REQUEST.STATUS && jsonEqual(a.env.DATA, b.env.DATA)
	if ea, eb := a.env.ERRORS, b.env.ERRORS; same && (ea != nil || eb != nil) {
		same = ea != nil && eb != nil && ea.CODE == eb.CODE && fmt.Sprint(deref(ea.ID), deref(ea.MSG)) == fmt.Sprint(deref(eb.ID), deref(eb.MSG))
	}
	if !same {
		return fmt.Errorf("expected the same answer as the call before, but actual is %d: %s\nbefore, %d: %s", a.status, steps.Clip(a.body), b.status, steps.Clip(b.body))
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// jsonEqual compares two JSON values, whatever their spacing and key order.
func jsonEqual(a, b json.RawMessage) bool {
	var va, vb any
	errA, errB := json.Unmarshal(a, &va), json.Unmarshal(b, &vb)
	if errA != nil || errB != nil {
		return errA != nil && errB != nil && bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}

func (w *world) dataFieldIs(field, value string) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	var data map[string]any
	if err := json.Unmarshal(a.env.DATA, &data); err != nil {
		return fmt.Errorf("expected DATA to be an object, but actual is %s", steps.Clip(a.body))
	}
	if got := fmt.Sprint(data[field]); got != value {
		return fmt.Errorf("expected DATA.%s %q, but actual is %q", field, value, got)
	}
	return nil
}

// remember keeps a field of DATA's first record for a later step; with
// notMine, of the first record of another user than the signed-in one, when
// there is one (else of the first record: the check that uses it is then
// weaker, not wrong).
func (w *world) remember(field string, notMine bool) error {
	rs, err := w.records()
	if err != nil {
		return err
	}
	if len(rs) == 0 || rs[0][field] == "" {
		return fmt.Errorf("DATA has no record with a %s: %s", field, steps.Clip(w.last.body))
	}
	r := rs[0]
	for _, other := range rs {
		if notMine && w.creds != nil && w.creds.UserID != "" && other["userid"] != w.creds.UserID && other[field] != "" {
			r = other
			break
		}
	}
	if w.remembered == nil {
		w.remembered = map[string]string{}
	}
	w.remembered[field] = r[field]
	return nil
}

// stillServes checks that Mopay still answers, after a request meant to
// upset it: a signed call is authenticated (it succeeds, or finds no
// notice, the documented response_empty), or, with no account to sign in
// to, an unsigned one is refused as documented.
func (w *world) stillServes() error {
	if w.creds == nil && w.hasAccount() {
		if err := w.signIn(); err != nil {
			return fmt.Errorf("the target's Mopay stopped serving: %w", err)
		}
	}
	if w.creds == nil {
		if err := w.do(request{action: "user_notice_fetch", sign: signing{skip: true}}); err != nil {
			return fmt.Errorf("the target's Mopay stopped serving: %w", err)
		}
		return w.failsWith("ID", "rqat_required", http.StatusUnauthorized)
	}
	if err := w.do(request{action: "user_notice_fetch"}); err != nil {
		return fmt.Errorf("the target's Mopay stopped serving: %w", err)
	}
	if w.succeeds() == nil {
		return nil
	}
	if err := w.failsWith("MSG", "response_empty", http.StatusUnauthorized); err != nil {
		return fmt.Errorf("the target's Mopay stopped serving a signed call: %w", err)
	}
	return nil
}

// walkNotices follows the pagination cursor until an answer is not a page.
func (w *world) walkNotices() error {
	w.pages = nil
	q := url.Values{}
	for i := 0; i < 1000; i++ {
		a, err := w.call(request{action: "user_notice_fetch", query: q})
		if err != nil {
			return err
		}
		if a.status != http.StatusOK {
			return nil
		}
		var p noticePage
		if err := json.Unmarshal(a.env.DATA, &p); err != nil {
			return fmt.Errorf("page %d: DATA is not a notice page: %s", i+1, steps.Clip(a.body))
		}
		w.pages = append(w.pages, p)
		if p.Cursor == q.Get("page") {
			return fmt.Errorf("page %d: the cursor %s did not move", i+1, p.Cursor)
		}
		q = url.Values{"page": {p.Cursor}}
	}
	return fmt.Errorf("more than 1000 pages of notices")
}

func (w *world) pagesAtMost(n int) error {
	if len(w.pages) == 0 {
		return fmt.Errorf("expected at least one page of notices, but actual is none")
	}
	for i, p := range w.pages {
		if len(p.Result) == 0 || len(p.Result) > n {
			return fmt.Errorf("expected page %d to hold 1 to %d notices, but actual is %d", i+1, n, len(p.Result))
		}
	}
	return nil
}

// noticesNewestFirst checks the order of every page, and that each page
// starts older than the one before ended: no notice comes twice.
func (w *world) noticesNewestFirst() error {
	last := int64(1 << 62)
	seen := map[string]int{}
	for i, p := range w.pages {
		var err error
		if last, err = newestFirst(p.Result, last, i > 0); err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
		}
		for _, r := range p.Result {
			if at, dup := seen[r["marker"]]; dup {
				return fmt.Errorf("notice %s comes on page %d and again on page %d", r["marker"], at, i+1)
			}
			seen[r["marker"]] = i + 1
		}
	}
	return nil
}

func (w *world) cursorsMatch() error {
	for i, p := range w.pages {
		if len(p.Result) == 0 {
			continue
		}
		if last := p.Result[len(p.Result)-1]["recorded"]; p.Cursor != last {
			return fmt.Errorf("expected page %d's cursor to be %s, the recorded time of its last notice, but actual is %s", i+1, last, p.Cursor)
		}
	}
	return nil
}

// noticesMine checks that every notice is the signed-in user's: of the
// account's user id when known, else of one user throughout.
func (w *world) noticesMine() error {
	if w.creds == nil {
		return fmt.Errorf("sign in first")
	}
	me, known := w.creds.UserID, w.creds.UserID != ""
	for i, p := range w.pages {
		for _, r := range p.Result {
			if me == "" {
				me = r["userid"]
			}
			if r["userid"] != me {
				whose := "the first notice's user, " + me
				if known {
					whose = "the signed-in account, " + me
				}
				return fmt.Errorf("page %d: expected only notices of %s, but %s belongs to %s", i+1, whose, r["marker"], r["userid"])
			}
		}
	}
	return nil
}

func (w *world) pagesHold(list string) error {
	var want []int
	for _, f := range regexp.MustCompile(`\d+`).FindAllString(list, -1) {
		n, _ := strconv.Atoi(f)
		want = append(want, n)
	}
	var got []int
	for _, p := range w.pages {
		got = append(got, len(p.Result))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("expected pages of %v notices, but actual is %v", want, got)
	}
	return nil
}

func (w *world) seenInAll(n int) error {
	total := 0
	for _, p := range w.pages {
		total += len(p.Result)
	}
	if total != n {
		return fmt.Errorf("expected %d notices in all, but actual is %d", n, total)
	}
	return nil
}

func (w *world) afterLastPage() error {
	if len(w.pages) == 0 {
		return fmt.Errorf("walk the pages first")
	}
	cursor := w.pages[len(w.pages)-1].Cursor
	return w.do(request{action: "user_notice_fetch", query: url.Values{"page": {cursor}}})
}
