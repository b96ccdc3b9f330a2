package console_test

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"herald/simulator/heraldtest"
)

// rowWith is a script that finds the newest journal row whose text holds
// every one of the words.
func rowWith(words ...string) string {
	var conds []string
	for _, w := range words {
		conds = append(conds, "r.textContent.includes("+strconv.Quote(w)+")")
	}
	return `Array.from(document.querySelectorAll('#journal-list .entry')).find(function (r) { return ` + strings.Join(conds, " && ") + ` })`
}

// openRow clicks the newest row holding the words and waits for its detail.
func (b *browser) openRow(words ...string) {
	b.t.Helper()
	b.until("a row with "+strings.Join(words, ", "), rowWith(words...))
	id := eval[string](b, rowWith(words...)+`.dataset.id`)
	b.run(chromedp.Click(chromedp.CSS(`#journal-list .entry[data-id="` + id + `"]`)))
	b.until("the exchange's detail", `document.querySelector('#detail').dataset.id === `+strconv.Quote(id))
}

// signedHeaders are Mopay's three signing headers at the simulator clock's
// second ts; a wrong secret gives a signature that does not match.
func signedHeaders(pbcKey, secret string, ts int64) map[string]string {
	stamp := strconv.FormatInt(ts, 10)
	mac := hmac.New(sha512.New, []byte(secret))
	mac.Write([]byte(`{"timestamp":"` + stamp + `"}`))
	return map[string]string{"MPY-SECUREKEY": pbcKey, "MPY-TIMESTAMP": stamp, "MPY-REQSIGNAL": hex.EncodeToString(mac.Sum(nil))}
}

// The console opens on the journal, reads the clock and the worlds, and
// tails the journal live.
func TestConsoleOpens(t *testing.T) {
	s := heraldtest.New(t, heraldtest.WithClock(start, true))
	w := s.World(t)
	b := newBrowser(t)
	b.open(s, "")
	b.until("the live tail", `document.querySelector('#live').dataset.state === 'live'`)
	if got := b.text("#clock-now"); got != "2026-05-01T12:00:00Z" {
		t.Errorf("clock %q", got)
	}
	if got := b.text("#clock-state"); got != "frozen" {
		t.Errorf("clock state %q", got)
	}
	b.until("the world in the list", `document.querySelector('#world option[value="`+w.ID+`"]')`)
	b.until("the systems in the filter", `document.querySelector('#f-system option[value="mopay"]')`)
	if !eval[bool](b, `!document.querySelector('#view-journal').hidden && document.querySelector('#view-inbox').hidden`) {
		t.Error("the journal is not the view shown")
	}
	b.shot("opened")

	// The clock moves from the page.
	b.run(chromedp.Click(chromedp.CSS(".clock-menu summary")),
		chromedp.SetValue(chromedp.CSS("#clock-advance-by"), "90m"),
		chromedp.Click(chromedp.CSS("#clock-advance")))
	b.until("the clock advanced", `document.querySelector('#clock-now').textContent === '2026-05-01T13:30:00Z'`)
	var c struct{ Now string }
	s.Control(t, http.MethodGet, "clock", nil, &c)
	if c.Now != "2026-05-01T13:30:00Z" {
		t.Errorf("the server's clock is %s", c.Now)
	}
	b.run(chromedp.SetValue(chromedp.CSS("#clock-set-value"), "2026-02-03T04:05:06Z"), chromedp.Click(chromedp.CSS("#clock-set")))
	b.until("the clock set", `document.querySelector('#clock-now').textContent === '2026-02-03T04:05:06Z'`)

	// Switching world sends every call to the world's control API.
	w.Control(t, nil, http.MethodPut, "clock", map[string]any{"now": "2030-01-01T00:00:00Z", "frozen": true}, nil)
	b.run(chromedp.SetValue(chromedp.CSS("#world"), w.ID))
	eval[bool](b, `document.querySelector('#world').dispatchEvent(new Event('change'))`)
	b.until("the world's clock", `document.querySelector('#clock-now').textContent === '2030-01-01T00:00:00Z'`)
	status, _ := do(t, s.Client, "POST", w.URLs["mopay"]+"user_profile_create", nil, `{"fsnm":"In","lsnm":"World","emal":"in.world@example.com","pswd":"Passw0rdX","devt":"Web","devs":"w","devn":"w"}`)
	if status != 200 {
		t.Fatalf("register in the world: %d", status)
	}
	b.until("the world's exchange", rowWith("user_profile_create"))
	if n := b.nodeCount("#journal-list .entry"); n != 1 {
		t.Errorf("%d rows in the world's journal, want 1", n)
	}
}

// A refused Mopay request appears live, with why it was refused.
func TestRefusedRequestAppearsLive(t *testing.T) {
	s := heraldtest.New(t, heraldtest.WithClock(start, true))
	b := newBrowser(t)
	b.open(s, "journal")
	b.until("the live tail", `document.querySelector('#live').dataset.state === 'live'`)

	key := mopayUser(t, s)
	b.until("the registration, live", rowWith("user_profile_create", "200"))
	status, body := do(t, s.Client, "GET", s.URLs["mopay"]+"user_notice_fetch", signedHeaders(key, "not-the-secret", start.Unix()), "")
	if status != 401 || !strings.Contains(body, "signature_invalid") {
		t.Fatalf("a wrong signature: %d %s", status, body)
	}
	b.until("the refused request, live", rowWith("user_notice_fetch", "401", "refused"))
	row := eval[string](b, rowWith("user_notice_fetch", "401")+`.textContent`)
	if !strings.Contains(row, `{"timestamp":"`+strconv.FormatInt(start.Unix(), 10)+`"}`) {
		t.Errorf("the row does not say what the signature was computed over: %s", row)
	}
	b.openRow("user_notice_fetch", "401")
	auth := b.text("#detail .auth")
	if !strings.Contains(auth, "refused") || !strings.Contains(auth, `{"timestamp":"`) {
		t.Errorf("the authentication shown: %s", auth)
	}
	if d := b.text("#detail"); strings.Contains(d, key) {
		t.Errorf("the detail shows the key %s", key)
	}
	b.shot("refused")

	// Filters: refused only, then by text.
	b.run(chromedp.SetValue(chromedp.CSS("#f-verdict"), "refused"))
	eval[bool](b, `document.querySelector('#f-verdict').dispatchEvent(new Event('change'))`)
	b.until("the refused ones alone", `!`+rowWith("user_profile_create")+` && `+rowWith("user_notice_fetch"))

	// Clear forgets the world's exchanges.
	b.run(chromedp.Click(chromedp.CSS("#journal-clear")))
	b.until("the journal cleared", `document.querySelectorAll('#journal-list .entry').length === 0 && !document.querySelector('#journal-empty').hidden`)
	var page struct{ Matched int }
	s.Control(t, http.MethodGet, "journal", nil, &page)
	if page.Matched != 0 {
		t.Errorf("%d exchanges kept after clear", page.Matched)
	}
}

// A request whose body breaks the schema shows its pointer, in the
// refusal and in the body.
func TestViolationPointer(t *testing.T) {
	s := heraldtest.New(t, heraldtest.WithClock(start, true))
	status, body := do(t, s.Client, "POST", s.URLs["mopay"]+"user_profile_create", nil,
		`{"fsnm":"Ana","lsnm":"Rusu","emal":12345,"pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`)
	if status < 400 {
		t.Fatalf("a number for emal: %d %s", status, body)
	}
	b := newBrowser(t)
	b.open(s, "journal")
	b.openRow("user_profile_create", strconv.Itoa(status))
	refusal := b.text("#detail .refusal")
	if !strings.Contains(b.text("#detail .refusal .pointer"), "/emal") {
		t.Errorf("the refusal's pointer: %s", refusal)
	}
	if got := b.text(`#detail pre.body .hit[data-pointer="/emal"]`); got != "12345" {
		t.Errorf("the body's field at /emal is marked %q, want 12345", got)
	}
	b.shot("violation")
}

// What the page shows is hostile: a <script> and an <img onerror> in a
// request's path, header and body are shown as text, and never run.
func TestHostileInputStaysText(t *testing.T) {
	s := heraldtest.New(t, heraldtest.WithClock(start, true))
	const (
		script = `<script>window.__pwned=1</script>`
		img    = `<img src=x onerror="window.__pwned=2">`
		path   = `/mopay/<script>window.__pwned=3</script><img/src=x/onerror=window.__pwned=4>`
	)
	b := newBrowser(t)
	b.open(s, "journal")
	b.until("the live tail", `document.querySelector('#live').dataset.state === 'live'`)

	body := `{"fsnm":"` + strings.ReplaceAll(script, `"`, `\"`) + `","lsnm":"` + strings.ReplaceAll(img, `"`, `\"`) + `","emal":"x@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`
	req, err := http.NewRequest("POST", s.URLs["mopay"]+"user_profile_create", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Note", img+script)
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ = http.NewRequest("GET", s.URL+"/", nil)
	req.URL.Opaque = path // sent as it is, not escaped
	req.Header.Set("X-Note", script)
	if resp, err = s.Client.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	b.until("the hostile path, live", rowWith("window.__pwned=3"))
	if row := eval[string](b, rowWith("window.__pwned=3")+`.querySelector('.path').textContent`); !strings.Contains(row, "<script>window.__pwned=3</script><img/src=x/onerror=window.__pwned=4>") {
		t.Errorf("the path is shown as %q", row)
	}
	b.openRow("window.__pwned=3")
	if d := b.text("#detail"); !strings.Contains(d, "<script>window.__pwned=3</script>") || !strings.Contains(d, script) {
		t.Errorf("the detail does not show the path and header as text: %s", d)
	}
	b.openRow("user_profile_create")
	d := b.text("#detail")
	for _, want := range []string{img + script, `"<script>window.__pwned=1</script>"`, `"<img src=x onerror=\"window.__pwned=2\">"`} {
		if !strings.Contains(d, want) {
			t.Errorf("the detail lacks %s as text", want)
		}
	}
	b.shot("hostile")
	if n := b.nodeCount("img"); n != 0 {
		t.Errorf("%d <img> elements in the page", n)
	}
	if n := b.nodeCount("script"); n != 1 {
		t.Errorf("%d <script> elements in the page, want the console's own", n)
	}
	// And in the MNotify inbox, a subject and body.
	client, err := s.MNotifyClient("sender-a")
	if err != nil {
		t.Fatal(err)
	}
	if status, answer := do(t, client, "POST", s.URLs["mnotify"]+"api/Notification", nil, `{"subject":{"ro":"<script>window.__pwned=5</script>"},`+
		`"body":{"ro":"<img src=x onerror=\"window.__pwned=6\">"},"recipients":[{"value":"x@example.md","type":"Email"}],"priority":"Low"}`); status >= 300 {
		t.Fatalf("notification: %d %s", status, answer)
	}
	b.run(chromedp.Click(chromedp.CSS("#tab-inbox")))
	b.until("the hostile message", `document.querySelector('#inbox .message[data-to="x@example.md"]')`)
	if m := b.text(`#inbox .message[data-to="x@example.md"]`); !strings.Contains(m, "<script>window.__pwned=5</script>") || !strings.Contains(m, `<img src=x onerror="window.__pwned=6">`) {
		t.Errorf("the message is shown as %s", m)
	}
	if n := b.nodeCount("img"); n != 0 {
		t.Errorf("%d <img> elements in the inbox", n)
	}
	if n := b.nodeCount("script"); n != 1 {
		t.Errorf("%d <script> elements in the page, want the console's own", n)
	}
	if pwned := eval[bool](b, `window.__pwned !== undefined`); pwned {
		t.Errorf("a script from the input ran: window.__pwned = %s", eval[string](b, `String(window.__pwned)`))
	}
}

// With a control token, the page asks for it, then loads; the token is
// sent in a header, never in a URL.
func TestControlToken(t *testing.T) {
	const token = "console-test-token-5b1e"
	s := heraldtest.New(t, heraldtest.WithClock(start, true), heraldtest.WithControlToken(token))
	key := mopayUser(t, s)
	do(t, s.Client, "GET", s.URLs["mopay"]+"user_notice_fetch", signedHeaders(key, "wrong", start.Unix()), "")
	b := newBrowser(t)
	b.expect("status of 401") // the calls before the token is given
	b.navigate(s, "journal")
	b.until("the token form", `!document.querySelector('#token-dialog').hidden`)
	if n := b.nodeCount("#journal-list .entry"); n != 0 {
		t.Errorf("%d rows shown without the token", n)
	}
	b.shot("token-form")

	b.run(chromedp.SetValue(chromedp.CSS("#token-input"), "not-it"), chromedp.Click(chromedp.CSS("#token-submit")))
	b.until("the wrong token refused", `!document.querySelector('#token-dialog').hidden && document.querySelector('#token-error').textContent.includes('refused')`)

	b.run(chromedp.SetValue(chromedp.CSS("#token-input"), token), chromedp.Click(chromedp.CSS("#token-submit")))
	b.until("the journal", rowWith("user_notice_fetch", "401"))
	b.until("the live tail", `document.querySelector('#live').dataset.state === 'live'`)
	if !eval[bool](b, `document.querySelector('#token-dialog').hidden`) {
		t.Error("the token form is still shown")
	}
	do(t, s.Client, "GET", s.URLs["mopay"]+"user_notice_fetch?page=1", signedHeaders(key, "wrong again", start.Unix()), "")
	b.until("an exchange, live", rowWith("user_notice_fetch?page=1"))
	b.run(chromedp.Click(chromedp.CSS("#journal-har")))
	for deadline := time.Now().Add(20 * time.Second); !slices.ContainsFunc(b.requested(), func(u string) bool { return strings.Contains(u, "/journal/har") }); {
		if time.Now().After(deadline) {
			t.Fatal("the HAR was not fetched")
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline
	}
	b.run(chromedp.Click(chromedp.CSS("#tab-inbox")))
	b.until("the inbox", `document.querySelector('#inbox .message')`)
	b.run(chromedp.Click(chromedp.CSS("#tab-deliveries")))
	b.until("the deliveries", `document.querySelector('#deliveries-count').textContent !== ''`)

	urls := b.requested()
	apiCalls := 0
	for _, u := range urls {
		if strings.Contains(u, token) {
			t.Errorf("the token is in a URL: %s", u)
		}
		if strings.Contains(u, "/_herald/v1/") {
			apiCalls++
		}
	}
	if apiCalls < 8 {
		t.Errorf("only %d control API calls seen: %v", apiCalls, urls)
	}
}
