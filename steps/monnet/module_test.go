package monnet

import (
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	messages "github.com/cucumber/messages/go/v21"

	"herald/fixtures"
	"herald/specs"
	wire "herald/specs/wire/monnet"
	"herald/steps"
)

// The module's name is the spec's: the one place it is written.
func TestSystemNameIsTheSpecs(t *testing.T) {
	doc, err := specs.Load(specs.Monnet)
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := doc.Info.Extensions["x-herald-system"].(string); name != System {
		t.Fatalf("steps call the system %q, its spec %q", System, name)
	}
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func note(order, id string) string {
	return `{"payout":{"id":"` + id + `","orderId":"` + order + `"},"output":{"stage":"SUCCESS","status":"PROCESSED"}}`
}

// The receiver routes by the URL's token on a Herald and by orderId from a
// real Monnet, acknowledges what is not its scenario's, and stops with the
// last scenario.
func TestReceiverRoutesEachNotificationToItsScenario(t *testing.T) {
	h := newReceiverHost()
	a, err := h.open("127.0.0.1:0", "", "22")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.open("", "", "22")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.url, "http://"+h.address+"/"+pathMarker) || a.url == b.url {
		t.Fatalf("URLs %s and %s", a.url, b.url)
	}
	h.expect(a, "A-1")
	h.expect(b, "B-1")
	b.setMode(answerWith{statuses: []int{500, 204}})

	if s := post(t, a.url, note("A-1", "1")); s != 200 {
		t.Errorf("a's own notification: %d", s)
	}
	if s := post(t, a.url, note("B-1", "2")); s != 200 || len(a.about("2")) != 0 || len(b.about("2")) != 0 {
		t.Errorf("another scenario's notification at a's URL: %d, recorded", s)
	}
	base := "http://" + h.address + "/"
	if s := post(t, base, note("B-1", "2")); s != 500 { // by orderId, as from a real Monnet
		t.Errorf("b by orderId: %d", s)
	}
	if s := post(t, base+"hook", note("B-1", "2")); s != 204 {
		t.Errorf("b again: %d", s)
	}
	if s := post(t, base, note("nobody", "3")); s != 200 || len(a.about("3"))+len(b.about("3")) != 0 {
		t.Errorf("an orderId no scenario expects: %d, or recorded", s)
	}
	if got := b.about("2"); len(got) != 2 || got[0].answered != 500 || got[1].answered != 204 || got[0].stage != "SUCCESS" {
		t.Errorf("b got %+v", got)
	}

	// The verifying mode refuses what does not verify.
	cert, _ := fixtures.Read(fixtures.MonnetNotifierCert)
	pub, err := wire.ParsePublicKey(cert)
	if err != nil {
		t.Fatal(err)
	}
	a.setMode(verifying{pub: pub})
	if s := post(t, a.url, note("A-1", "1")); s != http.StatusUnauthorized {
		t.Errorf("an unsigned notification to the verifying receiver: %d", s)
	}

	// A held request is let go when its scenario ends.
	a.setMode(answerWith{statuses: []int{200}, hangFirst: true})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Post(a.url, "application/json", strings.NewReader(note("A-1", "1")))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); len(a.about("1")) < 3; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the held request never arrived")
		}
	}
	h.close(a)
	if err := <-done; err == nil {
		t.Error("a held request got an answer; the receiver should drop it")
	}
	if s := post(t, base, note("A-1", "1")); s != 200 || len(a.about("1")) != 3 {
		t.Errorf("after a's end its orderIds still route to it: %d", s)
	}
	h.close(b)
	if _, err := http.Post(base, "application/json", strings.NewReader("{}")); err == nil {
		t.Error("the receiver still listens after the last scenario ended")
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
		t.Fatal("no Monnet scenarios")
	}
	return out
}

var (
	// Steps that need Herald's control API.
	controlStep = regexp.MustCompile(`simulator|control API|delivery|forged|receiver is down|comes back|picked as|notifier retries|redelivery|SUCCESS notification was delivered`)
	// Steps that send a createPayout request.
	createStep = regexp.MustCompile(`^the Monnet merchant creates? a payout|^the Monnet merchant created a payout|^a Monnet payout whose|^the vendor's Monnet HMAC example`)
)

// A scenario that uses the control API carries @simulator; one that sends
// a createPayout request (a payout on a real Monnet, refused or not)
// carries @mutating, and only such a scenario.
func TestScenariosDeclareWhatTheyNeed(t *testing.T) {
	for _, p := range pickles(t) {
		tags := map[string]bool{}
		for _, tag := range p.Tags {
			tags[tag.Name] = true
		}
		if !tags["@monnet"] {
			t.Errorf("%s: %q has no @monnet tag", p.Uri, p.Name)
		}
		changes := false
		for _, s := range p.Steps {
			if controlStep.MatchString(s.Text) && !tags[steps.TagSimulator] {
				t.Errorf("%s: %q uses the control API (%q) without %s", p.Uri, p.Name, s.Text, steps.TagSimulator)
			}
			changes = changes || createStep.MatchString(s.Text)
		}
		if changes != tags[steps.TagMutating] {
			t.Errorf("%s: %q creates payouts: %v, tagged %s: %v", p.Uri, p.Name, changes, steps.TagMutating, tags[steps.TagMutating])
		}
	}
}

// The receiver's watch judges every notification of the scenario as it
// arrives: a later one for the same payout and stage must be the same
// bytes, body and verification header, however late; each must conform to
// the spec and verify. What it finds fails the scenario at its end.
func TestReceiverWatchesEveryNotification(t *testing.T) {
	h := newReceiverHost()
	box, err := h.open("", "", "22")
	if err != nil {
		t.Fatal(err)
	}
	defer h.close(box)
	h.expect(box, "W-1")
	m, err := Module()
	if err != nil {
		t.Fatal(err)
	}
	checker := m.Checker()
	cert, _ := fixtures.Read(fixtures.MonnetNotifierCert)
	pub, err := wire.ParsePublicKey(cert)
	if err != nil {
		t.Fatal(err)
	}
	box.watchOn(func(method string, header http.Header, body []byte) error {
		return checker.Webhook("payoutNotification", method, header, body)
	}, pub)
	keyPEM, _ := fixtures.Read(fixtures.MonnetNotifierKey)
	key, err := wire.ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	send := func(body string, sign bool) {
		req, _ := http.NewRequest(http.MethodPost, box.url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		if sign {
			sig, _ := wire.Sign(key, "22", []byte(body))
			req.Header.Set(wire.HeaderVerification, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	good := `{"payout":{"id":"7","amount":"100","currency":"PEN","orderId":"W-1","merchantId":"22","bankCode":"001","name":"Ana"},"output":{"stage":"SUCCESS","status":"PROCESSED","statusChangeDateTime":"2026-03-01T12:00:05.000000Z","authorizationCode":"A1"}}`
	send(good, true)
	send(good, true) // the same bytes again: a duplicate, allowed
	if ps := box.problemsOf("7"); len(ps) != 0 {
		t.Fatalf("a good notification and its byte-identical duplicate: %v", ps)
	}
	send(strings.Replace(good, `"A1"`, `"A2"`, 1), true) // re-signed, other bytes
	send(strings.Replace(good, `"SUCCESS","status":"PROCESSED"`, `"IN_PROGRESS","status":"PENDING_BANK"`, 1), true)
	send(strings.Replace(good, `"id":"7"`, `"id":"8"`, 1), false)
	ps7, ps8 := box.problemsOf("7"), box.problemsOf("8")
	if len(ps7) != 2 || !strings.Contains(ps7[0], "is not the same bytes") || !strings.Contains(ps7[1], "violates the spec") {
		t.Errorf("payout 7: %q", ps7)
	}
	if len(ps8) != 2 || !strings.Contains(strings.Join(ps8, "\n"), "verification headers") {
		t.Errorf("payout 8 (unsigned): %q", ps8)
	}
	if err := box.verdict(); err == nil || !strings.Contains(err.Error(), "notification 3 ") {
		t.Errorf("the verdict: %v", err)
	}
	box.forgeries() // a scenario that sends forged ones on purpose
	send(strings.Replace(good, `"A1"`, `"A3"`, 1), false)
	if n := len(box.problemsOf("")); n != 4 {
		t.Errorf("the watch judged a notification after forgeries began: %d problems", n)
	}
}

// The suite's receiver on a taken address says which flag moves it, as
// herald serve's listeners do.
func TestReceiverAddressInUseNamesTheFlag(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, err = newReceiverHost().open(taken.Addr().String(), "", "22")
	if err == nil || !strings.HasSuffix(err.Error(), "address already in use (choose another with --monnet-receiver-listen ADDRESS; port 0 picks a free one)") {
		t.Fatalf("open on a taken address: %v", err)
	}
}

// receiverStep is a step that needs the suite's receiver.
var receiverStep = regexp.MustCompile(`^the Monnet merchant's receiver |^a Monnet payout whose SUCCESS notification was delivered`)

// Every Monnet scenario has one topic tag, and @webhook exactly when it
// needs the suite's receiver, so that --tags '~@webhook' leaves out every
// scenario that waits for a notification.
func TestScenariosHaveTopicAndWebhookTags(t *testing.T) {
	topics := []string{"@delivery", "@outcomes", "@auth", "@errors", "@receiver-checks"}
	webhooks := 0
	for _, p := range pickles(t) {
		tags := map[string]bool{}
		for _, tag := range p.Tags {
			tags[tag.Name] = true
		}
		n := 0
		for _, topic := range topics {
			if tags[topic] {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %q has %d of the topic tags %v, want 1", p.Uri, p.Name, n, topics)
		}
		needs := false
		for _, s := range p.Steps {
			needs = needs || receiverStep.MatchString(s.Text)
		}
		if needs != tags[TagWebhook] {
			t.Errorf("%s: %q needs the receiver: %v, tagged %s: %v", p.Uri, p.Name, needs, TagWebhook, tags[TagWebhook])
		}
		if needs {
			webhooks++
		}
	}
	if webhooks == 0 {
		t.Fatal("no scenario needs the receiver: the check of @webhook checks nothing")
	}
}

// A Herald's failed attempt at the scenario's receiver URL, when nothing
// has reached the receiver in the run, is told once, naming the flags that
// fix it, and every later scenario gets it at once; once a notification
// has reached the receiver, a failed attempt (a timeout by design) is not.
func TestUnreachableReceiverIsToldOnce(t *testing.T) {
	h := newReceiverHost()
	if err := h.blocked(); err != nil {
		t.Fatalf("a new receiver is blocked: %v", err)
	}
	err := h.attemptFailed("http://127.0.0.1:41234/herald-monnet/ab", "connection error: connection refused")
	for _, want := range []string{"--monnet-receiver-listen 0.0.0.0:PORT", "--monnet-receiver-url http://HOST:PORT/", "http://127.0.0.1:41234/herald-monnet/ab", "connection refused", "~@webhook"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %q: %v", want, err)
		}
	}
	if got := h.blocked(); got != err {
		t.Errorf("later scenarios get %v, want %v", got, err)
	}

	reached := newReceiverHost()
	box, err := reached.open("", "", "22")
	if err != nil {
		t.Fatal(err)
	}
	defer reached.close(box)
	if s := post(t, box.url, note("A-1", "1")); s != http.StatusOK {
		t.Fatalf("the receiver answered %d", s)
	}
	if err := reached.attemptFailed(box.url, "timeout"); err != nil || reached.blocked() != nil {
		t.Fatalf("a receiver that was reached is taken for unreachable: %v", err)
	}
}
