package monnet

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"herald/specs"
)

// Every outcome's sample notification is one the spec allows (the receiver
// check sends them, and no simulator judges them first), and its default
// error code has the vendor's message.
func TestSamplesFitTheSpec(t *testing.T) {
	doc, err := specs.Load(specs.Monnet)
	if err != nil {
		t.Fatal(err)
	}
	messages, err := ErrorMessages(doc)
	if err != nil {
		t.Fatal(err)
	}
	checker := specs.NewChecker(specs.Monnet, doc)
	final := time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC)
	for _, status := range Outcomes() {
		rule, ok := RuleOf(status)
		if !ok {
			t.Fatalf("outcome %s has no rule", status)
		}
		if rule.DefaultCode != "" && messages[rule.DefaultCode] == "" {
			t.Errorf("%s: default code %s has no message in x-monnet-error-codes", status, rule.DefaultCode)
		}
		o := Outcome{Status: status, Code: rule.DefaultCode}
		body, err := Sample("22", 100, "ORDER-1", o, messages[o.Code], "A12345678901", final).Encode()
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
		h.Set(HeaderVerification, "AA==")
		if err := checker.Webhook("payoutNotification", http.MethodPost, h, body); err != nil {
			t.Errorf("%s: the sample violates payoutNotification: %v\n%s", status, err, body)
		}
		var n Notification
		if err := json.Unmarshal(body, &n); err != nil {
			t.Fatal(err)
		}
		switch {
		case status == "SUCCESS" && (n.Output.Stage != "SUCCESS" || n.Output.Status != "PROCESSED" || n.Output.AuthorizationDate != "20260301120005" || n.Errors != nil):
			t.Errorf("SUCCESS: %s", body)
		case status != "SUCCESS" && (n.Output.Stage != "REJECTED" || n.Output.Status != status || n.Output.AuthorizationCode != ""):
			t.Errorf("%s: %s", status, body)
		case n.Output.StatusChangeDateTime != "2026-03-01T12:00:05.000000Z":
			t.Errorf("%s: statusChangeDateTime %s", status, n.Output.StatusChangeDateTime)
		}
	}
	if _, ok := RuleOf("PAID"); ok {
		t.Error("an undocumented outcome has a rule")
	}
}

// Encode writes the bytes that are signed: compact, raw UTF-8 and <>&
// unescaped, no trailing newline.
func TestEncodeIsCompactRawUTF8(t *testing.T) {
	n := Notification{Payout: NotificationPayout{ID: "1", Name: "Ana Núñez <&>"}, Output: Output{Stage: "IN_PROGRESS"}}
	b, err := n.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"name":"Ana Núñez <&>"`)) || bytes.HasSuffix(b, []byte("\n")) || bytes.Contains(b, []byte(": ")) {
		t.Fatalf("encoded %s", b)
	}
	if strings.Contains(string(b), `"errors"`) || strings.Contains(string(b), `"accountNumber"`) {
		t.Fatalf("empty optional members are written: %s", b)
	}
}

// A spec without the error table is refused by name.
func TestErrorMessagesNeedsTheTable(t *testing.T) {
	if _, err := ErrorMessages(nil); err == nil || !strings.Contains(err.Error(), "x-monnet-error-codes") {
		t.Fatalf("no spec: %v", err)
	}
}
