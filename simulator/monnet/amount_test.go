package monnet

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	wire "herald/specs/wire/monnet"
)

// withAmount is a valid payout body whose amount is written as lit.
func withAmount(t *testing.T, orderID, lit string) []byte {
	t.Helper()
	b := payoutBody(orderID, "")
	out := bytes.Replace(b, []byte(`"amount":100000`), []byte(`"amount":`+lit), 1)
	if bytes.Equal(out, b) && lit != "100000" {
		t.Fatal("the body has no amount to replace")
	}
	return out
}

// raw sends a signed request for merchant 22 and returns the answer as
// written, numbers and all.
func (h *harness) raw(method, path string, body []byte) (int, []byte) {
	h.t.Helper()
	ts := strconv.FormatInt(h.sched.clock.Now().UnixMilli(), 10)
	req, _ := http.NewRequest(method, h.srv.URL+path+"?timestamp="+ts+"&signature="+wire.PayoutSignature(secret22, method, path, ts, body), bytes.NewReader(body))
	req.Header.Set(wire.HeaderAPIKey, key22)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// An amount beyond a float64's precision (2^53+1) is accepted and goes,
// digit for digit, into the create answer, the status read and the signed
// notification.
func TestAmountBeyondFloatPrecisionIsKeptExactly(t *testing.T) {
	const exact = "9007199254740993" // 2^53+1: a float64 makes it …992
	h := newHarness(t)
	rcv := newReceiver(t, 200)
	h.sim.Notifier().SetReceiver("22", rcv.srv.URL)
	status, created := h.raw("POST", "/api/v1/22/payouts", withAmount(t, "BIG-1", exact))
	if status != 201 || !bytes.Contains(created, []byte(`"amount":`+exact+`,`)) {
		t.Fatalf("create: %d %s", status, created)
	}
	h.sched.runUntil(t0().Add(time.Hour))
	got := rcv.requests()
	if len(got) != 1 {
		t.Fatalf("%d notifications, want 1", len(got))
	}
	if !bytes.Contains(got[0].body, []byte(`"amount":"`+exact+`"`)) {
		t.Errorf("the notification does not say the amount exactly: %s", got[0].body)
	}
	if err := wire.Verify(h.sim.Notifier().PublicKey(), "22", got[0].body, got[0].header.Get(wire.HeaderVerification)); err != nil {
		t.Error(err)
	}
	if err := h.sim.CheckNotification(got[0].body); err != nil {
		t.Error(err)
	}
	if status, read := h.raw("GET", "/api/v1/22/payouts/100", nil); status != 200 || !bytes.Contains(read, []byte(`"amount":`+exact+`,`)) {
		t.Errorf("status read: %d %s", status, read)
	}
}

// Amounts the API does not document are refused with 1035 naming amount,
// and no payout is made; a value that is no number is 1117.
func TestAmountsTheAPIDoesNotDocumentAreRefused(t *testing.T) {
	h := newHarness(t)
	rcv := newReceiver(t, 200)
	h.sim.Notifier().SetReceiver("22", rcv.srv.URL)
	for i, c := range []struct{ lit, code string }{
		{"1e20", "1035"}, {"1E2", "1035"}, {"1.0", "1035"}, {"100000.00", "1035"}, {"-0", "1035"}, {"-100", "1035"},
		{"0", "1035"}, {"1.5", "1035"}, {"-0.0", "1035"}, {"1000000000000000000", "1035"}, {strings.Repeat("9", 400), "1035"},
		{"1e400", "1035"}, {`"100"`, "1117"}, {"true", "1117"}, {"null", "1117"},
	} {
		status, v := h.do("POST", "/api/v1/22/payouts", withAmount(t, "AMT-"+strconv.Itoa(i), c.lit), nil)
		code, msg := errorCode(v)
		if status != 400 || code != c.code || !strings.Contains(msg, "[amount]") {
			t.Errorf("amount %.20s: %d %s %q, want 400 %s naming [amount]", c.lit, status, code, msg, c.code)
		}
		if c.code == "1035" && !strings.Contains(msg, "digits only") {
			t.Errorf("amount %.20s: the message does not say what an amount must be: %q", c.lit, msg)
		}
	}
	for _, lit := range []string{"1", "100000", "999999999999999999"} {
		if status, v := h.do("POST", "/api/v1/22/payouts", withAmount(t, "OK-"+lit, lit), nil); status != 201 {
			t.Errorf("amount %s: %d %v", lit, status, v)
		}
	}
	h.sched.runUntil(t0().Add(time.Hour))
	for _, r := range rcv.requests() {
		if err := h.sim.CheckNotification(r.body); err != nil {
			t.Errorf("a notification violates the spec: %v", err)
		}
	}
	if n := len(rcv.requests()); n != 3 {
		t.Errorf("%d notifications, want 3 (one per accepted payout)", n)
	}
}

// A notification body the spec forbids is never signed nor sent: the
// delivery is failed at once, with why.
func TestABodyTheSpecForbidsIsWithheld(t *testing.T) {
	h := newHarness(t)
	rcv := newReceiver(t, 200)
	n := h.sim.Notifier()
	n.SetReceiver("22", rcv.srv.URL)
	var body map[string]any
	good, err := h.sim.SampleNotification("22", 7, "W-1", wire.Outcome{Status: "SUCCESS"}, t0())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.sim.CheckNotification(good); err != nil {
		t.Fatalf("the sample notification: %v", err)
	}
	_ = json.Unmarshal(good, &body)
	body["payout"].(map[string]any)["amount"] = "1e20"
	bad, _ := json.Marshal(body)
	why := h.sim.CheckNotification(bad)
	if why == nil || !strings.Contains(why.Error(), "amount") {
		t.Fatalf("the check let amount 1e20 through: %v", why)
	}
	id := n.Withhold(t0(), "22", "7", "W-1", bad, why)
	h.sched.runUntil(t0().Add(time.Hour))
	if got := rcv.requests(); len(got) != 0 {
		t.Fatalf("a withheld notification was sent: %s", got[0].body)
	}
	d, ok := n.Delivery(id)
	if !ok || d.State != wire.StateFailed || len(d.Attempts) != 0 || !strings.Contains(d.Withheld, "amount") || d.Message.Verification != "" {
		t.Fatalf("delivery %+v", d)
	}
	if err := n.Redeliver(id); err == nil {
		t.Error("a withheld notification was redelivered")
	}
	if _, err := n.SendForged(id, wire.ForgeOtherKey); err == nil {
		t.Error("a forgery was made from a withheld notification")
	}
}
