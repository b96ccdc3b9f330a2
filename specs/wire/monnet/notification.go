package monnet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Stage timing of Herald's Monnet, from a payout's creation (Herald design,
// specs/monnet.yaml): a step that waits for a payout's final stage advances
// the simulator clock by FinalAfter.
const (
	AuthorizedAfter     = 1 * time.Second
	WaitingRoutingAfter = 2 * time.Second
	PendingBankAfter    = 3 * time.Second
	FinalAfter          = 5 * time.Second
	// EarlyRejectAfter is when BUSINESS_ERROR, DATA_ERROR and DENIED reject.
	EarlyRejectAfter = 1 * time.Second
)

// The states of a delivery in Herald's delivery log
// (specs/monnet-control.yaml).
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
)

// Outcome is how a payout ends: SUCCESS, or a REJECTED status with an
// error code (none for NO_BALANCE unless picked).
type Outcome struct {
	Status string `json:"status"`
	Code   string `json:"code,omitempty"`
}

// Outcomes lists every outcome a payout can end with, SUCCESS first.
func Outcomes() []string {
	return []string{"SUCCESS", "REJECTED_BANK", "BUSINESS_ERROR", "NO_BALANCE", "REVERSED", "DENIED", "DATA_ERROR", "ERROR"}
}

// OutcomeRule is what specs/monnet.yaml documents of an outcome: its
// default error code, the layers (first digits) its codes may start with,
// and whether it rejects straight after CREATED.
type OutcomeRule struct {
	DefaultCode string
	Layers      string
	Early       bool
}

// RuleOf is an outcome's rule; false for an unknown outcome.
func RuleOf(status string) (OutcomeRule, bool) {
	switch status {
	case "SUCCESS":
		return OutcomeRule{}, true
	case "REJECTED_BANK":
		return OutcomeRule{DefaultCode: "1000", Layers: "14"}, true
	case "BUSINESS_ERROR":
		return OutcomeRule{DefaultCode: "2005", Layers: "2", Early: true}, true
	case "NO_BALANCE":
		return OutcomeRule{Layers: "1234"}, true
	case "REVERSED":
		return OutcomeRule{DefaultCode: "4001", Layers: "4"}, true
	case "DENIED":
		return OutcomeRule{DefaultCode: "3007", Layers: "3", Early: true}, true
	case "DATA_ERROR":
		return OutcomeRule{DefaultCode: "1035", Layers: "1", Early: true}, true
	case "ERROR":
		return OutcomeRule{DefaultCode: "4099", Layers: "1234"}, true
	}
	return OutcomeRule{}, false
}

// ErrorMessages reads the vendor's error codes and their messages from
// components.x-monnet-error-codes of specs/monnet.yaml.
func ErrorMessages(doc *openapi3.T) (map[string]string, error) {
	out := map[string]string{}
	if doc == nil || doc.Components == nil {
		return nil, fmt.Errorf("monnet spec: no components.x-monnet-error-codes")
	}
	raw, _ := doc.Components.Extensions["x-monnet-error-codes"].(map[string]any)
	for code, msg := range raw {
		text, ok := msg.(string)
		if !ok {
			return nil, fmt.Errorf("monnet spec: x-monnet-error-codes %s is not a string", code)
		}
		out[code] = text
	}
	return out, nil
}

// Notification is the body of a payout notification.
type Notification struct {
	Payout NotificationPayout `json:"payout"`
	Output Output             `json:"output"`
	Errors []ErrorItem        `json:"errors,omitempty"`
}

// NotificationPayout is the payout of a notification: every value a
// string, keys in the order of the vendor's test vector.
type NotificationPayout struct {
	ID            string `json:"id"`
	Country       string `json:"country"`
	Amount        string `json:"amount"`
	Currency      string `json:"currency"`
	OrderID       string `json:"orderId"`
	MerchantID    string `json:"merchantId"`
	BankCode      string `json:"bankCode"`
	AccountNumber string `json:"accountNumber,omitempty"`
	Name          string `json:"name"`
	CustomerEmail string `json:"customerEmail,omitempty"`
}

// Output is a payout's stage, in a notification and in the payout API's
// answers.
type Output struct {
	Stage                string `json:"stage"`
	Status               string `json:"status"`
	StatusChangeDateTime string `json:"statusChangeDateTime"`
	AuthorizationCode    string `json:"authorizationCode,omitempty"`
	AuthorizationDate    string `json:"authorizationDate,omitempty"`
}

// ErrorItem is one error, in a notification and in the payout API's
// answers.
type ErrorItem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// FinalOutput is the final stage of a payout that ended with status at
// final: SUCCESS/PROCESSED with its authorization code and date, or
// REJECTED with the outcome's status.
func FinalOutput(status string, final time.Time, authCode string) Output {
	o := Output{Stage: "SUCCESS", Status: "PROCESSED", StatusChangeDateTime: ISOTime(final)}
	if status != "SUCCESS" {
		o.Stage, o.Status = "REJECTED", status
	} else {
		o.AuthorizationCode, o.AuthorizationDate = authCode, final.UTC().Format("20060102150405")
	}
	return o
}

// ISOTime is the notification's time format: ISO-8601 UTC with
// microseconds, as in the vendor's test vector.
func ISOTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// Encode writes the notification as Monnet sends it: compact JSON, raw
// UTF-8, no HTML escaping, no trailing newline. These are the bytes that
// are signed.
func (n Notification) Encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(n); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Sample is the notification of a sample payout (PER, 100000 PEN to Ana
// Núñez: non-ASCII in the name, as receivers must keep raw UTF-8 bytes)
// that ended with outcome o at final; message is the text of o.Code and
// authCode the authorization code of a SUCCESS. It is what the simulator
// sends for a payout of that request.
func Sample(merchantID string, payoutID int64, orderID string, o Outcome, message, authCode string, final time.Time) Notification {
	n := Notification{
		Payout: NotificationPayout{ID: strconv.FormatInt(payoutID, 10), Country: "PER", Amount: "100000", Currency: "PEN",
			OrderID: orderID, MerchantID: merchantID, BankCode: "001", AccountNumber: "00012345678",
			Name: "Ana Núñez", CustomerEmail: "ana@example.com"},
		Output: FinalOutput(o.Status, final, authCode),
	}
	if o.Status != "SUCCESS" && o.Code != "" {
		n.Errors = []ErrorItem{{Code: o.Code, Message: message}}
	}
	return n
}

// SampleRequest is the createPayout body of the payout Sample describes.
const SampleRequest = `{"country":"PER","amount":100000,"currency":"PEN","orderId":"","beneficiary":{"name":"Ana","lastName":"Núñez","email":"ana@example.com","document":{"type":1,"number":"12345678"}},"destination":{"bankAccount":{"bankCode":"001","accountType":"1","accountNumber":"00012345678"}}}`
