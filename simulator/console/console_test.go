package console_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"herald/simulator/heraldtest"
	"herald/specs/wire/monnet"
)

var start = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// An MNotify notification sent from a template reads, in the inbox, in
// each recipient's language with its variables filled in, beside its
// lifecycle.
func TestInboxShowsTemplateInTwoLanguages(t *testing.T) {
	s := heraldtest.New(t, heraldtest.WithClock(start, true))
	client, err := s.MNotifyClient("sender-a")
	if err != nil {
		t.Fatal(err)
	}
	base := s.URLs["mnotify"]
	status, body := do(t, client, "POST", base+"api/Template", nil, `{"name":"Payment received","description":"Sent when a payment arrives",`+
		`"subject":{"ro":"Plata {{orderId}} a fost primită","en":"Payment {{orderId}} received"},`+
		`"body":{"ro":"Dragă {{RecipientFirstName}}, am primit plata de {{amount}} MDL.","en":"Dear {{RecipientFirstName}}, we received your payment of {{amount}} MDL."},`+
		`"bodyShort":{"ro":"Plata {{orderId}}: {{amount}} MDL","en":"Payment {{orderId}}: {{amount}} MDL"}}`)
	if status != 200 && status != 201 {
		t.Fatalf("template: %d %s", status, body)
	}
	tid := strings.Trim(strings.TrimSpace(body), `"`)
	status, body = do(t, client, "POST", base+"api/Notification", nil, `{"template":{"id":"`+tid+`","variables":"{\"orderId\":\"A-17\",\"amount\":\"250\"}"},`+
		`"recipients":[{"value":"2222222222222","type":"IDNP"},{"value":"2000000000022","type":"IDNP"}],"priority":"High"}`)
	if status != 200 && status != 201 {
		t.Fatalf("notification: %d %s", status, body)
	}
	card := `#inbox .notification[data-notification="` + strings.Trim(strings.TrimSpace(body), `"`) + `"]`
	s.Control(t, http.MethodPost, "clock/advance", map[string]string{"by": "6s"}, nil)

	b := newBrowser(t)
	b.open(s, "inbox")
	b.until("the messages", `document.querySelectorAll('`+card+` .message').length === 3`)
	ro := b.text(card + ` .message[data-language="ro"][data-channel="Email"]`)
	for _, want := range []string{"ion.popescu@example.md", "Plata A-17 a fost primită", "Dragă Ion, am primit plata de 250 MDL.", "Plata A-17: 250 MDL", "Delivered"} {
		if !strings.Contains(ro, want) {
			t.Errorf("the Romanian message lacks %q: %s", want, ro)
		}
	}
	en := b.text(card + ` .message[data-language="en"]`)
	for _, want := range []string{"2000000000022", "Payment A-17 received", "Dear Andrei, we received your payment of 250 MDL.", "Payment A-17: 250 MDL"} {
		if !strings.Contains(en, want) {
			t.Errorf("the English message lacks %q: %s", want, en)
		}
	}
	if life := b.text(card + ` .timeline`); !strings.Contains(life, "Pending") || !strings.Contains(life, "Delivered") || !strings.Contains(life, "2026-05-01 12:00:05 UTC") {
		t.Errorf("the lifecycle: %s", life)
	}
	b.shot("inbox")

	// The language filter keeps the English message only.
	b.run(chromedp.SetValue(chromedp.CSS("#inbox-language"), "en"))
	eval[bool](b, `document.querySelector('#inbox-language').dispatchEvent(new Event('change'))`)
	b.until("the English message alone", `document.querySelectorAll('`+card+` .message').length === 1 && document.querySelector('`+card+` .message').dataset.language === 'en'`)
	if n := b.nodeCount(`#inbox .message[data-language="ro"]`); n != 0 {
		t.Errorf("%d Romanian messages left by the filter", n)
	}
}

// A receiver that fails shows its failed attempt; redelivered once it is
// back, the new attempt succeeds; the signature verifies in the page.
func TestDeliveryFailsThenRedelivers(t *testing.T) {
	s := heraldtest.New(t, heraldtest.WithClock(start, true))
	var up atomic.Bool
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !up.Load() {
			http.Error(w, "receiver down for maintenance", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	s.Control(t, http.MethodPut, "monnet/receivers/22", map[string]string{"url": receiver.URL + "/monnet/notifications"}, nil)
	s.Control(t, http.MethodPut, "monnet/notifier", map[string]any{"backoff": []string{"0s", "1h"}}, nil)
	createPayout(t, s, "CONSOLE-1")
	s.Control(t, http.MethodPost, "clock/advance", map[string]string{"by": "5s"}, nil)
	waitDelivery(t, s, func(d delivery) bool { return len(d.Attempts) == 1 })

	b := newBrowser(t)
	b.open(s, "deliveries")
	b.until("the failed attempt", `document.querySelector('#deliveries .delivery .attempt[data-status="503"]')`)
	card := b.text(`#deliveries .delivery`)
	for _, want := range []string{"ntf-1", "pending", "merchant 22", "CONSOLE-1", "503"} {
		if !strings.Contains(card, want) {
			t.Errorf("the delivery lacks %q: %s", want, card)
		}
	}

	b.run(chromedp.Click(chromedp.CSS(`#deliveries .delivery button.verify`)))
	b.until("the signature's verdict", `document.querySelector('#deliveries .verify-result .box')`)
	if v := b.text(`#deliveries .verify-result`); !strings.HasPrefix(v, "Valid:") {
		t.Errorf("the genuine signature: %s", v)
	}
	b.shot("delivery-failed")

	up.Store(true)
	b.run(chromedp.Click(chromedp.CSS(`#deliveries .delivery button.redeliver`)))
	b.until("the redelivery's success", `document.querySelector('#deliveries .delivery .attempt[data-status="204"]')`)
	if n := b.nodeCount(`#deliveries .delivery .attempt`); n != 2 {
		t.Errorf("%d attempts shown, want 2", n)
	}
	b.until("the delivery delivered", `document.querySelector('#deliveries .delivery').dataset.state === 'delivered'`)
	b.shot("delivery-redelivered")

	// A forgery signed for another merchant does not verify.
	s.Control(t, http.MethodPost, "monnet/deliveries/ntf-1/forgeries", map[string]string{"kind": "other-merchant"}, nil)
	b.run(chromedp.Click(chromedp.CSS(`#deliveries-refresh`)))
	b.until("the forgery", `document.querySelector('#deliveries .delivery[data-delivery="ntf-2"] button.verify')`)
	b.run(chromedp.Click(chromedp.CSS(`#deliveries .delivery[data-delivery="ntf-2"] button.verify`)))
	b.until("the forgery's verdict", `document.querySelector('#deliveries .delivery[data-delivery="ntf-2"] .verify-result .box')`)
	if v := b.text(`#deliveries .delivery[data-delivery="ntf-2"] .verify-result`); !strings.HasPrefix(v, "Invalid:") {
		t.Errorf("the forged signature: %s", v)
	}
}

type delivery struct {
	ID       string
	State    string
	Attempts []struct{ Status int }
}

// waitDelivery reads ntf-1 until ok holds, within 20 s.
func waitDelivery(t *testing.T, s *heraldtest.Server, ok func(delivery) bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		var d delivery
		s.Control(t, http.MethodGet, "monnet/deliveries/ntf-1", nil, &d)
		if ok(d) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery ntf-1 is still %+v", d)
		}
		time.Sleep(20 * time.Millisecond) // polling with a deadline, not synchronising
	}
}

// createPayout creates a payout of merchant 22 (the seed's), signed at the
// frozen clock's time.
func createPayout(t *testing.T, s *heraldtest.Server, orderID string) {
	t.Helper()
	body := `{"country":"PER","amount":100000,"currency":"PEN","orderId":"` + orderID + `","beneficiary":{"name":"Ana","lastName":"Núñez","document":{"type":1,"number":"12345678"}},"destination":{"bankAccount":{"bankCode":"001","accountType":"1","accountNumber":"00012345678"}}}`
	ts := strconv.FormatInt(start.UnixMilli(), 10)
	path := "/api/v1/22/payouts"
	status, answer := do(t, s.Client, "POST", strings.TrimSuffix(s.URLs["monnet"], "/")+path+"?timestamp="+ts+"&signature="+
		monnet.PayoutSignature("P5yjICOFoE0kmJVMALeBRmoxuWXz0BJKuoSaIXEHTgE=", "POST", path, ts, []byte(body)),
		map[string]string{"monnet-api-key": "SoSSp+5M4GrYfngfSE78lC2BzvUYQ0k8+i/iHg+bp54="}, body)
	if status != 201 {
		t.Fatalf("create payout: %d %s", status, answer)
	}
}
