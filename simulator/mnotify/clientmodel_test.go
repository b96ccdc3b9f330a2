package mnotify

import (
	"encoding/json"
	"testing"
	"time"

	"herald/fixtures/mnotify/clientmodel"
)

// Every answer the official .NET client reads, in every state a notification
// goes through, reads as the client's models read it (required members,
// Guids, ISO 8601 DateTimes, enums as the client spells them), nested
// recipients and messages too.
func TestAnswersReadAsTheOfficialClient(t *testing.T) {
	models, err := clientmodel.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	checked := map[string]int{}
	check := func(op string, a answer) {
		t.Helper()
		if a.Status != 200 {
			t.Fatalf("%s: %d %s", op, a.Status, a.Body)
		}
		if err := models.ReadAnswer(op, a.Status, a.Body); err != nil {
			t.Errorf("%s: %v\n%s", op, err, a.Body)
		}
		checked[op]++
	}
	tmplBody := `{"name":"Client read","description":"d","subject":{"ro":"Salut {{RecipientFirstName}}"},"body":{"ro":"Cod {{code}}"}}`
	a := h.do("sender-a", "POST", "/api/Template", tmplBody)
	check("createTemplate", a)
	var tmpl string
	_ = json.Unmarshal(a.Body, &tmpl)
	check("updateTemplate", h.do("sender-a", "PUT", "/api/Template/"+tmpl, tmplBody))
	// Every kind of recipient: a person with e-mail and MCabinet, one who
	// reads Russian, a company, one nobody can reach, an address, a telephone.
	recipients := `[{"value":"2222222222222","type":"Idnp"},{"value":"2000000000011","type":"IDNP"},{"value":"1010600034203","type":"idno"},` +
		`{"value":"2999999999999","type":"IDNP"},{"value":"x@example.md","type":"email"},{"value":"+37369000099","type":"telephone"}]`
	var ids []string
	for _, body := range []string{
		simple(recipients),
		`{"template":{"id":"` + tmpl + `","variables":"{\"code\":\"7\"}"},"recipients":` + recipients + `,"priority":"high"}`,
		simple(`[{"value":"2999999999999","type":"IDNP"}]`), // fails as a whole
	} {
		a := h.do("sender-a", "POST", "/api/Notification", body)
		check("sendNotification", a)
		var id string
		_ = json.Unmarshal(a.Body, &id)
		ids = append(ids, id)
	}
	cancelled := h.send("sender-a", simple(`[{"value":"2222222222222","type":"IDNP"}]`))
	h.do("sender-a", "DELETE", "/api/Notification/"+cancelled, "").ok(t, nil)
	ids = append(ids, cancelled)
	for _, at := range []time.Duration{0, ResolvingAfter, SendingAfter, SentAfter, DeliveredAfter, ReadAfter} {
		h.clock.Set(start.Add(at), true)
		check("listNotifications", h.do("sender-a", "GET", "/api/Notification?ItemsPerPage=100", ""))
		for _, id := range ids {
			check("getNotification", h.do("sender-a", "GET", "/api/Notification/"+id, ""))
		}
		check("listTemplates", h.do("sender-a", "GET", "/api/Template", ""))
		check("getTemplate", h.do("sender-a", "GET", "/api/Template/"+tmpl, ""))
	}
	for _, op := range []string{"listNotifications", "sendNotification", "getNotification", "listTemplates", "createTemplate", "getTemplate", "updateTemplate"} {
		if checked[op] == 0 {
			t.Errorf("%s: no answer checked", op)
		}
	}
	// The check itself fails on the answer the issue found unreadable.
	old := `{"id":"9d871bac-f99c-4123-be7b-b391009a59db","status":"Sent","recipients":[{"value":"2222222222222","type":"IDNP","isLegal":false,"status":"Sent","messages":[]}]}`
	if err := models.ReadAnswer("getNotification", 200, []byte(old)); err == nil {
		t.Fatal("a recipient without createdBy was read")
	}
}
