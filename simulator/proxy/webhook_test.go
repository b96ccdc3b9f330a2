package proxy_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/fixtures"
	"herald/simulator"
	"herald/simulator/heraldtest"
	"herald/simulator/journal"
	"herald/simulator/proxy"
	wire "herald/specs/wire/monnet"
)

// merchantReceiver is an httptest receiver that records what it gets and
// answers with a status set by the test.
type merchantReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	status int
	got    []arrival
}

type arrival struct {
	path   string
	header http.Header
	body   []byte
}

func newMerchantReceiver(t *testing.T) *merchantReceiver {
	m := &merchantReceiver{status: http.StatusOK}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		m.got = append(m.got, arrival{path: r.URL.RequestURI(), header: r.Header.Clone(), body: b})
		status := m.status
		m.mu.Unlock()
		w.Header().Set("X-Merchant", "acme")
		w.WriteHeader(status)
		fmt.Fprintf(w, "answered %d", status)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *merchantReceiver) answer(status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status = status
}

func (m *merchantReceiver) arrivals() []arrival {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]arrival(nil), m.got...)
}

// webhookProxy starts a proxy in front of h's Monnet, with its webhook
// listener relaying to receiver; it returns the listener's URL.
func webhookProxy(t *testing.T, enforce bool, h *heraldtest.Server, receiver string, key *rsa.PublicKey, timeout time.Duration) (string, *journal.Journal, *proxy.Proxy) {
	t.Helper()
	j := journal.New(journal.Options{Size: 100, Checked: true})
	p, err := proxy.New(proxy.Options{Upstreams: map[string]proxy.Upstream{"monnet": {BaseURL: h.URLs["monnet"]}}, Definitions: simulator.Registered(),
		Enforce: enforce, Journal: j, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := p.MonnetWebhook(proxy.WebhookOptions{Receiver: receiver, NotifierKey: key, MerchantID: "22", Timeout: timeout, BodyBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	return srv.URL, j, p
}

// notifierKey is the key of the Herald's notifier certificate.
func notifierKey(t *testing.T, h *heraldtest.Server) *rsa.PublicKey {
	t.Helper()
	var pemText []byte
	h.Control(t, "GET", "monnet/notifier/certificate", nil, &pemText)
	k, err := wire.ParsePublicKey(pemText)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// payout creates a payout of merchant 22 on h through the proxy's API and
// brings it to its final stage; it returns the genuine delivery's id.
func payout(t *testing.T, h *heraldtest.Server, order string) string {
	t.Helper()
	seed, err := fixtures.LoadMonnetSeed()
	if err != nil {
		t.Fatal(err)
	}
	var key, secret string
	for _, m := range seed.Merchants {
		if m.MerchantID == "22" {
			key, secret = m.APIKey, m.APISecret
		}
	}
	body := []byte(strings.Replace(wire.SampleRequest, `"orderId":""`, `"orderId":"`+order+`"`, 1))
	ts := fmt.Sprint(t0.UnixMilli())
	sig := wire.PayoutSignature(secret, "POST", "/api/v1/22/payouts", ts, body)
	status, answer := send(t, "POST", h.URLs["monnet"]+"api/v1/22/payouts?timestamp="+ts+"&signature="+sig, string(body), http.Header{wire.HeaderAPIKey: {key}})
	if status != http.StatusCreated {
		t.Fatalf("creating the payout: %d %s", status, answer)
	}
	h.Control(t, "POST", "clock/advance", map[string]string{"by": wire.FinalAfter.String()}, nil)
	var ds []delivery
	h.Control(t, "GET", "monnet/deliveries?orderId="+order, nil, &ds)
	if len(ds) != 1 {
		t.Fatalf("deliveries of %s: %+v", order, ds)
	}
	return ds[0].ID
}

type delivery struct {
	ID           string
	State        string
	Body         string
	Verification *string
	Attempts     []struct {
		Status int
		Error  string
	}
}

// attempted waits for a delivery's first attempt to be logged.
func attempted(t *testing.T, h *heraldtest.Server, id string) delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var d delivery
		h.Control(t, "GET", "monnet/deliveries/"+id, nil, &d)
		if len(d.Attempts) > 0 {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s: no attempt logged within 10 s: %+v", id, d)
		}
		time.Sleep(10 * time.Millisecond) // polling, with the deadline above
	}
}

// notifications lists the journal's payoutNotification entries, oldest
// first.
func notifications(j *journal.Journal) []*journal.Entry {
	p := j.List("", journal.Filter{Operation: proxy.NotificationOperation}, 100)
	out := make([]*journal.Entry, 0, len(p.Entries))
	for i := len(p.Entries) - 1; i >= 0; i-- {
		out = append(out, p.Entries[i])
	}
	return out
}

// A payout's notification reaches the merchant's receiver through the
// proxy byte for byte, body and verification header, as the Herald's
// delivery log has them; it is journalled as verified and conforming. The
// receiver's 5xx goes back to the Herald, whose log shows the failed
// attempt.
func TestWebhookRelaysTheExactBytes(t *testing.T) {
	h := heraldtest.New(t, heraldtest.WithClock(t0, true))
	rcv := newMerchantReceiver(t)
	hook, j, p := webhookProxy(t, false, h, rcv.srv.URL+"/monnet/", notifierKey(t, h), 0)
	h.Control(t, "PUT", "monnet/receivers/22", map[string]string{"url": hook + "/hooks/22?via=herald"}, nil)

	d := attempted(t, h, payout(t, h, "ORD-WH-1"))
	got := rcv.arrivals()
	if d.State != wire.StateDelivered || d.Attempts[0].Status != 200 || len(got) != 1 {
		t.Fatalf("delivery %+v; the receiver got %d notifications", d, len(got))
	}
	if !bytes.Equal(got[0].body, []byte(d.Body)) || d.Verification == nil || got[0].header.Values(wire.HeaderVerification)[0] != *d.Verification {
		t.Errorf("the receiver got other bytes than the Herald sent:\n got  %s\n sent %s", got[0].body, d.Body)
	}
	if got[0].path != "/monnet/hooks/22?via=herald" || got[0].header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Errorf("the receiver got %s, Content-Type %q", got[0].path, got[0].header.Get("Content-Type"))
	}
	es := notifications(j)
	if len(es) != 1 {
		t.Fatalf("journal: %d notifications", len(es))
	}
	e := es[0]
	if e.System != "monnet" || e.Auth.Outcome != journal.Accepted || !strings.Contains(e.Auth.Reason, "verifies") || len(e.Violations) != 0 ||
		e.Verdict.Request != journal.Accepted || e.Response.Status != 200 || e.Request.Path != "/hooks/22" {
		t.Errorf("journal entry: %+v", e)
	}
	if strings.Contains(fmt.Sprint(e.Request.Headers), *d.Verification) {
		t.Error("the journal shows the signature")
	}

	// The receiver fails: the Herald is told so, and logs the attempt.
	rcv.answer(http.StatusServiceUnavailable)
	d = attempted(t, h, payout(t, h, "ORD-WH-2"))
	if d.State != wire.StatePending || d.Attempts[0].Status != http.StatusServiceUnavailable {
		t.Errorf("after the receiver's 503: %+v", d)
	}
	es = notifications(j)
	if last := es[len(es)-1]; last.Response.Status != 503 || last.Refusal == nil || last.Refusal.Stage != "upstream" || last.Auth.Outcome != journal.Accepted {
		t.Errorf("journal entry of the 503: %+v", last)
	}
	if d := p.Drift(); len(d.Rules) != 0 {
		t.Errorf("drift from genuine notifications: %+v", d.Rules)
	}
}

// A tampered notification (the Herald's forgery) is journalled with its
// signature refused and why, and fed to the drift report; in report mode
// it still reaches the receiver, with --enforce it is refused (401) and
// does not.
func TestWebhookTamperedNotification(t *testing.T) {
	for _, enforce := range []bool{false, true} {
		t.Run(fmt.Sprintf("enforce=%v", enforce), func(t *testing.T) {
			h := heraldtest.New(t, heraldtest.WithClock(t0, true))
			rcv := newMerchantReceiver(t)
			hook, j, p := webhookProxy(t, enforce, h, rcv.srv.URL+"/", notifierKey(t, h), 0)
			h.Control(t, "PUT", "monnet/receivers/22", map[string]string{"url": hook + "/"}, nil)
			genuine := attempted(t, h, payout(t, h, "ORD-WH-3"))
			var forged delivery
			h.Control(t, "POST", "monnet/deliveries/"+genuine.ID+"/forgeries", map[string]string{"kind": string(wire.ForgeTamperedBody)}, &forged)
			forged = attempted(t, h, forged.ID)

			got := rcv.arrivals()
			wantStatus, wantArrivals := 200, 2
			if enforce {
				wantStatus, wantArrivals = http.StatusUnauthorized, 1
			}
			if forged.Attempts[0].Status != wantStatus || len(got) != wantArrivals {
				t.Fatalf("the forgery was answered %d, the receiver got %d notifications; want %d and %d", forged.Attempts[0].Status, len(got), wantStatus, wantArrivals)
			}
			if !enforce && !bytes.Equal(got[1].body, []byte(forged.Body)) {
				t.Errorf("the forgery was changed on its way: %s", got[1].body)
			}
			es := notifications(j)
			if len(es) != 2 {
				t.Fatalf("journal: %d notifications", len(es))
			}
			e := es[1]
			if e.Auth.Outcome != journal.Refused || !strings.Contains(e.Auth.Reason, wire.ErrBadSignature.Error()) || !strings.Contains(e.Auth.Reason, "merchantId 22") {
				t.Errorf("auth of the forgery: %+v", e.Auth)
			}
			if enforce && (e.Refusal == nil || e.Refusal.Stage != "auth") {
				t.Errorf("the refusal: %+v", e.Refusal)
			}
			d := p.Drift()
			if len(d.Rules) != 1 || d.Rules[0].Side != proxy.SideNotification || d.Rules[0].Pointer != "/header/verification" || d.Rules[0].FirstID != e.ID {
				t.Errorf("drift: %+v", d.Rules)
			}
		})
	}
}

// sign signs a body as the Herald's notifier does, with the fixture key.
func sign(t *testing.T, body []byte) (*rsa.PublicKey, string) {
	t.Helper()
	pemKey, err := fixtures.Read(fixtures.MonnetNotifierKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := wire.ParsePrivateKey(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := wire.Sign(k, "22", body)
	if err != nil {
		t.Fatal(err)
	}
	return &k.PublicKey, v
}

// A notification that breaks the callback schema is journalled with the
// pointers of what it broke, forwarded in report mode (the receiver's
// answer coming back whole: status, headers, body), refused with 400 under
// --enforce; the drift report counts it on the notification side.
func TestWebhookSchemaViolations(t *testing.T) {
	body := []byte(`{"payout":{"merchantId":"22","id":"7","orderId":"O-7","amount":100,"currency":"PEN","bankCode":"001","name":"Ana"},"output":{"stage":"SUCCESS","status":"PROCESSED","statusChangeDateTime":"2026-03-02T10:00:05.000000Z"}}`)
	key, verification := sign(t, body)
	h := heraldtest.New(t)
	for _, enforce := range []bool{false, true} {
		rcv := newMerchantReceiver(t)
		rcv.answer(http.StatusAccepted)
		hook, j, p := webhookProxy(t, enforce, h, rcv.srv.URL, key, 0)
		req, _ := http.NewRequest("POST", hook+"/", bytes.NewReader(body))
		req.Header = wire.Message{MerchantID: "22", Body: body, Verification: verification}.Header()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e := notifications(j)[0]
		var ptrs []string
		for _, v := range e.Violations {
			ptrs = append(ptrs, v.Pointer)
		}
		if e.Auth.Outcome != journal.Accepted || !strings.Contains(strings.Join(ptrs, " "), "/payout/amount") {
			t.Errorf("enforce %v: auth %+v, violations %+v", enforce, e.Auth, e.Violations)
		}
		if d := p.Drift(); len(d.Rules) == 0 || d.Rules[0].Side != proxy.SideNotification {
			t.Errorf("enforce %v: drift %+v", enforce, d.Rules)
		}
		if enforce {
			if resp.StatusCode != 400 || len(rcv.arrivals()) != 0 || e.Refusal == nil || e.Refusal.Stage != "spec" {
				t.Errorf("enforce: %d, %d arrivals, refusal %+v", resp.StatusCode, len(rcv.arrivals()), e.Refusal)
			}
			continue
		}
		if resp.StatusCode != 202 || resp.Header.Get("X-Merchant") != "acme" || string(answer) != "answered 202" || len(rcv.arrivals()) != 1 {
			t.Errorf("report: the receiver's answer came back as %d %v %q", resp.StatusCode, resp.Header, answer)
		}
	}
}

// A receiver that cannot be reached gets Monnet a 502, one that does not
// answer in time a 504; a body beyond the bound is refused with 413 and
// not forwarded.
func TestWebhookReceiverDown(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer slow.Close()
	defer close(hang)
	h := heraldtest.New(t)
	body := []byte(`{}`)
	key, verification := sign(t, body)
	post := func(hook string, b []byte) int {
		status, err := wire.Post(context.Background(), http.DefaultClient, hook+"/", wire.Message{MerchantID: "22", Body: b, Verification: verification})
		if err != nil {
			t.Fatal(err)
		}
		return status
	}
	for url, want := range map[string]int{gone.URL: 502, slow.URL: 504} {
		hook, j, _ := webhookProxy(t, false, h, url, key, 200*time.Millisecond)
		if status := post(hook, body); status != want {
			t.Errorf("%s: %d, want %d", url, status, want)
		}
		if e := notifications(j)[0]; e.Refusal == nil || e.Refusal.Stage != "upstream" || e.Response.Status != want {
			t.Errorf("%s: journal %+v", url, e)
		}
	}
	rcv := newMerchantReceiver(t)
	hook, j, _ := webhookProxy(t, false, h, rcv.srv.URL, key, 0)
	if status := post(hook, bytes.Repeat([]byte("x"), 64<<10+1)); status != http.StatusRequestEntityTooLarge || len(rcv.arrivals()) != 0 {
		t.Errorf("a body beyond the bound: %d, %d arrivals", status, len(rcv.arrivals()))
	}
	if e := notifications(j)[0]; e.Refusal == nil || e.Response.Status != 413 {
		t.Errorf("a body beyond the bound: journal %+v", e)
	}
}
