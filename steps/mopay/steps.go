package mopay

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
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
	sc.Step(`^I am logged in as the Mopay account with notices$`, on((*world).loginNoticeAccount))
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
		return w.do(request{method: m, rawRef: w.expand(ref), sign: signing{skip: true}})
	}))
	sc.Step(`^I send a (GET|POST|PUT|DELETE|PATCH) to "([^"]*)" signed$`, on(func(w *world, m, ref string) error {
		return w.do(request{method: m, rawRef: w.expand(ref)})
	}))
	sc.Step(`^I send a (GET|POST) to "([^"]*)" with body:$`, on(func(w *world, m, ref string, doc *godog.DocString) error {
		return w.do(request{method: m, rawRef: w.expand(ref), body: []byte(w.expand(doc.Content)), sign: signing{skip: true}})
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
	sc.Step(`^every record in DATA has "([^"]*)" equal to "([^"]*)"$`, on((*world).everyRecordHas))
	sc.Step(`^the records in DATA are newest first$`, on((*world).dataNewestFirst))
	sc.Step(`^DATA has "([^"]*)" equal to "([^"]*)"$`, on((*world).dataFieldIs))
	sc.Step(`^I remember the marker of the first record in DATA$`, on((*world).rememberMarker))
	sc.Step(`^Mopay still answers a signed call$`, on((*world).stillServes))

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
	values, err := url.ParseQuery(w.expand(q))
	if err != nil {
		return fmt.Errorf("query %q: %w", q, err)
	}
	r.query = values
	return w.do(r)
}

// expand replaces {userid}, {email}, {code} and {marker} in step text.
func (w *world) expand(s string) string {
	repl := []string{"{email}", w.email, "{code}", w.code, "{marker}", w.marker()}
	if w.creds != nil {
		repl = append(repl, "{userid}", w.creds.UserID)
	}
	return strings.NewReplacer(repl...).Replace(s)
}

func (w *world) marker() string { return w.remembered }

func (w *world) credentialsFrom(a *answer) error {
	if a.status != http.StatusOK {
		return fmt.Errorf("%s answered %d: %s", a.action, a.status, steps.Clip(a.body))
	}
	var c credentials
	if err := json.Unmarshal(a.env.DATA, &c); err != nil || c.PbcKey == "" || c.Secret == "" {
		return fmt.Errorf("%s: DATA has no pbcKey and secret: %s", a.action, steps.Clip(a.body))
	}
	w.old, w.creds = w.creds, &c
	return nil
}

func (w *world) profileBody(email, password, pushToken string) []byte {
	body := map[string]string{"fsnm": "Ada", "lsnm": "Obi", "emal": email, "pswd": password,
		"devt": "Web", "devs": "herald-suite-device", "devn": "Herald conformance suite"}
	if pushToken != "" {
		body["tktp"], body["phtk"], body["chid"] = "ExponentPushToken", pushToken, "herald"
	}
	b, _ := json.Marshal(body)
	return b
}

func (w *world) registerAccount(pushToken string) error {
	w.email, w.password = uniqueEmail("herald"), "Herald-Suite-1"
	a, err := w.call(request{action: "user_profile_create", body: w.profileBody(w.email, w.password, pushToken), sign: signing{skip: true}})
	if err != nil {
		return err
	}
	return w.credentialsFrom(a)
}

func (w *world) loginNoticeAccount() error {
	if w.target.Param(System, ParamEmail) == "" {
		return fmt.Errorf("target %s names no Mopay account with notices (set --mopay-email and HERALD_MOPAY_PASSWORD)", w.target.Name)
	}
	w.email, w.password = w.target.Param(System, ParamEmail), w.target.Param(System, ParamPassword)
	return w.loginAgain()
}

func (w *world) loginAgain() error {
	body := map[string]string{"emal": w.email, "pswd": w.password, "devt": "Web", "devs": "herald-suite-device", "devn": "Herald conformance suite"}
	b, _ := json.Marshal(body)
	a, err := w.call(request{action: "user_profile_login", body: b, sign: signing{skip: true}})
	if err != nil {
		return err
	}
	return w.credentialsFrom(a)
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
	if a.status != code || e.CODE != code {
		return fmt.Errorf("expected HTTP status and ERRORS.CODE %d, but actual are %d and %d: %s", code, a.status, e.CODE, steps.Clip(a.body))
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

// refused checks what the vendor documents of a refusal, whatever Herald
// names it: a client error (code, when not 0) in the FAILED envelope.
func (w *world) refused(code int) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if a.status < 400 || a.status > 499 || (code != 0 && a.status != code) {
		want := "a client error (4xx)"
		if code != 0 {
			want = fmt.Sprintf("status %d", code)
		}
		return fmt.Errorf("expected the call refused with %s, but actual is %d: %s", want, a.status, steps.Clip(a.body))
	}
	if e := a.env.ERRORS; e == nil || a.env.REQUEST.STATUS != "FAILED" {
		return fmt.Errorf("expected a FAILED envelope with ERRORS, but actual is %d: %s", a.status, steps.Clip(a.body))
	}
	return nil
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

func (w *world) everyRecordHas(field, value string) error {
	rs, err := w.records()
	if err != nil {
		return err
	}
	value = w.expand(value)
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
	return newestFirst(rs, nil, false)
}

// newestFirst checks that recorded times decrease (strictly, for cursor
// pages, whose cursor would otherwise skip records), continuing from prev.
func newestFirst(rs []map[string]string, prev *int64, strict bool) error {
	last := int64(1 << 62)
	if prev != nil {
		last = *prev
	}
	for i, r := range rs {
		t, err := strconv.ParseInt(r["recorded"], 10, 64)
		if err != nil {
			return fmt.Errorf("record %d: recorded %q is not unix seconds", i, r["recorded"])
		}
		if t > last || (strict && t == last) {
			return fmt.Errorf("expected newest first, but record %d (recorded %d) is not older than the one before (%d)", i, t, last)
		}
		last = t
	}
	if prev != nil {
		*prev = last
	}
	return nil
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

func (w *world) rememberMarker() error {
	rs, err := w.records()
	if err != nil {
		return err
	}
	if len(rs) == 0 || rs[0]["marker"] == "" {
		return fmt.Errorf("DATA has no record with a marker")
	}
	w.remembered = rs[0]["marker"]
	return nil
}

func (w *world) stillServes() error {
	if err := w.registerAccount(""); err != nil {
		return fmt.Errorf("Mopay stopped serving: %w", err)
	}
	if err := w.do(request{action: "user_notice_fetch"}); err != nil {
		return err
	}
	return w.succeeds()
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

func (w *world) noticesNewestFirst() error {
	last := int64(1 << 62)
	for i, p := range w.pages {
		if err := newestFirst(p.Result, &last, true); err != nil {
			return fmt.Errorf("page %d: %w", i+1, err)
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

func (w *world) noticesMine() error {
	for i, p := range w.pages {
		for _, r := range p.Result {
			if r["userid"] != w.creds.UserID {
				return fmt.Errorf("page %d: expected only notices of %s, but %s belongs to %s", i+1, w.creds.UserID, r["marker"], r["userid"])
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
