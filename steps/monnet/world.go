package monnet

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"herald/specs"
	wire "herald/specs/wire/monnet"
	"herald/steps"
)

// world is one scenario's Monnet state, kept in the scenario's context.
type world struct {
	sc      *steps.Scenario
	module  *module
	checker *specs.Checker
	base    string // the Monnet base URL, ending in "/"
	client  *http.Client

	merchantID, apiKey, apiSecret string
	suffix                        string // makes the scenario's orderIds unique
	// noteWait is how long a step waits for a notification; retryWait how
	// long for a new attempt after the receiver answered 5xx (a real
	// Monnet's own time, which the vendor does not publish).
	noteWait, retryWait time.Duration

	box      *inbox
	reached  bool      // the receiver URL was set on the Herald
	probedAt time.Time // when reachable last read the delivery log
	pub      *rsa.PublicKey

	last   *answer
	payout *payoutRef // the last payout created
	repeat *payoutRef // a payout made by a repeated orderId, if any
	note   *received  // the notification the checks look at
	forged *delivery  // the last forged notification sent
}

type worldKey struct{}

// payoutRef is a created payout.
type payoutRef struct{ orderID, id string }

// answer is one payout-API response as the steps saw it.
type answer struct {
	operation string
	status    int
	header    http.Header
	body      []byte
	v         struct {
		Payout map[string]any
		Output struct{ Stage, Status string }
		Errors []struct{ Code, Message string }
	}
}

// end closes the scenario's share of the receiver. What the scenario
// changed on a Herald is undone by the cleanups it registered
// (steps.Scenario.Cleanup), which run first.
func (w *world) end() {
	if w.box != nil {
		w.module.host.close(w.box)
	}
}

// order is the scenario's orderId for a name in a feature: unique, so that
// scenarios never collide, even with earlier runs against the same target.
func (w *world) order(name string) string { return name + "-" + w.suffix }

// inbox opens the scenario's share of the suite's receiver, and its watch:
// every notification of the scenario's payouts is checked as it arrives
// (the spec, the signature when the notifier certificate is known, the same
// bytes for the same payout and stage), and what is wrong fails the
// scenario when it ends, however late it came.
func (w *world) inbox() (*inbox, error) {
	if w.box == nil {
		t := w.sc.Target
		box, err := w.module.host.open(t.Param(System, ParamReceiverListen), t.Param(System, ParamReceiverURL), w.merchantID)
		if err != nil {
			return nil, err
		}
		w.box = box
		pub, _ := w.notifierKey() // unknown: the steps that verify say why
		box.watchOn(func(method string, header http.Header, body []byte) error {
			return w.checker.Webhook("payoutNotification", method, header, body)
		}, pub)
		w.sc.Cleanup(box.verdict)
	}
	return w.box, nil
}

// receive makes the suite's receiver answer as m, and, on a Herald, points
// the merchant's receiver URL at it.
func (w *world) receive(m mode) error {
	if err := w.module.host.blocked(); err != nil {
		return err // found out of the notifier's reach earlier in the run
	}
	box, err := w.inbox()
	if err != nil {
		return err
	}
	box.setMode(m)
	if !w.sc.Target.IsHerald() {
		return nil // a real Monnet sends to the URL its integration team configured
	}
	return w.setReceiverURL(box.url)
}

// setReceiverURL sets the merchant's receiver URL on the Herald, and
// restores the one before after the scenario.
func (w *world) setReceiverURL(u string) error {
	path := "monnet/receivers/" + url.PathEscape(w.merchantID)
	if !w.reached {
		var before struct{ URL string }
		if b, err := w.sc.Control(http.MethodGet, path, nil); err == nil {
			_ = json.Unmarshal(b, &before)
		}
		// Receiver URLs are configuration: a reset, or a world's reuse,
		// keeps them. Put back the one before.
		w.sc.Cleanup(func() error {
			if before.URL == "" {
				_, err := w.sc.Control(http.MethodDelete, path, nil)
				return err
			}
			_, err := w.sc.Control(http.MethodPut, path, map[string]string{"url": before.URL})
			return err
		})
		w.reached = true
	}
	_, err := w.sc.Control(http.MethodPut, path, map[string]string{"url": u})
	return err
}

// reachable finds out, on a Herald, whether its notifier can reach the
// suite's receiver: an attempt at the scenario's payout, sent to the
// scenario's receiver URL, that failed while nothing has reached the
// receiver, says it cannot. It reads the delivery log at most every
// quarter second.
func (w *world) reachable() error {
	if err := w.module.host.blocked(); err != nil {
		return err
	}
	if !w.sc.Target.IsHerald() || w.payout == nil || w.box == nil || time.Since(w.probedAt) < 250*time.Millisecond {
		return nil
	}
	w.probedAt = time.Now()
	d, err := w.genuine()
	if err != nil {
		return nil // the steps that read the log say what is wrong with it
	}
	for _, a := range d.Attempts {
		if a.Error != "" && a.URL == w.box.url {
			return w.module.host.attemptFailed(a.URL, a.Error)
		}
	}
	return nil
}

// down points the merchant's receiver URL at a port where nothing listens.
func (w *world) down() error {
	box, err := w.inbox()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	return w.setReceiverURL("http://" + addr + "/" + pathMarker + box.token)
}

// notifierKey is the key of the notifier certificate: the file given, or
// the one the Herald serves.
func (w *world) notifierKey() (*rsa.PublicKey, error) {
	if w.pub != nil {
		return w.pub, nil
	}
	var data []byte
	var err error
	if file := w.sc.Target.Param(System, ParamNotifierCert); file != "" {
		data, err = os.ReadFile(file)
	} else if w.sc.Target.IsHerald() {
		data, err = w.sc.Control(http.MethodGet, "monnet/notifier/certificate", nil)
	} else {
		err = errors.New("no notifier certificate: give --monnet-notifier-cert, the file Monnet handed over")
	}
	if err != nil {
		return nil, err
	}
	if w.pub, err = wire.ParsePublicKey(data); err != nil {
		return nil, fmt.Errorf("the notifier certificate: %w", err)
	}
	return w.pub, nil
}

// signing says how a payout-API request is signed, or mis-signed.
type signing struct {
	key         string // an API key to send instead of the merchant's
	noKey       bool   // no monnet-api-key header
	secret      string // a secret to sign with instead of the merchant's
	noSignature bool
	tsOffset    time.Duration
	tamper      bool   // change the body after signing
	pathOf      string // the merchantId of the path, instead of the merchant's
	twiceQuery  string // a query parameter given twice
	twiceHeader string // a header given twice
	tsChanged   bool   // send another timestamp than the one signed
	otherPath   bool   // sign over another resource path than the one sent
}

// request is a payout-API call to make.
type request struct {
	operation string // createPayout or getPayout
	payoutID  string // for getPayout
	body      []byte
	sign      signing
}

// call sends a payout-API request and checks the answer against the spec.
func (w *world) call(r request) (*answer, error) {
	merchant := w.merchantID
	if r.sign.pathOf != "" {
		merchant = r.sign.pathOf
	}
	method, resource := http.MethodPost, "/api/v1/"+url.PathEscape(merchant)+"/payouts"
	if r.operation == "getPayout" {
		method, resource = http.MethodGet, resource+"/"+url.PathEscape(r.payoutID)
	}
	ts := strconv.FormatInt(w.sc.Now().Add(r.sign.tsOffset).UnixMilli(), 10)
	secret := w.apiSecret
	if r.sign.secret != "" {
		secret = r.sign.secret
	}
	signedPath, sentTS := resource, ts
	if r.sign.otherPath {
		signedPath += "0"
	}
	if r.sign.tsChanged {
		sentTS = strconv.FormatInt(w.sc.Now().Add(r.sign.tsOffset-time.Second).UnixMilli(), 10)
	}
	q := "timestamp=" + sentTS
	if !r.sign.noSignature {
		q += "&signature=" + wire.PayoutSignature(secret, method, signedPath, ts, r.body)
	}
	switch r.sign.twiceQuery {
	case "":
	case "signature":
		q += "&signature=" + strings.Repeat("0", 64)
	default:
		q += "&" + url.QueryEscape(r.sign.twiceQuery) + "=" + ts
	}
	body := r.body
	if r.sign.tamper {
		body = bytes.Replace(body, []byte(`"amount":100000`), []byte(`"amount":900000`), 1)
		if bytes.Equal(body, r.body) {
			return nil, errors.New("the body has no amount to change")
		}
	}
	req, err := http.NewRequest(method, w.base+strings.TrimPrefix(resource, "/")+"?"+q, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	key := w.apiKey
	if r.sign.key != "" {
		key = r.sign.key
	}
	if !r.sign.noKey {
		req.Header.Set(wire.HeaderAPIKey, key)
	}
	if r.sign.twiceHeader != "" {
		req.Header.Add(r.sign.twiceHeader, "herald-second-value")
	}
	return w.send(r.operation, req, body)
}

// send sends a request, checks its answer against the operation, and
// records the exchange for the reports and the coverage.
func (w *world) send(operation string, req *http.Request, reqBody []byte) (*answer, error) {
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, w.sc.Exchanged(System, operation, req, reqBody, nil, nil, nil, fmt.Errorf("%s %s: no answer: %w", req.Method, req.URL.Redacted(), err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, w.sc.Exchanged(System, operation, req, reqBody, resp, nil, nil, fmt.Errorf("%s %s: reading the answer: %w", req.Method, req.URL.Redacted(), err))
	}
	a := &answer{operation: operation, status: resp.StatusCode, header: resp.Header, body: b}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers as written: no float touches an amount or an Id
	_ = dec.Decode(&a.v)
	w.last = a
	return a, w.sc.Exchanged(System, operation, req, reqBody, resp, b, w.checker.Response(operation, a.status, a.header, a.body), nil)
}

// payoutBody is a valid createPayout body (Peru, an account number).
func payoutBody(orderID, description string) map[string]any {
	b := map[string]any{
		"country": "PER", "amount": 100000, "currency": "PEN", "orderId": orderID,
		"beneficiary": map[string]any{"name": "Ana", "lastName": "Núñez", "email": "ana@example.com",
			"document": map[string]any{"type": 1, "number": "12345678"}},
		"destination": map[string]any{"bankAccount": map[string]any{"bankCode": "001", "accountType": "1", "accountNumber": "00012345678"}},
	}
	if description != "" {
		b["description"] = description
	}
	return b
}

// create creates a payout with the scenario's orderId for name; the
// receiver expects its notifications from then on.
func (w *world) create(name, description string, sign signing) (*answer, error) {
	order := w.order(name)
	body, _ := json.Marshal(payoutBody(order, description))
	return w.createBody(order, body, sign)
}

func (w *world) createBody(order string, body []byte, sign signing) (*answer, error) {
	if box, err := w.inbox(); err == nil {
		w.module.host.expect(box, order)
	} else {
		return nil, err
	}
	a, err := w.call(request{operation: "createPayout", body: body, sign: sign})
	if a != nil && a.status == http.StatusCreated {
		id, ok := a.v.Payout["Id"].(json.Number)
		if _, err := strconv.ParseUint(string(id), 10, 64); !ok || err != nil {
			return a, fmt.Errorf("the created payout has no integer Id: %s", steps.Clip(a.body))
		}
		w.payout, w.note = &payoutRef{orderID: order, id: string(id)}, nil
	}
	return a, err
}

// delivery is one delivery as the control API shows it.
type delivery struct {
	ID, MerchantID, PayoutID, OrderID, State, Forgery, Of, Body string
	Verification                                                *string
	Due, Next                                                   time.Time
	Attempts                                                    []struct {
		At         time.Time
		URL        string
		Status     int
		LatencyMs  float64
		Error      string
		Redelivery bool
	}
}

// deliveries reads the delivery log of the scenario's payout: its genuine
// notification first, then the forgeries.
func (w *world) deliveries() ([]delivery, error) {
	if w.payout == nil {
		return nil, errors.New("no payout: create one first")
	}
	q := url.Values{"merchantId": {w.merchantID}, "payoutId": {w.payout.id}}
	b, err := w.sc.Control(http.MethodGet, "monnet/deliveries?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	var ds []delivery
	if err := json.Unmarshal(b, &ds); err != nil {
		return nil, fmt.Errorf("the delivery log: %w", err)
	}
	return ds, nil
}

// genuine is the scenario's payout's notification in the delivery log.
func (w *world) genuine() (delivery, error) {
	ds, err := w.deliveries()
	if err != nil {
		return delivery{}, err
	}
	for _, d := range ds {
		if d.Forgery == "" {
			return d, nil
		}
	}
	return delivery{}, fmt.Errorf("the delivery log has no notification of payout %s (it is made when the payout is created)", w.payout.id)
}

// deliveryByID reads one delivery.
func (w *world) deliveryByID(id string) (delivery, error) {
	b, err := w.sc.Control(http.MethodGet, "monnet/deliveries/"+url.PathEscape(id), nil)
	if err != nil {
		return delivery{}, err
	}
	var d delivery
	return d, json.Unmarshal(b, &d)
}
