package mnotify

import (
	"strings"
	"testing"
)

// A template's name is 1 to 50 characters (50 included); a template keeps
// its own name on update, and may not take another template's.
func TestTemplateNameRules(t *testing.T) {
	h := newHarness(t)
	tmpl := func(name string) string {
		return `{"name":"` + name + `","description":"d","subject":{"ro":"s"},"body":{"ro":"b"}}`
	}
	long := strings.Repeat("ș", 50) // 50 characters, 100 bytes
	a := h.do("sender-a", "POST", "/api/Template", tmpl(long)).ok(t, nil).id(t)
	h.do("sender-a", "POST", "/api/Template", tmpl(long+"x")).problem(t, 400, "Name")
	b := h.do("sender-a", "POST", "/api/Template", tmpl("second")).ok(t, nil).id(t)
	h.do("sender-a", "PUT", "/api/Template/"+a, tmpl(long)).ok(t, nil)
	h.do("sender-a", "PUT", "/api/Template/"+b, tmpl("SECOND")).ok(t, nil)
	if got := h.do("sender-a", "PUT", "/api/Template/"+b, tmpl(long)); got.Status != 409 {
		t.Fatalf("taking another template's name: %d %s, want 409", got.Status, got.Body)
	}
}

// The subject is at most MaxSubject characters in each language, that many
// included.
func TestSubjectLengthBound(t *testing.T) {
	h := newHarness(t)
	send := func(subject string) answer {
		return h.do("sender-a", "POST", "/api/Notification", `{"subject":{"ro":"`+subject+`"},"body":{"ro":"b"},"recipients":[{"value":"2222222222222","type":"IDNP"}],"priority":"Low"}`)
	}
	send(strings.Repeat("ă", MaxSubject)).ok(t, nil)
	send(strings.Repeat("ă", MaxSubject+1)).problem(t, 400, "Subject.Ro")
}

// An IDNO recipient is a legal entity, an IDNP one is not.
func TestRecipientIsLegal(t *testing.T) {
	h := newHarness(t)
	id := h.send("sender-a", simple(`[{"value":"2222222222222","type":"IDNP"},{"value":"1003600000011","type":"IDNO"}]`))
	n := h.notification("sender-a", id)
	if len(n.Recipients) != 2 || n.Recipients[0].IsLegal || !n.Recipients[1].IsLegal {
		t.Fatalf("recipients %+v, want the IDNP one not legal and the IDNO one legal", n.Recipients)
	}
}

// A person's contacts are listed in the order they were added by default,
// and by id with OrderField=id.
func TestContactsListedByID(t *testing.T) {
	h := newHarness(t)
	for _, v := range []string{"c@example.md", "a@example.md", "b@example.md", "d@example.md", "e@example.md"} {
		h.do("sender-a", "POST", "/api/Contact", `{"idnp":"2888888888888","type":"Email","value":"`+v+`"}`).id(t)
	}
	var contacts []struct{ ID, Value string }
	h.do("sender-a", "GET", "/api/Contact?Idnp=2888888888888&ItemsPerPage=100", "").ok(t, &contacts)
	var values []string
	for _, c := range contacts {
		values = append(values, c.Value)
	}
	if strings.Join(values, " ") != "c@example.md a@example.md b@example.md d@example.md e@example.md" {
		t.Fatalf("contacts by default: %v, want the order they were added", values)
	}
	h.do("sender-a", "GET", "/api/Contact?Idnp=2888888888888&ItemsPerPage=100&OrderField=id", "").ok(t, &contacts)
	if len(contacts) != 5 {
		t.Fatalf("contacts %+v, want 5", contacts)
	}
	for i := 1; i < len(contacts); i++ {
		if contacts[i-1].ID >= contacts[i].ID {
			t.Fatalf("contacts not by id: %+v", contacts)
		}
	}
}

// The same seed hands out the same ids: the Random given is the one used.
func TestSameSeedSameIDs(t *testing.T) {
	a, b := newHarness(t), newHarness(t)
	if x, y := a.send("sender-a", simple(`[{"value":"2222222222222","type":"IDNP"}]`)), b.send("sender-a", simple(`[{"value":"2222222222222","type":"IDNP"}]`)); x != y {
		t.Fatalf("same seed, ids %s and %s", x, y)
	}
}
