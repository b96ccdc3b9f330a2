package mnotify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"herald/fixtures"
	"herald/simulator/control"
	"herald/specs"
)

// controlDo calls MNotify's control routes, served as the core serves them
// (control.ForSystem, prefix stripped).
func (h *harness) controlDo(method, path, body string) (int, []byte) {
	h.t.Helper()
	routes := h.sim.Control()
	doc, err := specs.Load(routes.Spec)
	if err != nil {
		h.t.Fatal(err)
	}
	routes.Doc = doc
	ctl, err := control.ForSystem("mnotify", routes, nil, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	ctl.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func pemOf(t *testing.T, name string) string {
	t.Helper()
	certPEM, _, err := fixtures.MNotifyCert(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(certPEM)
}

func TestControlRegistry(t *testing.T) {
	h := newHarness(t)
	jsonString := func(s string) string { b, _ := json.Marshal(s); return string(b) }

	// Register by uploading the certificate: accepted at once.
	h.do("unregistered", "GET", "/api/Notification", "").problem(t, 403, "")
	status, b := h.controlDo("POST", "/registrations", `{"certificate":`+jsonString(pemOf(t, "unregistered"))+`}`)
	var reg Registration
	if err := json.Unmarshal(b, &reg); status != 200 || err != nil || reg.Serial != "1003" || reg.Revoked ||
		reg.Sender.Name != "Herald test unregistered system" || reg.Sender.ID != senderIDFor("1003") {
		t.Fatalf("register by PEM: %d %s", status, b)
	}
	h.do("unregistered", "GET", "/api/Notification", "").ok(t, nil)

	// Revoke by serial: refused at once; registering again lifts it.
	if status, b := h.controlDo("POST", "/revocations", `{"serial":"0x10:03"}`); status != 200 || !strings.Contains(string(b), `"revoked":true`) {
		t.Fatalf("revoke by serial: %d %s", status, b)
	}
	h.do("unregistered", "GET", "/api/Notification", "").problem(t, 403, "")
	if status, b := h.controlDo("GET", "/registrations/1003", ""); status != 200 || !strings.Contains(string(b), `"revoked":true`) {
		t.Fatalf("get: %d %s", status, b)
	}
	if status, b := h.controlDo("POST", "/registrations", `{"serial":"1003","name":"Late","senderId":"11111111-2222-4333-8444-555555555555"}`); status != 200 ||
		!strings.Contains(string(b), `"senderId":"11111111-2222-4333-8444-555555555555"`) {
		t.Fatalf("register by serial: %d %s", status, b)
	}
	h.do("unregistered", "GET", "/api/Notification", "").ok(t, nil)

	// Remove: unregistered again, and then unknown.
	if status, b := h.controlDo("DELETE", "/registrations/1003", ""); status != 200 {
		t.Fatalf("delete: %d %s", status, b)
	}
	h.do("unregistered", "GET", "/api/Notification", "").problem(t, 403, "")
	for _, c := range []struct{ method, path, body string }{
		{"DELETE", "/registrations/1003", ""},
		{"GET", "/registrations/1003", ""},
		{"POST", "/revocations", `{"serial":"1003"}`},
	} {
		if status, b := h.controlDo(c.method, c.path, c.body); status != 404 || !strings.Contains(string(b), `"not_found"`) {
			t.Errorf("%s %s: %d %s, want 404", c.method, c.path, status, b)
		}
	}

	// Revoke by PEM.
	if status, b := h.controlDo("POST", "/revocations", `{"certificate":`+jsonString(pemOf(t, "sender-b"))+`}`); status != 200 {
		t.Fatalf("revoke by PEM: %d %s", status, b)
	}
	h.do("sender-b", "GET", "/api/Notification", "").problem(t, 403, "")

	// Bad input names the field, in the control API's format.
	for _, c := range []struct{ method, path, body, field string }{
		{"POST", "/registrations", `{}`, "serial"},
		{"POST", "/registrations", `{"serial":"xyz"}`, "serial"},
		{"POST", "/registrations", `{"serial":"1003","certificate":"x"}`, "certificate"},
		{"POST", "/registrations", `{"certificate":"not a PEM"}`, "certificate"},
		{"POST", "/registrations", `{"certificate":` + jsonString(pemOf(t, "foreign")) + `}`, "certificate"},
		{"POST", "/registrations", `{"certificate":` + jsonString(pemOf(t, "sender-a")+pemOf(t, "sender-b")) + `}`, "certificate"},
		{"POST", "/registrations", `{"serial":"1003","senderId":"nope"}`, "senderId"},
		{"POST", "/registrations", `{"serial":"1003","idno":"12"}`, "idno"},
		{"POST", "/registrations", `{"serial":"1003","extra":1}`, "extra"},
		{"POST", "/revocations", `{"serial":""}`, "serial"},
		{"GET", "/registrations/zz", "", "serial"},
		{"GET", "/notifications/12/messages", "", "id"},
	} {
		status, b := h.controlDo(c.method, c.path, c.body)
		var v struct{ Error struct{ Code, Field string } }
		if err := json.Unmarshal(b, &v); status != 400 || err != nil || v.Error.Field != c.field {
			t.Errorf("%s %s %s: %d %s, want 400 naming %s", c.method, c.path, c.body, status, b, c.field)
		}
	}
	// The foreign certificate carries sender-a's serial: it was not registered over it.
	h.do("sender-a", "GET", "/api/Notification", "").ok(t, nil)

	// Reset puts the registry back to the seed.
	if err := h.sim.Reset(); err != nil {
		t.Fatal(err)
	}
	h.do("sender-b", "GET", "/api/Notification", "").ok(t, nil)
	var list []Registration
	if status, b := h.controlDo("GET", "/registrations", ""); status != 200 || json.Unmarshal(b, &list) != nil || len(list) != 4 {
		t.Fatalf("list after reset: %d %s", status, b)
	}
}

// The messages route shows what each recipient receives, template filled.
func TestControlMessages(t *testing.T) {
	h := newHarness(t)
	tid := h.do("sender-a", "POST", "/api/Template", `{"name":"t","description":"d","subject":{"ro":"Salut {{RecipientFirstName}}","ru":"Привет {{RecipientFirstName}}"},"body":{"ro":"Codul {{code}}","ru":"Код {{code}}"}}`).id(t)
	id := h.send("sender-a", `{"template":{"id":"`+tid+`","variables":"{\"code\":\"7\"}"},"recipients":[{"value":"2222222222222","type":"IDNP"},{"value":"2000000000011","type":"IDNP"},{"value":"x@example.md","type":"Email"}],"priority":"Low"}`)
	status, b := h.controlDo("GET", "/notifications/"+strings.ToUpper(id)+"/messages", "")
	var got []deliveredMessage
	if status != 200 || json.Unmarshal(b, &got) != nil {
		t.Fatalf("%d %s", status, b)
	}
	want := []string{
		"Email ion.popescu@example.md ro Salut Ion|Codul 7",
		"MCabinet 2222222222222 ro Salut Ion|Codul 7",
		"Email maria.rusu@example.md ru Привет Maria|Код 7",
		"MCabinet 2000000000011 ru Привет Maria|Код 7",
		"Email x@example.md ro Salut {{RecipientFirstName}}|Codul 7",
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d: %s", len(got), len(want), b)
	}
	for i, m := range got {
		if s := m.Channel + " " + m.To + " " + m.Language + " " + m.Subject + "|" + m.Body; s != want[i] || m.NotificationID != id || m.Status != "Pending" {
			t.Errorf("message %d: %q (%s), want %q", i, s, m.Status, want[i])
		}
	}
	if status, b := h.controlDo("GET", "/notifications/9d871bac-f99c-4123-be7b-b391009a59db/messages", ""); status != 404 {
		t.Errorf("unknown notification: %d %s", status, b)
	}
}

// The certificate is checked before anything else about the request: a
// caller without one learns nothing about what else is wrong.
func TestAuthenticationComesFirst(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct{ who, method, path, body string }{
		{"", "POST", "/api/Notification", `{`},
		{"", "POST", "/api/Notification", `{"priority":"Urgent"}`},
		{"", "GET", "/api/Notification?Page=0", ""},
		{"", "GET", "/api/Notification/12", ""},
		{"foreign", "POST", "/api/Template", `[]`},
		{"expired", "GET", "/api/Contact?Idnp=1", ""},
	} {
		h.do(c.who, c.method, c.path, c.body).problem(t, http.StatusUnauthorized, "")
	}
	h.do("unregistered", "POST", "/api/Contact", `{"idnp":"1"}`).problem(t, http.StatusForbidden, "")
}

// The inbox lists every notification's messages, newest first, in each
// recipient's language with the short body, beside the lifecycle so far.
func TestControlInbox(t *testing.T) {
	h := newHarness(t)
	inbox := func(query string) (int, []inboxMessage) {
		t.Helper()
		status, b := h.controlDo("GET", "/messages"+query, "")
		var v struct {
			Matched  int            `json:"matched"`
			Messages []inboxMessage `json:"messages"`
		}
		if status != 200 || json.Unmarshal(b, &v) != nil {
			t.Fatalf("inbox%s: %d %s", query, status, b)
		}
		return v.Matched, v.Messages
	}
	if n, got := inbox(""); n != 0 || len(got) != 0 {
		t.Fatalf("empty inbox: %d %+v", n, got)
	}
	tid := h.do("sender-a", "POST", "/api/Template", `{"name":"t","description":"d","subject":{"ro":"Salut {{RecipientFirstName}}","en":"Hello {{RecipientFirstName}}"},`+
		`"body":{"ro":"Codul {{code}}","en":"Code {{code}}"},"bodyShort":{"ro":"Cod {{code}}","en":"Code {{code}}!"}}`).id(t)
	first := h.send("sender-a", `{"template":{"id":"`+tid+`","variables":"{\"code\":\"7\"}"},"recipients":[{"value":"2222222222222","type":"IDNP"},{"value":"2000000000022","type":"IDNP"}],"priority":"High"}`)
	h.clock.Set(start.Add(DeliveredAfter), true)
	second := h.send("sender-b", `{"subject":{"ro":"Fără"},"body":{"ro":"Corp"},"recipients":[{"value":"x@example.md","type":"Email"}],"priority":"Low"}`)

	n, got := inbox("")
	want := []string{
		second + " Email x@example.md ro Fără|Corp|Corp Pending",
		first + " Email ion.popescu@example.md ro Salut Ion|Codul 7|Cod 7 Delivered",
		first + " MCabinet 2222222222222 ro Salut Ion|Codul 7|Cod 7 Delivered",
		first + " MCabinet 2000000000022 en Hello Andrei|Code 7|Code 7! Delivered",
	}
	if n != len(want) || len(got) != len(want) {
		t.Fatalf("%d matched, %d messages, want %d: %+v", n, len(got), len(want), got)
	}
	for i, m := range got {
		s := m.NotificationID + " " + m.Channel + " " + m.To + " " + m.Language + " " + m.Subject + "|" + m.Body + "|" + m.BodyShort + " " + m.Status
		if s != want[i] || m.Notification.ID != m.NotificationID {
			t.Errorf("message %d: %q, want %q", i, s, want[i])
		}
	}
	steps := func(m inboxMessage) string {
		var b strings.Builder
		for _, s := range m.Notification.Lifecycle {
			fmt.Fprintf(&b, "%s@%s ", s.Status, s.At)
		}
		return b.String()
	}
	if s, want := steps(got[1]), "Pending@2025-11-10T09:00:00Z Resolving@2025-11-10T09:00:01Z Sending@2025-11-10T09:00:02Z Sent@2025-11-10T09:00:03Z Delivered@2025-11-10T09:00:05Z "; s != want {
		t.Errorf("lifecycle of the first: %s, want %s", s, want)
	}
	if nf := got[1].Notification; nf.Status != Delivered || nf.Priority != "High" || nf.Sender == "" || nf.LastUpdatedAt != "2025-11-10T09:00:05Z" {
		t.Errorf("first notification: %+v", nf)
	}
	if s := steps(got[0]); s != "Pending@2025-11-10T09:00:05Z " {
		t.Errorf("lifecycle of the second: %s", s)
	}

	// A cancelled notification shows where it stopped.
	h.do("sender-b", "DELETE", "/api/Notification/"+second, "").id(t)
	h.clock.Set(start.Add(DeliveredAfter+CancelTakes), true)
	if _, got := inbox("?limit=1"); len(got) != 1 || steps(got[0]) != "Pending@2025-11-10T09:00:05Z Cancelling@2025-11-10T09:00:05Z Cancelled@2025-11-10T09:00:06Z " {
		t.Errorf("cancelled, limit 1: %+v", got)
	}
	if n, got := inbox("?limit=2"); n != 4 || len(got) != 2 || got[1].NotificationID != first {
		t.Errorf("limit 2: %d %+v", n, got)
	}
	for _, q := range []string{"?limit=0", "?limit=1001", "?limit=x"} {
		status, b := h.controlDo("GET", "/messages"+q, "")
		var v struct{ Error struct{ Field string } }
		if status != 400 || json.Unmarshal(b, &v) != nil || v.Error.Field != "limit" {
			t.Errorf("%s: %d %s, want 400 naming limit", q, status, b)
		}
	}
}
