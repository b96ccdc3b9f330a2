package monnet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"herald/simulator/engine"
	wire "herald/specs/wire/monnet"
)

// FirstPayoutID is the Id of the first payout after a reset (Herald design).
const FirstPayoutID = 100

var outcomeWord = regexp.MustCompile(`HERALD_OUTCOME=([A-Z_]+)(?::([0-9]+))?`)

// parseOutcome reads the outcome picked in a description, if any.
func (s *Sim) parseOutcome(description string) (wire.Outcome, bool, error) {
	m := outcomeWord.FindStringSubmatch(description)
	if m == nil {
		return wire.Outcome{}, false, nil
	}
	o, err := s.checkOutcome(wire.Outcome{Status: m[1], Code: m[2]})
	return o, true, err
}

// checkOutcome validates an outcome and fills in its default code.
func (s *Sim) checkOutcome(o wire.Outcome) (wire.Outcome, error) {
	rule, ok := wire.RuleOf(o.Status)
	if !ok {
		return wire.Outcome{}, fmt.Errorf("outcome %q is not one of SUCCESS, REJECTED_BANK, BUSINESS_ERROR, NO_BALANCE, REVERSED, DENIED, DATA_ERROR, ERROR", o.Status)
	}
	if o.Code == "" {
		o.Code = rule.DefaultCode
		return o, nil
	}
	if o.Status == "SUCCESS" {
		return wire.Outcome{}, fmt.Errorf("outcome SUCCESS takes no error code")
	}
	if !s.errors.knownCode(o.Code) || !strings.ContainsRune(rule.Layers, rune(o.Code[0])) {
		return wire.Outcome{}, fmt.Errorf("code %s is not a documented code for %s (codes starting with %s of %s)", o.Code, o.Status, rule.Layers, strings.Join(s.errors.codes(), ", "))
	}
	return o, nil
}

// SetOutcome picks the outcome of the payout the merchant creates with
// orderID; it wins over a HERALD_OUTCOME word in the description.
// It returns the outcome with its default code filled in.
func (s *Sim) SetOutcome(merchantID, orderID string, o wire.Outcome) (wire.Outcome, error) {
	o, err := s.checkOutcome(o)
	if err != nil {
		return wire.Outcome{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.outcomes[merchantID+"\x00"+orderID] = o
	return o, nil
}

// state is what the simulator remembers; Reset replaces it.
type state struct {
	nextID   int64
	payouts  map[string]*payout      // by merchantId and Id
	orders   map[string]*payout      // by merchantId and orderId
	outcomes map[string]wire.Outcome // picked with SetOutcome, by merchantId and orderId
}

func newState() *state {
	return &state{nextID: FirstPayoutID, payouts: map[string]*payout{}, orders: map[string]*payout{}, outcomes: map[string]wire.Outcome{}}
}

// payout is a created payout.
type payout struct {
	id         int64
	merchantID string
	created    time.Time
	outcome    wire.Outcome
	req        createRequest
	authCode   string
}

// createRequest is the body of createPayout, as far as the simulator reads it.
type createRequest struct {
	Country         string          `json:"country"`
	Amount          json.Number     `json:"amount"`
	Currency        string          `json:"currency"`
	OrderID         string          `json:"orderId"`
	Description     *string         `json:"description,omitempty"`
	Beneficiary     json.RawMessage `json:"beneficiary"`
	Destination     json.RawMessage `json:"destination"`
	SubMerchantInfo json.RawMessage `json:"subMerchantInfo,omitempty"`
}

// final is when the payout reaches its final stage.
func (p *payout) final() time.Time {
	if rule, _ := wire.RuleOf(p.outcome.Status); rule.Early {
		return p.created.Add(wire.EarlyRejectAfter)
	}
	return p.created.Add(wire.FinalAfter)
}

// output is the payout's stage at t.
func (p *payout) output(t time.Time) wire.Output {
	at := func(d time.Duration) string { return wire.ISOTime(p.created.Add(d)) }
	if !t.Before(p.final()) {
		return wire.FinalOutput(p.outcome.Status, p.final(), p.authCode)
	}
	switch el := t.Sub(p.created); {
	case el >= wire.PendingBankAfter && p.outcome.Status == "NO_BALANCE":
		return wire.Output{Stage: "PENDING", Status: "PENDING_BALANCE", StatusChangeDateTime: at(wire.PendingBankAfter)}
	case el >= wire.PendingBankAfter:
		return wire.Output{Stage: "IN_PROGRESS", Status: "PENDING_BANK", StatusChangeDateTime: at(wire.PendingBankAfter)}
	case el >= wire.WaitingRoutingAfter:
		return wire.Output{Stage: "IN_PROGRESS", Status: "WAITING_ROUTING", StatusChangeDateTime: at(wire.WaitingRoutingAfter)}
	case el >= wire.AuthorizedAfter:
		return wire.Output{Stage: "IN_PROGRESS", Status: "AUTHORIZED", StatusChangeDateTime: at(wire.AuthorizedAfter)}
	default:
		return wire.Output{Stage: "IN_PROGRESS", Status: "CREATED", StatusChangeDateTime: at(0)}
	}
}

// errorsAt is the errors array of a payout at t: its outcome's code once
// rejected.
func (s *Sim) errorsAt(p *payout, t time.Time) []errorItem {
	if t.Before(p.final()) || p.outcome.Code == "" || p.outcome.Status == "SUCCESS" {
		return nil
	}
	return []errorItem{{Code: p.outcome.Code, Message: s.errors.messages[p.outcome.Code]}}
}

func (s *Sim) handleCreate(ex *engine.Exchange) (engine.Reply, error) {
	m := ex.Principal.(*merchant)
	var req createRequest
	dec := json.NewDecoder(bytes.NewReader(ex.Body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return engine.Reply{}, invalidAttribute("body", "the body could not be decoded")
	}
	if err := checkAmount(req.Amount); err != nil {
		return engine.Reply{}, err
	}
	if err := countryRules(req); err != nil {
		return engine.Reply{}, err
	}
	outcome := wire.Outcome{Status: "SUCCESS"}
	if req.Description != nil {
		o, found, err := s.parseOutcome(*req.Description)
		if err != nil {
			return engine.Reply{}, invalidAttribute("description", "%v", err)
		}
		if found {
			outcome = o
		}
	}
	now := s.clock.Now()
	s.mu.Lock()
	orderKey := m.id + "\x00" + req.OrderID
	if s.st.orders[orderKey] != nil {
		s.mu.Unlock()
		return engine.Reply{}, &apiError{Code: "2005"}
	}
	if o, ok := s.st.outcomes[orderKey]; ok {
		outcome = o
	}
	p := &payout{id: s.st.nextID, merchantID: m.id, created: now, outcome: outcome, req: req, authCode: "A" + s.random.Digits(11)}
	s.st.nextID++
	s.st.payouts[m.id+"\x00"+strconv.FormatInt(p.id, 10)] = p
	s.st.orders[orderKey] = p
	s.mu.Unlock()

	if s.notifier != nil {
		body, err := s.notificationBody(p)
		if err != nil {
			return engine.Reply{}, &engine.Problem{Kind: engine.Internal, Reason: err.Error()}
		}
		id := strconv.FormatInt(p.id, 10)
		// Never sign a body the spec forbids: it is withheld, and the
		// delivery log and the log say why.
		if err := s.CheckNotification(body); err != nil {
			s.notifier.Withhold(p.final(), m.id, id, req.OrderID, body, err)
		} else if _, err := s.notifier.Notify(p.final(), m.id, id, req.OrderID, body); err != nil {
			return engine.Reply{}, &engine.Problem{Kind: engine.Internal, Reason: err.Error()}
		}
	}
	return engine.JSON(http.StatusCreated, map[string]any{
		"payout": map[string]any{"Id": p.id, "country": req.Country, "amount": req.Amount, "currency": req.Currency, "orderId": req.OrderID},
		"output": p.output(now),
	})
}

// MaxAmountDigits is how many digits an amount may have (Herald design: it
// stays below 10^18, so that it fits a signed 64-bit integer).
const MaxAmountDigits = 18

// amountLiteral is an amount as the API documents it: a whole number of
// minor units, written with digits only, from 1.
var amountLiteral = regexp.MustCompile(`^[1-9][0-9]*$`)

// amountRule says what an amount must be, in the errors that refuse one.
const amountRule = "must be a whole number of minor units (the last two digits are decimals) written with digits only, from 1 to 18 digits: no sign, decimal point or exponent"

// checkAmount refuses a number the API does not document as an amount:
// 1e20, 1.0 and 1E2 are numbers JSON allows, and whole, but not written as
// an integer; -0, 0 and negatives are below 1. Such a number would reach
// the notification, whose amount is a string of digits, only through a
// conversion: Herald refuses it, naming the field, rather than guess.
func checkAmount(n json.Number) *apiError {
	lit := string(n)
	if amountLiteral.MatchString(lit) && len(lit) <= MaxAmountDigits {
		return nil
	}
	return invalidAttribute("amount", "%s, got %s", amountRule, clip(lit, 40))
}

// clip shortens s to at most n bytes for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// countryRules are the account fields each country needs (see the spec).
func countryRules(req createRequest) error {
	var d struct {
		BankAccount map[string]any `json:"bankAccount"`
	}
	_ = json.Unmarshal(req.Destination, &d)
	has := func(k string) bool { v, _ := d.BankAccount[k].(string); return v != "" }
	switch req.Country {
	case "MEX":
		if !has("clabe") {
			return &apiError{Code: "1030"}
		}
	case "PER":
		if !has("accountNumber") && !has("cci") {
			return &apiError{Code: "1026"}
		}
	case "ARG":
		if !has("cbu") && !has("alias") {
			return &apiError{Code: "1028"}
		}
	default:
		if !has("accountNumber") {
			return &apiError{Code: "1025"}
		}
	}
	return nil
}

func (s *Sim) handleGet(ex *engine.Exchange) (engine.Reply, error) {
	m := ex.Principal.(*merchant)
	id := ex.PathParams["id"]
	s.mu.Lock()
	p := s.st.payouts[m.id+"\x00"+id]
	s.mu.Unlock()
	if p == nil {
		e := invalidAttribute("id", "no payout %s for merchant %s", id, m.id)
		e.Status = http.StatusNotFound
		return engine.Reply{}, e
	}
	now := s.clock.Now()
	answer := map[string]any{
		"payout": map[string]any{"Id": p.id, "country": p.req.Country, "amount": p.req.Amount, "currency": p.req.Currency,
			"orderId": p.req.OrderID, "beneficiary": p.req.Beneficiary, "destination": p.req.Destination},
		"output": p.output(now),
	}
	po := answer["payout"].(map[string]any)
	if p.req.Description != nil {
		po["description"] = *p.req.Description
	}
	if len(p.req.SubMerchantInfo) > 0 {
		po["subMerchantInfo"] = p.req.SubMerchantInfo
	}
	if errs := s.errorsAt(p, now); errs != nil {
		answer["errors"] = errs
	}
	return engine.JSON(http.StatusOK, answer)
}

// notificationBody is the final-stage notification of a payout, encoded as
// Monnet sends it (wire.Notification.Encode).
func (s *Sim) notificationBody(p *payout) ([]byte, error) {
	var ben struct {
		Name, LastName, Email string
	}
	var dest struct {
		BankAccount struct {
			BankCode, AccountNumber, Clabe, Cci, Cbu string
		}
	}
	_ = json.Unmarshal(p.req.Beneficiary, &ben)
	_ = json.Unmarshal(p.req.Destination, &dest)
	account := dest.BankAccount.AccountNumber
	for _, alt := range []string{dest.BankAccount.Clabe, dest.BankAccount.Cci, dest.BankAccount.Cbu} {
		if account == "" {
			account = alt
		}
	}
	final := p.final()
	b := wire.Notification{
		// The amount as the merchant wrote it: checkAmount let only digits
		// through, and no float ever holds it.
		Payout: wire.NotificationPayout{ID: strconv.FormatInt(p.id, 10), Country: p.req.Country, Amount: p.req.Amount.String(), Currency: p.req.Currency,
			OrderID: p.req.OrderID, MerchantID: p.merchantID, BankCode: dest.BankAccount.BankCode, AccountNumber: account,
			Name: strings.TrimSpace(ben.Name + " " + ben.LastName), CustomerEmail: ben.Email},
		Output: p.output(final),
		Errors: s.errorsAt(p, final),
	}
	return b.Encode()
}

// SampleNotification is the body the simulator sends for a payout of
// wire.SampleRequest that ended with outcome o (its default code filled in)
// at final: the body of wire.Sample, which the receiver check sends.
func (s *Sim) SampleNotification(merchantID string, payoutID int64, orderID string, o wire.Outcome, final time.Time) ([]byte, error) {
	o, err := s.checkOutcome(o)
	if err != nil {
		return nil, err
	}
	var req createRequest
	dec := json.NewDecoder(strings.NewReader(wire.SampleRequest))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return nil, err
	}
	req.OrderID = orderID
	p := &payout{id: payoutID, merchantID: merchantID, outcome: o, req: req, authCode: "A" + s.random.Digits(11)}
	p.created = final.Add(p.created.Sub(p.final())) // final() is counted from created
	return s.notificationBody(p)
}
