package monnet

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"herald/fixtures"
	"herald/simulator/entropy"
	wire "herald/specs/wire/monnet"
)

const (
	key22    = "SoSSp+5M4GrYfngfSE78lC2BzvUYQ0k8+i/iHg+bp54="
	secret22 = "P5yjICOFoE0kmJVMALeBRmoxuWXz0BJKuoSaIXEHTgE="
	key234   = "herald-monnet-234-key"
)

type harness struct {
	t     *testing.T
	sim   *Sim
	sched *fakeScheduler
	srv   *httptest.Server
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	keys := testKeys(t)
	sched := newFakeScheduler(t0())
	n, err := NewNotifier(NotifierConfig{Scheduler: sched, Clock: sched.clock, Key: keys.notifier, Certificate: keys.certPEM, Forger: keys.forger,
		Stopwatch: func() func() time.Duration { return func() time.Duration { return fixedLatency } }})
	if err != nil {
		t.Fatal(err)
	}
	sim, err := New(Config{Clock: sched.clock, Random: entropy.New(1), Notifier: n})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, sim: sim, sched: sched, srv: srv}
}

// do sends a request signed for merchant 22 at the simulator's time;
// mutate may alter it after signing.
func (h *harness) do(method, path string, body []byte, mutate func(r *http.Request)) (int, map[string]any) {
	h.t.Helper()
	ts := strconv.FormatInt(h.sched.clock.Now().UnixMilli(), 10)
	sig := wire.PayoutSignature(secret22, method, path, ts, body)
	req, _ := http.NewRequest(method, h.srv.URL+path+"?timestamp="+ts+"&signature="+sig, bytes.NewReader(body))
	req.Header.Set(wire.HeaderAPIKey, key22)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		h.t.Fatalf("answer is not JSON: %s", raw)
	}
	return resp.StatusCode, v
}

func errorCode(v map[string]any) (string, string) {
	list, _ := v["errors"].([]any)
	if len(list) == 0 {
		return "", ""
	}
	e, _ := list[0].(map[string]any)
	c, _ := e["code"].(string)
	m, _ := e["message"].(string)
	return c, m
}

func payoutBody(orderID, description string) []byte {
	b := map[string]any{
		"country": "PER", "amount": 100000, "currency": "PEN", "orderId": orderID,
		"beneficiary": map[string]any{"name": "Ana", "lastName": "Núñez", "email": "ana@example.com", "document": map[string]any{"type": 1, "number": "12345678"}},
		"destination": map[string]any{"bankAccount": map[string]any{"bankCode": "001", "accountType": "1", "accountNumber": "00012345678"}},
	}
	if description != "" {
		b["description"] = description
	}
	out, _ := json.Marshal(b)
	return out
}

// The vendor's own signed request, replayed at its timestamp, is accepted.
func TestVendorHMACExampleIsAccepted(t *testing.T) {
	h := newHarness(t)
	h.sched.clock.Set(time.UnixMilli(1687543238010), true)
	body, _ := fixtures.Read("monnet/vendor/hmac-create-payout-body.json")
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/22/payouts?timestamp=1687543238010&signature=d6895bccdff72b95cb1d134037edadfa87cff1f0a543209efa356c889db97cb9", bytes.NewReader(body))
	req.Header.Set("monnet-api-key", key22)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || !strings.Contains(string(raw), `"orderId":"CDO_90305"`) || !strings.Contains(string(raw), `"Id":100`) {
		t.Fatalf("%d %s", resp.StatusCode, raw)
	}
}

func TestPayoutAuth(t *testing.T) {
	h := newHarness(t)
	body := payoutBody("A-1", "")
	cases := map[string]func(r *http.Request){
		"wrong key":           func(r *http.Request) { r.Header.Set(wire.HeaderAPIKey, "nope") },
		"no key":              func(r *http.Request) { r.Header.Del(wire.HeaderAPIKey) },
		"key of merchant 234": func(r *http.Request) { r.Header.Set(wire.HeaderAPIKey, key234) },
		"wrong signature": func(r *http.Request) {
			q := r.URL.Query()
			q.Set("signature", strings.Repeat("0", 64))
			r.URL.RawQuery = q.Encode()
		},
		"no signature": func(r *http.Request) {
			q := r.URL.Query()
			q.Del("signature")
			r.URL.RawQuery = q.Encode()
		},
		"stale timestamp": func(r *http.Request) {
			q := r.URL.Query()
			ts := strconv.FormatInt(t0().Add(-6*time.Minute).UnixMilli(), 10)
			q.Set("timestamp", ts)
			q.Set("signature", wire.PayoutSignature(secret22, "POST", "/api/v1/22/payouts", ts, body))
			r.URL.RawQuery = q.Encode()
		},
		"tampered body": func(r *http.Request) {
			b := bytes.Replace(body, []byte("100000"), []byte("900000"), 1)
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		},
	}
	for name, mutate := range cases {
		status, v := h.do("POST", "/api/v1/22/payouts", body, mutate)
		code, msg := errorCode(v)
		if status != 401 || code != "1001" || !strings.HasPrefix(msg, "Missing or invalid Authentication: ") {
			t.Errorf("%s: %d %v", name, status, v)
		}
		if strings.Contains(msg, secret22) {
			t.Errorf("%s: the message holds the secret", name)
		}
	}
	if status, v := h.do("POST", "/api/v1/22/payouts", body, nil); status != 201 {
		t.Fatalf("valid: %d %v", status, v)
	}
	// Within the window: 4 minutes old passes.
	status, v := h.do("GET", "/api/v1/22/payouts/100", nil, func(r *http.Request) {
		ts := strconv.FormatInt(t0().Add(-4*time.Minute).UnixMilli(), 10)
		r.URL.RawQuery = "timestamp=" + ts + "&signature=" + wire.PayoutSignature(secret22, "GET", "/api/v1/22/payouts/100", ts, nil)
	})
	if status != 200 {
		t.Errorf("4-minute-old timestamp: %d %v", status, v)
	}
}

func TestPayoutValidation(t *testing.T) {
	h := newHarness(t)
	valid := map[string]any{}
	_ = json.Unmarshal(payoutBody("V-1", ""), &valid)
	variant := func(edit func(m map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(payoutBody("V-1", ""), &m)
		edit(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := []struct {
		name, code, inMessage string
		status                int
		body                  []byte
	}{
		{"no country", "1010", "[country]", 400, variant(func(m map[string]any) { delete(m, "country") })},
		{"no beneficiary name", "1015", "[beneficiary.name]", 400, variant(func(m map[string]any) { delete(m["beneficiary"].(map[string]any), "name") })},
		{"empty beneficiary name", "1015", "[beneficiary.name]", 400, variant(func(m map[string]any) { m["beneficiary"].(map[string]any)["name"] = "" })},
		{"empty orderId", "1013", "[orderId]", 400, variant(func(m map[string]any) { m["orderId"] = "" })},
		{"no bank code", "1023", "[destination.bankAccount.bankCode]", 400, variant(func(m map[string]any) {
			delete(m["destination"].(map[string]any)["bankAccount"].(map[string]any), "bankCode")
		})},
		{"amount as a string", "1117", "[amount]", 400, variant(func(m map[string]any) { m["amount"] = "100" })},
		{"country lower case", "1102", "[country]", 400, variant(func(m map[string]any) { m["country"] = "per" })},
		{"unknown property", "1035", "[beneficiary.nickname]", 400, variant(func(m map[string]any) { m["beneficiary"].(map[string]any)["nickname"] = "x" })},
		{"MEX without clabe", "1030", "[destination.bankAccount.clabe]", 400, variant(func(m map[string]any) { m["country"] = "MEX" })},
		{"bad outcome", "1035", "[description]", 400, variant(func(m map[string]any) { m["description"] = "HERALD_OUTCOME=NOPE" })},
		{"outcome code of the wrong layer", "1035", "[description]", 400, variant(func(m map[string]any) { m["description"] = "HERALD_OUTCOME=REVERSED:2005" })},
		{"not JSON", "1035", "[body]", 400, []byte(`{"country":`)},
		{"orderId too long", "1031", "[orderId]", 400, variant(func(m map[string]any) { m["orderId"] = strings.Repeat("x", 65) })},
	}
	for _, c := range cases {
		status, v := h.do("POST", "/api/v1/22/payouts", c.body, nil)
		code, msg := errorCode(v)
		if status != c.status || code != c.code || !strings.Contains(msg, c.inMessage) {
			t.Errorf("%s: %d %s %q; want %d %s naming %s", c.name, status, code, msg, c.status, c.code, c.inMessage)
		}
	}
	if status, v := h.do("GET", "/api/v1/22/payouts/999", nil, nil); status != 404 {
		t.Errorf("unknown payout: %d %v", status, v)
	} else if code, msg := errorCode(v); code != "1035" || !strings.Contains(msg, "[id]") {
		t.Errorf("unknown payout: %s %s", code, msg)
	}
	if status, v := h.do("DELETE", "/api/v1/22/payouts/1", nil, nil); status != 405 {
		t.Errorf("DELETE: %d %v", status, v)
	}
	if status, _ := h.do("GET", "/nowhere", nil, nil); status != 404 {
		t.Errorf("unknown path: %d", status)
	}
}

func TestDuplicateOrderID(t *testing.T) {
	h := newHarness(t)
	if status, v := h.do("POST", "/api/v1/22/payouts", payoutBody("DUP-1", ""), nil); status != 201 {
		t.Fatalf("%d %v", status, v)
	}
	status, v := h.do("POST", "/api/v1/22/payouts", payoutBody("DUP-1", ""), nil)
	if code, msg := errorCode(v); status != 400 || code != "2005" || msg != "[orderId] Duplicated" {
		t.Fatalf("duplicate: %d %v", status, v)
	}
	h.sched.runUntil(t0().Add(time.Hour))
	if n := len(h.sim.Notifier().Deliveries()); n != 1 {
		t.Errorf("%d notifications, want 1 (the duplicate makes none)", n)
	}
	_ = h.sim.Reset()
	if status, _ := h.do("POST", "/api/v1/22/payouts", payoutBody("DUP-1", ""), nil); status != 201 {
		t.Errorf("after Reset the orderId is still taken: %d", status)
	}
}

// A payout moves through the stages on the simulator clock, and only its
// final stage is notified, signed and valid against the spec.
func TestStagesAndNotification(t *testing.T) {
	for _, c := range []struct {
		description, wantStatus, wantCode string
		stages                            []string
	}{
		{"", "PROCESSED", "", []string{"CREATED", "AUTHORIZED", "WAITING_ROUTING", "PENDING_BANK", "PENDING_BANK", "PROCESSED"}},
		{"HERALD_OUTCOME=REJECTED_BANK:4099", "REJECTED_BANK", "4099", []string{"CREATED", "AUTHORIZED", "WAITING_ROUTING", "PENDING_BANK", "PENDING_BANK", "REJECTED_BANK"}},
		{"pay HERALD_OUTCOME=NO_BALANCE", "NO_BALANCE", "", []string{"CREATED", "AUTHORIZED", "WAITING_ROUTING", "PENDING_BALANCE", "PENDING_BALANCE", "NO_BALANCE"}},
		{"HERALD_OUTCOME=BUSINESS_ERROR", "BUSINESS_ERROR", "2005", []string{"CREATED", "BUSINESS_ERROR", "BUSINESS_ERROR", "BUSINESS_ERROR", "BUSINESS_ERROR", "BUSINESS_ERROR"}},
		{"HERALD_OUTCOME=REVERSED", "REVERSED", "4001", nil},
		{"HERALD_OUTCOME=DENIED:3002", "DENIED", "3002", nil},
	} {
		h := newHarness(t)
		var got []received
		rcv := newReceiver(t, 200)
		h.sim.Notifier().SetReceiver("22", rcv.srv.URL)
		status, v := h.do("POST", "/api/v1/22/payouts", payoutBody("S-1", c.description), nil)
		if status != 201 {
			t.Fatalf("%s: %d %v", c.description, status, v)
		}
		for i, want := range c.stages {
			h.sched.runUntil(t0().Add(time.Duration(i) * time.Second))
			_, v := h.do("GET", "/api/v1/22/payouts/100", nil, nil)
			out, _ := v["output"].(map[string]any)
			if out["status"] != want {
				t.Errorf("%s: at %d s status %v, want %s", c.description, i, out["status"], want)
			}
		}
		h.sched.runUntil(t0().Add(time.Hour))
		got = rcv.requests()
		if len(got) != 1 {
			t.Fatalf("%s: %d notifications, want 1", c.description, len(got))
		}
		n := got[0]
		if err := wire.Verify(h.sim.Notifier().PublicKey(), "22", n.body, n.header.Get("verification")); err != nil {
			t.Errorf("%s: %v", c.description, err)
		}
		if err := h.sim.Checker().Webhook("payoutNotification", n.method, n.header, n.body); err != nil {
			t.Errorf("%s: the notification violates the spec: %v\n%s", c.description, err, n.body)
		}
		var body struct {
			Payout map[string]any
			Output map[string]any
			Errors []map[string]string
		}
		_ = json.Unmarshal(n.body, &body)
		if body.Output["status"] != c.wantStatus || body.Payout["amount"] != "100000" || body.Payout["id"] != "100" || body.Payout["name"] != "Ana Núñez" {
			t.Errorf("%s: body %s", c.description, n.body)
		}
		if (c.wantCode == "") != (len(body.Errors) == 0) || (c.wantCode != "" && body.Errors[0]["code"] != c.wantCode) {
			t.Errorf("%s: errors %v, want code %q", c.description, body.Errors, c.wantCode)
		}
		if !bytes.HasPrefix(n.body, []byte(`{"payout":{"id":"100",`)) || !bytes.Contains(n.body, []byte("Núñez")) {
			t.Errorf("%s: not compact raw UTF-8 in vector order: %s", c.description, n.body)
		}
		_, v = h.do("GET", "/api/v1/22/payouts/100", nil, nil)
		if code, _ := errorCode(v); code != c.wantCode {
			t.Errorf("%s: GET errors code %q, want %q", c.description, code, c.wantCode)
		}
	}
}

func TestSetOutcomeWins(t *testing.T) {
	h := newHarness(t)
	if _, err := h.sim.SetOutcome("22", "O-1", wire.Outcome{Status: "REVERSED", Code: "4000"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.sim.SetOutcome("22", "O-2", wire.Outcome{Status: "SUCCESS", Code: "4000"}); err == nil {
		t.Error("SUCCESS with a code accepted")
	}
	h.do("POST", "/api/v1/22/payouts", payoutBody("O-1", "HERALD_OUTCOME=SUCCESS"), nil)
	h.sched.runUntil(t0().Add(time.Minute))
	_, v := h.do("GET", "/api/v1/22/payouts/100", nil, nil)
	if out := v["output"].(map[string]any); out["status"] != "REVERSED" {
		t.Errorf("status %v", out["status"])
	}
	if code, msg := errorCode(v); code != "4000" || msg != "Bank Rejection" {
		t.Errorf("errors %s %s", code, msg)
	}
}

func TestOtherMerchantsPayoutIsNotFound(t *testing.T) {
	h := newHarness(t)
	h.do("POST", "/api/v1/22/payouts", payoutBody("M-1", ""), nil)
	ts := strconv.FormatInt(t0().UnixMilli(), 10)
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/234/payouts/100?timestamp="+ts+"&signature="+wire.PayoutSignature("herald-monnet-234-secret", "GET", "/api/v1/234/payouts/100", ts, nil), nil)
	req.Header.Set(wire.HeaderAPIKey, key234)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("merchant 234 reads merchant 22's payout: %d", resp.StatusCode)
	}
}
