package mnotify

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"herald/fixtures"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestAuthMatrix(t *testing.T) {
	h := newHarness(t)
	want := map[string]int{"": 401, "sender-a": 200, "sender-b": 200, "unregistered": 403, "expired": 401, "revoked": 403, "foreign": 401}
	for _, who := range identities {
		a := h.do(who, "GET", "/api/Notification", "")
		if want[who] == 200 {
			a.ok(t, nil)
			continue
		}
		p := a.problem(t, want[who], "")
		if p.Detail == "" {
			t.Errorf("%q: no detail", who)
		}
	}
	// Every operation is authenticated, not just the listing.
	h.do("", "POST", "/api/Notification", simple(`[{"value":"2222222222222","type":"IDNP"}]`)).problem(t, 401, "")
	h.do("unregistered", "POST", "/api/Contact", `{"idnp":"2222222222222","type":"Email","value":"a@b.md"}`).problem(t, 403, "")
	h.do("foreign", "GET", "/api/Contact/2222222222222/exists", "").problem(t, 401, "")

	// The registry changes take effect at once.
	if _, ok, err := h.sim.Registry().Revoke("1002", h.clock.Now()); !ok || err != nil {
		t.Fatalf("revoke: %v %v", ok, err)
	}
	h.do("sender-b", "GET", "/api/Notification", "").problem(t, 403, "")
	if _, err := h.sim.Registry().Register("10:03", Sender{ID: "11111111-2222-4333-8444-555555555555", Name: "late"}); err != nil {
		t.Fatal(err)
	}
	h.do("unregistered", "GET", "/api/Notification", "").ok(t, nil)
	if err := h.sim.Reset(); err != nil {
		t.Fatal(err)
	}
	h.do("sender-b", "GET", "/api/Notification", "").ok(t, nil)
	h.do("unregistered", "GET", "/api/Notification", "").problem(t, 403, "")

	// Without TLS at all (a plain listener) it is 401, not a failure.
	rec := httptest.NewRecorder()
	h.sim.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/Notification", nil))
	if rec.Code != 401 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("plain HTTP: %d %s", rec.Code, rec.Body)
	}
	// An expired certificate is valid again when the clock is within its dates.
	h.clock.Set(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), true)
	h.do("expired", "GET", "/api/Notification", "").ok(t, nil)
}

func TestIsolation(t *testing.T) {
	h := newHarness(t)
	id := h.send("sender-a", simple(`[{"value":"2222222222222","type":"IDNP"}]`))
	tid := h.do("sender-a", "POST", "/api/Template", `{"name":"t","description":"d","subject":{"ro":"s"},"body":{"ro":"b"}}`).id(t)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/Notification/" + id, ""},
		{"DELETE", "/api/Notification/" + id, ""},
		{"GET", "/api/Template/" + tid, ""},
		{"PUT", "/api/Template/" + tid, `{"name":"x","description":"d","subject":{"ro":"s"},"body":{"ro":"b"}}`},
		{"DELETE", "/api/Template/" + tid, ""},
		{"GET", "/api/Template/" + tid + "/check", ""},
		{"POST", "/api/Template/" + tid + "/check", `{}`},
		{"POST", "/api/Notification", `{"template":{"id":"` + tid + `"},"recipients":[{"value":"2222222222222","type":"IDNP"}],"priority":"Low"}`},
	} {
		h.do("sender-b", c.method, c.path, c.body).problem(t, 403, "")
	}
	var list []map[string]any
	h.do("sender-b", "GET", "/api/Notification", "").ok(t, &list)
	h.do("sender-b", "GET", "/api/Notification?SearchBy="+id, "").ok(t, &list)
	if len(list) != 0 {
		t.Errorf("sender-b sees %d of sender-a's notifications", len(list))
	}
	h.do("sender-b", "GET", "/api/Template", "").ok(t, &list)
	h.do("sender-b", "GET", "/api/Notification/Recipient/2222222222222", "").ok(t, &list)
	if len(list) != 0 {
		t.Errorf("sender-b sees sender-a's templates or history: %v", list)
	}
	h.do("sender-a", "GET", "/api/Notification/9d871bac-f99c-4123-be7b-b391009a59db", "").problem(t, 404, "")
	h.do("sender-a", "GET", "/api/Template/9d871bac-f99c-4123-be7b-b391009a59db", "").problem(t, 404, "")
}

func TestLifecycle(t *testing.T) {
	h := newHarness(t)
	id := h.send("sender-a", simple(`[{"value":"2222222222222","type":"Idnp"},{"value":"2999999999999","type":"IDNP"},{"value":"x@example.md","type":"email"}]`))
	steps := []struct {
		at     time.Duration
		status string
	}{{0, Pending}, {ResolvingAfter, Resolving}, {SendingAfter, Sending}, {SentAfter, Sent}, {DeliveredAfter, Delivered}, {ReadAfter, Delivered}}
	for _, s := range steps {
		h.clock.Set(start.Add(s.at), true)
		n := h.notification("sender-a", id)
		if n.Status != s.status {
			t.Fatalf("at +%s: status %s, want %s", s.at, n.Status, s.status)
		}
	}
	n := h.notification("sender-a", id)
	if len(n.Recipients) != 3 {
		t.Fatalf("recipients: %+v", n.Recipients)
	}
	ion, unknown, mail := n.Recipients[0], n.Recipients[1], n.Recipients[2]
	if ion.Type != "IDNP" || ion.Status != Delivered || len(ion.Messages) != 2 {
		t.Errorf("seeded IDNP with Email and MCabinet: %+v", ion)
	}
	channels := map[string]string{}
	for _, m := range ion.Messages {
		channels[m.Channel] = m.Status
		if m.Subject != "Titlu" {
			t.Errorf("subject in the preferred language ro: %q", m.Subject)
		}
	}
	if channels[ChannelEmail] != Delivered || channels[ChannelMCabinet] != Read {
		t.Errorf("message statuses after 60 s: %v", channels)
	}
	if unknown.Status != Failed || len(unknown.Messages) != 0 {
		t.Errorf("unknown IDNP: %+v", unknown)
	}
	if mail.Type != "Email" || len(mail.Messages) != 1 || mail.Messages[0].Channel != ChannelEmail {
		t.Errorf("email recipient: %+v", mail)
	}

	// No deliverable channel at all: Failed after resolving. SMS is under development.
	h.clock.Set(start, true)
	failed := h.send("sender-a", simple(`[{"value":"2000000000033","type":"IDNP"},{"value":"+37369000033","type":"Telephone"}]`))
	if st := h.notification("sender-a", failed).Status; st != Pending {
		t.Errorf("failed notification at 0 s: %s", st)
	}
	h.clock.Set(start.Add(SendingAfter), true)
	if st := h.notification("sender-a", failed).Status; st != Failed {
		t.Errorf("notification without channels: %s, want Failed", st)
	}

	// MCabinet only: Read after 60 s; Russian preference.
	h.clock.Set(start, true)
	cab := h.send("sender-a", simple(`[{"value":"2000000000022","type":"IDNP"}]`))
	ru := h.send("sender-a", simple(`[{"value":"2000000000011","type":"IDNP"}]`))
	h.clock.Set(start.Add(ReadAfter), true)
	if st := h.notification("sender-a", cab).Status; st != Read {
		t.Errorf("MCabinet-only notification after 60 s: %s, want Read", st)
	}
	r := h.notification("sender-a", ru).Recipients[0]
	if len(r.Messages) != 2 { // Email and MCabinet; SMS is not delivered
		t.Fatalf("Maria's messages: %+v", r.Messages)
	}
	if r.Messages[0].Subject != "Заголовок" {
		t.Errorf("subject in the preferred language ru: %q", r.Messages[0].Subject)
	}
}

func TestCancel(t *testing.T) {
	h := newHarness(t)
	body := simple(`[{"value":"2222222222222","type":"IDNP"}]`)
	id := h.send("sender-a", body)
	h.clock.Set(start.Add(SendingAfter), true) // still Sending: not transmitted
	if got := h.do("sender-a", "DELETE", "/api/Notification/"+id, "").id(t); got != id {
		t.Errorf("cancel answered %s, want %s", got, id)
	}
	if st := h.notification("sender-a", id).Status; st != Cancelling {
		t.Errorf("after cancel: %s", st)
	}
	h.clock.Set(start.Add(SendingAfter+CancelTakes), true)
	n := h.notification("sender-a", id)
	if n.Status != Cancelled || n.Recipients[0].Messages[0].Status != Cancelled {
		t.Errorf("a second later: %+v", n)
	}
	h.do("sender-a", "DELETE", "/api/Notification/"+id, "").problem(t, 409, "")

	late := h.send("sender-a", body)
	h.clock.Set(start.Add(SendingAfter+CancelTakes+SentAfter), true)
	p := h.do("sender-a", "DELETE", "/api/Notification/"+late, "").problem(t, 409, "")
	if !strings.Contains(p.Detail, Sent) {
		t.Errorf("409 detail: %q", p.Detail)
	}
	h.do("sender-a", "DELETE", "/api/Notification/9d871bac-f99c-4123-be7b-b391009a59db", "").problem(t, 404, "")
	h.do("sender-a", "DELETE", "/api/Notification/nope", "").problem(t, 400, "id")
}

func TestTemplates(t *testing.T) {
	h := newHarness(t)
	tmpl := `{"name":"Order","description":"d",` +
		`"subject":{"ro":"Comanda {{orderId}}","en":"Order {{orderId}}","ru":"Заказ {{orderId}}"},` +
		`"body":{"ro":"Dragă {{customerName}}, {{Unknown}}","en":"Dear {{customerName}}","ru":"Уважаемый {{customerName}}"}}`
	id := h.do("sender-a", "POST", "/api/Template", tmpl).id(t)
	h.do("sender-a", "POST", "/api/Template", strings.Replace(tmpl, `"Order"`, `"order"`, 1)).problem(t, 409, "")

	var got struct {
		ID, Name                 string
		Subject, Body, BodyShort map[string]string
	}
	h.do("sender-a", "GET", "/api/Template/"+id, "").ok(t, &got)
	if got.Name != "Order" || got.BodyShort["ro"] != got.Body["ro"] {
		t.Errorf("template read back: %+v", got)
	}
	vars := `{"customerName":"John Doe","orderId":42}`
	h.do("sender-a", "GET", "/api/Template/"+id+"/check?variables="+url.QueryEscape(vars), "").ok(t, &got)
	wantBody := map[string]string{"ro": "Dragă John Doe, {{Unknown}}", "en": "Dear John Doe", "ru": "Уважаемый John Doe"}
	for lang, want := range wantBody {
		if got.Body[lang] != want || got.BodyShort[lang] != want {
			t.Errorf("check, %s: body %q short %q, want %q", lang, got.Body[lang], got.BodyShort[lang], want)
		}
	}
	if got.Subject["en"] != "Order 42" {
		t.Errorf("check subject: %q", got.Subject["en"])
	}
	b, _ := json.Marshal(map[string]string{"variables": vars})
	h.do("sender-a", "POST", "/api/Template/"+id+"/check", string(b)).ok(t, &got)
	if got.Body["ro"] != wantBody["ro"] {
		t.Errorf("check by POST: %q", got.Body["ro"])
	}
	h.do("sender-a", "GET", "/api/Template/"+id+"/check?variables=%7Bnot-json", "").problem(t, 400, "variables")
	h.do("sender-a", "POST", "/api/Template/"+id+"/check", `{"variables":{"a":1}}`).problem(t, 400, "Variables")
	h.do("sender-a", "POST", "/api/Template/"+id+"/check", `{"variables":"[1]"}`).problem(t, 400, "Variables")

	// Static variables: IDNP from userId in check; names and IDNP at send.
	put := `{"name":"Order","description":"d","subject":{"ro":"Pentru {{RecipientFirstName}}"},"body":{"ro":"IDNP {{IDNP}} {{Date}}"},"bodyShort":{"ro":"scurt"}}`
	h.do("sender-a", "PUT", "/api/Template/"+id, put).id(t)
	h.do("sender-a", "GET", "/api/Template/"+id+"/check?userId=2222222222222", "").ok(t, &got)
	if got.Body["ro"] != "IDNP 2222222222222 {{Date}}" || got.BodyShort["ro"] != "scurt" || got.Subject["ro"] != "Pentru {{RecipientFirstName}}" {
		t.Errorf("check with userId: %+v", got)
	}
	nid := h.send("sender-a", `{"template":{"id":"`+id+`","variables":"{}"},"recipients":[{"value":"2222222222222","type":"IDNP"}],"priority":"High"}`)
	if s := h.notification("sender-a", nid).Recipients[0].Messages[0].Subject; s != "Pentru Ion" {
		t.Errorf("rendered subject at send: %q", s)
	}
	h.send("sender-a", `{"template":{"id":"`+id+`"},"subject":{"ro":"Own"},"recipients":[{"value":"x@example.md","type":"Email"}],"priority":"low"}`)
	h.do("sender-a", "POST", "/api/Notification", `{"template":{"id":"`+id+`","variables":"nope"},"recipients":[{"value":"x@example.md","type":"Email"}],"priority":"Low"}`).problem(t, 400, "Template.Variables")
	h.do("sender-a", "POST", "/api/Notification", `{"template":{"id":"9d871bac-f99c-4123-be7b-b391009a59db"},"recipients":[{"value":"x@example.md","type":"Email"}],"priority":"Low"}`).problem(t, 404, "")

	// In use by a notification not yet transmitted: 409; later it goes.
	h.do("sender-a", "DELETE", "/api/Template/"+id, "").problem(t, 409, "")
	h.clock.Set(start.Add(SentAfter), true)
	if h.do("sender-a", "DELETE", "/api/Template/"+id, "").id(t) != id {
		t.Error("delete answered another id")
	}
	h.do("sender-a", "GET", "/api/Template/"+id, "").problem(t, 404, "")
	var list []map[string]any
	h.do("sender-a", "GET", "/api/Template", "").ok(t, &list)
	if len(list) != 0 {
		t.Errorf("deleted template still listed: %v", list)
	}
	// The name is free again.
	h.do("sender-a", "POST", "/api/Template", tmpl).id(t)
}

func TestValidation(t *testing.T) {
	h := newHarness(t)
	send := func(body, field string) {
		t.Helper()
		h.do("sender-a", "POST", "/api/Notification", body).problem(t, 400, field)
	}
	send(simple(`[{"value":"222222222222","type":"IDNP"}]`), "Recipients[0].Value")
	send(simple(`[{"value":"2222222222222","type":"IDNP"},{"value":"22222222222a2","type":"IDNO"}]`), "Recipients[1].Value")
	send(simple(`[{"value":"not-an-email","type":"Email"}]`), "Recipients[0].Value")
	send(simple(`[{"value":"x@y.md","type":"Pigeon"}]`), "Recipients[0].Type")
	send(simple(`[]`), "Recipients")
	send(strings.Replace(simple(`[{"value":"x@y.md","type":"Email"}]`), `"Low"`, `"Urgent"`, 1), "Priority")
	send(`{"subject":{"ro":"`+strings.Repeat("s", MaxSubject+1)+`"},"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"}`, "Subject.Ro")
	send(`{"subject":{"en":"no ro"},"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"}`, "Subject.Ro")
	send(`{"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"}`, "Subject")
	send(`{"subject":{"ro":"s"},"body":{"ro":"b"},"bodyShort":{"ro":"`+strings.Repeat("x", MaxBodyShort+1)+`"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"}`, "BodyShort.Ro")
	att := func(name, data string) string {
		return `{"subject":{"ro":"s"},"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low","attachments":[{"fileName":"` + name + `","base64":"` + data + `"}]}`
	}
	send(att("virus.exe", "aGk="), "Attachments[0].FileName")
	send(att("a.pdf", "not base64!"), "Attachments[0].Base64")
	send(att("big.PDF", base64.StdEncoding.EncodeToString(make([]byte, MaxAttachments+1))), "Attachments")
	h.do("sender-a", "POST", "/api/Notification", att("scan.JPG", "aGk=")).id(t)
	send(`{"subject":`, "$")
	send(`[1,2]`, "$")
	send(`{"subject":{"ro":"s"},"body":{"ro":"b"},"recipients":"x","priority":"Low"}`, "Recipients")

	h.do("sender-a", "GET", "/api/Notification?Page=0", "").problem(t, 400, "Page")
	h.do("sender-a", "GET", "/api/Notification?Page=abc", "").problem(t, 400, "Page")
	h.do("sender-a", "GET", "/api/Notification?ItemsPerPage=101", "").problem(t, 400, "ItemsPerPage")
	h.do("sender-a", "GET", "/api/Notification?Page=1&page=2", "").problem(t, 400, "Page")
	h.do("sender-a", "GET", "/api/Notification?OrderField=priority", "").problem(t, 400, "OrderField")
	h.do("sender-a", "GET", "/api/Notification?OrderField=id%20sideways", "").problem(t, 400, "OrderField")
	h.do("sender-a", "GET", "/api/Notification?SearchBy=xyz", "").problem(t, 400, "SearchBy")
	h.do("sender-a", "GET", "/api/Notification/12", "").problem(t, 400, "id")
	h.do("sender-a", "GET", "/api/Notification/Recipient/123", "").problem(t, 400, "idnp")
	h.do("sender-a", "POST", "/api/Template", `{"name":"`+strings.Repeat("n", 51)+`","description":"d","subject":{"ro":"s"},"body":{"ro":"b"}}`).problem(t, 400, "Name")
	h.do("sender-a", "POST", "/api/Contact", `{"idnp":"2222222222222","type":"Email","value":"bad"}`).problem(t, 400, "Value")
	h.do("sender-a", "POST", "/api/Contact", `{"idnp":"22","type":"Email","value":"a@b.md"}`).problem(t, 400, "Idnp")

	req, _ := http.NewRequest("POST", h.srv.URL+"/api/Notification", strings.NewReader("subject=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := h.clients["sender-a"].Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Errorf("form body: %d, want 415", resp.StatusCode)
	}
	h.do("sender-a", "PATCH", "/api/Notification", "").problem(t, 405, "")
	h.do("sender-a", "GET", "/api/Nothing", "").problem(t, 404, "")
}

func TestCaseInsensitiveRouting(t *testing.T) {
	h := newHarness(t)
	for range 3 {
		h.send("sender-a", simple(`[{"value":"x@example.md","type":"Email"}]`))
	}
	canonical := h.do("sender-a", "GET", "/api/Notification?Page=1&ItemsPerPage=2&OrderField=createdAt%20desc", "").ok(t, nil)
	for _, target := range []string{
		"/api/notification?page=1&itemsperpage=2&orderfield=createdAt%20desc",
		"/API/NOTIFICATION/?PAGE=1&ITEMSPERPAGE=2&ORDERFIELD=CREATEDAT%20DESC",
	} {
		if got := h.do("sender-a", "GET", target, "").ok(t, nil); string(got.Body) != string(canonical.Body) {
			t.Errorf("%s answered %s, want %s", target, got.Body, canonical.Body)
		}
	}
	h.do("sender-a", "GET", "/api/notification?itemsperpage=0", "").problem(t, 400, "ItemsPerPage")
	h.do("sender-a", "GET", "/api/notification?PAGE=1&page=2", "").problem(t, 400, "Page")
	tid := h.do("sender-a", "POST", "/api/template", `{"name":"t","description":"d","subject":{"ro":"s {{a}}"},"body":{"ro":"b"}}`).id(t)
	var got struct{ Subject map[string]string }
	h.do("sender-a", "GET", "/Api/Template/"+strings.ToUpper(tid)+"/CHECK?VARIABLES="+url.QueryEscape(`{"a":"x"}`), "").ok(t, &got)
	if got.Subject["ro"] != "s x" {
		t.Errorf("check through respelled path: %q", got.Subject["ro"])
	}
	h.do("sender-a", "GET", "/api/contact/2222222222222/EXISTS", "").ok(t, nil)
}

func TestPaging(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for i := range 25 {
		h.clock.Set(start.Add(time.Duration(i)*time.Second), true)
		ids = append(ids, h.send("sender-a", simple(`[{"value":"2222222222222","type":"IDNP"}]`)))
	}
	h.send("sender-b", simple(`[{"value":"2222222222222","type":"IDNP"}]`))
	type row struct{ ID, CreatedAt string }
	list := func(q string) []string {
		var rows []row
		h.do("sender-a", "GET", "/api/Notification"+q, "").ok(t, &rows)
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = r.ID
		}
		return out
	}
	byID := append([]string(nil), ids...)
	sort.Strings(byID)
	if got := list(""); fmt.Sprint(got) != fmt.Sprint(byID[:10]) {
		t.Errorf("default page (by id, 10): %v", got)
	}
	if got := list("?Page=3&ItemsPerPage=10&OrderField=id"); fmt.Sprint(got) != fmt.Sprint(byID[20:]) {
		t.Errorf("last page by id: %v", got)
	}
	if got := list("?Page=4"); len(got) != 0 {
		t.Errorf("past the end: %v", got)
	}
	if got := list("?Page=1&ItemsPerPage=3&OrderField=createdAt%20desc"); fmt.Sprint(got) != fmt.Sprint([]string{ids[24], ids[23], ids[22]}) {
		t.Errorf("newest first: %v", got)
	}
	if got := list("?Page=2&ItemsPerPage=2&OrderField=CreatedAt%20asc"); fmt.Sprint(got) != fmt.Sprint(ids[2:4]) {
		t.Errorf("oldest first, page 2: %v", got)
	}
	if got := list("?SearchBy=" + strings.ToUpper(ids[7])); fmt.Sprint(got) != fmt.Sprint(ids[7:8]) {
		t.Errorf("SearchBy: %v", got)
	}
	if got := list("?Page=2147483647&ItemsPerPage=100"); len(got) != 0 {
		t.Errorf("a huge page: %v", got)
	}
	// History by IDNP: one row per message (Email and MCabinet), the caller's only.
	var hist []struct{ ID, MessageID, Channel string }
	h.do("sender-a", "GET", "/api/Notification/Recipient/2222222222222?ItemsPerPage=100&OrderField=createdAt", "").ok(t, &hist)
	if len(hist) != 50 || hist[0].ID != ids[0] || hist[49].ID != ids[24] {
		t.Errorf("history: %d rows, first %+v", len(hist), hist[0])
	}
	h.do("sender-a", "GET", "/api/Notification/Recipient/2000000000022", "").ok(t, &hist)
	if len(hist) != 0 {
		t.Errorf("history of someone never notified: %v", hist)
	}
}

func TestContacts(t *testing.T) {
	h := newHarness(t)
	type exists struct {
		Exists, HasActiveChannel bool
		Language                 string
	}
	check := func(idnp string, want exists) {
		t.Helper()
		var got exists
		h.do("sender-a", "GET", "/api/Contact/"+idnp+"/exists", "").ok(t, &got)
		if got != want {
			t.Errorf("%s exists: %+v, want %+v", idnp, got, want)
		}
	}
	check("2222222222222", exists{true, true, "ro"})
	check("2000000000022", exists{true, false, "en"}) // MCabinet only
	check("2000000000033", exists{true, true, "ro"})  // SMS counts as a channel
	check("2888888888888", exists{})
	id := h.do("sender-b", "POST", "/api/Contact", `{"idnp":"2888888888888","type":"Email","value":"new@example.md","language":"ru"}`).id(t)
	h.do("sender-a", "POST", "/api/Contact", `{"idnp":"2888888888888","type":"Email","value":"NEW@example.md"}`).problem(t, 409, "")
	check("2888888888888", exists{true, true, "ru"})
	var contacts []struct{ ID, Type, Value string }
	h.do("sender-a", "GET", "/api/Contact?Idnp=2888888888888", "").ok(t, &contacts)
	if len(contacts) != 1 || contacts[0].ID != id || contacts[0].Type != ChannelEmail {
		t.Errorf("contacts: %+v", contacts)
	}
	h.do("sender-a", "GET", "/api/Contact?Idnp=2000000000011&ItemsPerPage=2", "").ok(t, &contacts)
	if len(contacts) != 2 || contacts[0].Type != ChannelEmail {
		t.Errorf("seeded contacts page: %+v", contacts)
	}
	h.do("sender-a", "GET", "/api/Contact", "").problem(t, 400, "Idnp")
	if got := h.do("sender-a", "PUT", "/api/Contact/2888888888888/language", `{"language":"en"}`).ok(t, nil); string(got.Body) != `"2888888888888"` {
		t.Errorf("language answer: %s", got.Body)
	}
	check("2888888888888", exists{true, true, "en"})
	h.do("sender-a", "PUT", "/api/Contact/2777777777777/language", `{"language":"en"}`).problem(t, 404, "")
	h.do("sender-a", "PUT", "/api/Contact/2888888888888/language", `{"language":"fr"}`).problem(t, 400, "Language")

	// A new channel is used for the next notification.
	nid := h.send("sender-a", simple(`[{"value":"2888888888888","type":"IDNP"}]`))
	h.clock.Set(start.Add(DeliveredAfter), true)
	n := h.notification("sender-a", nid)
	if n.Status != Delivered || n.Recipients[0].Messages[0].Subject != "Title" {
		t.Errorf("notification to the new contact: %+v", n)
	}
}

// TestMalformedNeverServerError sends broken requests of many kinds; none
// may get a 5xx, and the simulator keeps serving.
func TestMalformedNeverServerError(t *testing.T) {
	h := newHarness(t)
	bodies := []string{"", "{", "null", "[]", `"x"`, "1e999", `{"recipients":[null]}`, `{"recipients":[{"value":1,"type":2}],"priority":"Low"}`,
		`{"template":{"id":"x"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"}`,
		`{"subject":{"ro":"a","ro":"b"},"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"}`,
		`{"Priority":"bogus","priority":"Low","subject":{"ro":"a"},"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}]}`,
		`{"subject":{"ro":"a"},"body":{"ro":"b"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"} trailing`,
		"\xff\xfe", `{"name":null}`, `{"idnp":"2222222222222","type":"MCabinet","value":"x"}`, `{"language":["ro"]}`}
	paths := []string{"/api/Notification", "/api/Template", "/api/Contact", "/api/Contact/2222222222222/language",
		"/api/Template/9d871bac-f99c-4123-be7b-b391009a59db/check", "/api/Notification/%25zz", "/api/Template/%2500", "/api/Template/%00",
		"/api/Notification?Page=%25zz", "/api/Notification?Page=\xff", "/api/Notification?Page=1;2", "/api/Notification?ItemsPerPage=99999999999999999999",
		"/api/Contact?Idnp=%ff", "/api/Notification/Recipient/%2F%2F", "/%2e%2e/api/Notification"}
	for _, p := range paths {
		for _, method := range []string{"GET", "POST", "PUT", "DELETE"} {
			for _, b := range bodies {
				a := h.do("sender-a", method, p, b)
				if a.Status < 400 && a.Status != 200 {
					t.Errorf("%s %s %q: %d", method, p, b, a.Status)
				}
			}
		}
	}
	h.do("sender-a", "GET", "/api/Notification", "").ok(t, nil)
}

func TestReset(t *testing.T) {
	h := newHarness(t)
	h.send("sender-a", simple(`[{"value":"2222222222222","type":"IDNP"}]`))
	h.do("sender-a", "POST", "/api/Contact", `{"idnp":"2888888888888","type":"Email","value":"new@example.md"}`).id(t)
	if err := h.sim.Reset(); err != nil {
		t.Fatal(err)
	}
	var list []any
	h.do("sender-a", "GET", "/api/Notification", "").ok(t, &list)
	var ex struct{ Exists bool }
	h.do("sender-a", "GET", "/api/Contact/2888888888888/exists", "").ok(t, &ex)
	if len(list) != 0 || ex.Exists {
		t.Errorf("after reset: %d notifications, contact exists %v", len(list), ex.Exists)
	}
}

// The fixtures' senders start with history, as a sender on a real staging
// has: five notifications and two templates each, their own, readable by
// id, and back after a reset.
func TestSeededHistory(t *testing.T) {
	seed, err := fixtures.LoadMNotifySeed()
	if err != nil {
		t.Fatal(err)
	}
	sim, c := newSimOf(t, seed)
	h := newHarnessOf(t, sim, c)
	type item struct{ ID, Name, Status, CreatedBy string }
	ids := map[string]string{}
	count := func(who string) (int, int) {
		var ns, ts []item
		h.do(who, "GET", "/api/Notification?ItemsPerPage=100", "").ok(t, &ns)
		h.do(who, "GET", "/api/Template?ItemsPerPage=100", "").ok(t, &ts)
		for _, n := range ns {
			if other, seen := ids[n.ID]; seen && other != who {
				t.Fatalf("notification %s is both %s's and %s's", n.ID, other, who)
			}
			ids[n.ID] = who
			var full struct {
				ID         string
				Recipients []struct{ Value, CreatedBy string }
			}
			h.do(who, "GET", "/api/Notification/"+n.ID, "").ok(t, &full)
			if full.ID != n.ID || len(full.Recipients) != 1 || full.Recipients[0].CreatedBy == "" {
				t.Fatalf("%s's notification %s reads %+v", who, n.ID, full)
			}
			if a := h.do(other(who), "GET", "/api/Notification/"+n.ID, ""); a.Status != http.StatusForbidden {
				t.Fatalf("%s reads %s's notification: %d", other(who), who, a.Status)
			}
		}
		for _, tm := range ts {
			h.do(who, "GET", "/api/Template/"+tm.ID, "").ok(t, nil)
		}
		return len(ns), len(ts)
	}
	for _, who := range []string{"sender-a", "sender-b"} {
		if n, tm := count(who); n != 5 || tm != 2 {
			t.Fatalf("%s starts with %d notifications and %d templates, want 5 and 2", who, n, tm)
		}
	}
	var byCreated []struct{ CreatedAt string }
	h.do("sender-a", "GET", "/api/Notification?OrderField=createdAt", "").ok(t, &byCreated)
	for i := 1; i < len(byCreated); i++ {
		if byCreated[i-1].CreatedAt >= byCreated[i].CreatedAt {
			t.Fatalf("the seeded notifications are not made one after the other: %v", byCreated)
		}
	}
	h.send("sender-a", simple(`[{"value":"2222222222222","type":"IDNP"}]`))
	if n, _ := count("sender-a"); n != 6 {
		t.Fatalf("after one more: %d", n)
	}
	if err := h.sim.Reset(); err != nil {
		t.Fatal(err)
	}
	if n, tm := count("sender-a"); n != 5 || tm != 2 {
		t.Fatalf("after a reset: %d notifications and %d templates, want 5 and 2", n, tm)
	}
}

func other(who string) string {
	if who == "sender-a" {
		return "sender-b"
	}
	return "sender-a"
}

func TestJSONPath(t *testing.T) {
	for in, want := range map[string]string{"/recipients/0/value": "Recipients[0].Value", "/subject/ro": "Subject.Ro", "": "$", "/a~1b": "A/b"} {
		if got := jsonPath(in); got != want {
			t.Errorf("jsonPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRender(t *testing.T) {
	vars, err := parseVariables(`{"Name":"John","n":1.50,"b":true,"z":null}`)
	if err != nil {
		t.Fatal(err)
	}
	got := render("Dear {{Name}} {{n}} {{b}} [{{z}}] {{Missing}} {{ Name }} {{Name", lookupIn(vars, map[string]string{"Date": "01.01.2025"}))
	if want := "Dear John 1.50 true [] {{Missing}} {{ Name }} {{Name"; got != want {
		t.Errorf("render: %q, want %q", got, want)
	}
	for _, bad := range []string{"[]", `{"a":{}}`, `{"a":1} {}`, "nope"} {
		if _, err := parseVariables(bad); err == nil {
			t.Errorf("parseVariables(%q) accepted", bad)
		}
	}
}
