package mnotify

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	messages "github.com/cucumber/messages/go/v21"

	"herald/specs"
	"herald/steps"
)

// The module's name is the spec's: the one place it is written.
func TestSystemNameIsTheSpecs(t *testing.T) {
	doc, err := specs.Load(specs.Mnotify)
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := doc.Info.Extensions["x-herald-system"].(string); name != System {
		t.Fatalf("steps call the system %q, its spec %q", System, name)
	}
}

func pickles(t *testing.T) []*messages.Pickle {
	t.Helper()
	m, err := Module()
	if err != nil {
		t.Fatal(err)
	}
	out, err := steps.Pickles(m.Features())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no MNotify scenarios")
	}
	return out
}

var (
	roleStep     = regexp.MustCompile(`^I am MNotify sender "([^"]*)"$`)
	registryStep = regexp.MustCompile(`^MPass (?:revokes|registers) the MNotify certificate of "([^"]*)"$`)
	controlStep  = regexp.MustCompile(`MNotify simulator|^MPass `)
	changeStep   = regexp.MustCompile(`^I send an MNotify (POST|PUT|DELETE) |^MPass (revokes|registers) `)
)

// A scenario that uses a role's certificate (other than sender-a, which
// every MNotify target has) carries @cert-<role>, so that a target without
// it leaves the scenario out rather than failing it; one that uses the
// control API carries @simulator; one that sends, changes or deletes
// anything carries @mutating.
func TestScenariosDeclareWhatTheyNeed(t *testing.T) {
	for _, p := range pickles(t) {
		tags := map[string]bool{}
		for _, tag := range p.Tags {
			tags[tag.Name] = true
		}
		if !tags["@mnotify"] {
			t.Errorf("%s: %q has no @mnotify tag", p.Uri, p.Name)
		}
		for _, s := range p.Steps {
			role := ""
			if m := roleStep.FindStringSubmatch(s.Text); m != nil {
				role = m[1]
			}
			if m := registryStep.FindStringSubmatch(s.Text); m != nil {
				role = m[1]
			}
			if role != "" && role != RoleSenderA && !tags[TagCert+role] {
				t.Errorf("%s: %q uses the role %s without the tag %s%s", p.Uri, p.Name, role, TagCert, role)
			}
			if role != "" && !KnownRole(role) {
				t.Errorf("%s: %q names an unknown role %s", p.Uri, p.Name, role)
			}
			if controlStep.MatchString(s.Text) && !tags[steps.TagSimulator] {
				t.Errorf("%s: %q uses the control API (%q) without %s", p.Uri, p.Name, s.Text, steps.TagSimulator)
			}
		}
		// @mutating exactly when the scenario may create or change data:
		// left out on a real MNotify (where a notification reaches people)
		// unless --allow-mutating, and only then.
		changes := false
		for _, s := range p.Steps {
			changes = changes || changeStep.MatchString(s.Text)
		}
		if changes != tags[steps.TagMutating] {
			t.Errorf("%s: %q changes data: %v, tagged %s: %v", p.Uri, p.Name, changes, steps.TagMutating, tags[steps.TagMutating])
		}
	}
}

// A target without a role's certificate leaves out the scenarios tagged for it.
func TestExclusions(t *testing.T) {
	m, _ := Module()
	real, err := Target("https://mnotify.example/", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Exclusions(steps.Target{Systems: map[string]*steps.SystemTarget{System: real}})
	if len(got) != len(CertRoles())-1 {
		t.Fatalf("exclusions %v, want one per role but sender-a", got)
	}
	herald := m.ForHerald("https://127.0.0.1:8443/")
	if got := m.Exclusions(steps.Target{Systems: map[string]*steps.SystemTarget{System: herald}}); len(got) != 0 {
		t.Fatalf("a Herald has every certificate, got exclusions %v", got)
	}
	if len(herald.Clients) != len(CertRoles())+1 || herald.Params[ParamCertificate+RoleSenderB] == "" {
		t.Fatalf("clients %d, want one per role and none", len(herald.Clients))
	}
	if _, err := Target("https://x/", nil, map[string]Identity{"sender-c": {}}); err == nil {
		t.Fatal("an unknown role was accepted")
	}
}

func TestOperationFor(t *testing.T) {
	mod, _ := Module()
	m := mod.(*module)
	for _, c := range []struct{ method, target, want string }{
		{"GET", "/api/Notification", "listNotifications"},
		{"GET", "/api/notification/?page=1", "listNotifications"},
		{"POST", "/API/NOTIFICATION", "sendNotification"},
		{"GET", "/api/Notification/Recipient/2222222222222", "listRecipientNotifications"},
		{"GET", "/api/Notification/9d871bac-f99c-4123-be7b-b391009a59db", "getNotification"},
		{"POST", "/api/Template/x/check", "checkTemplateWithBody"},
		{"PATCH", "/api/Notification", ""},
		{"GET", "/api/Nothing", ""},
	} {
		if got := m.operationFor(c.method, c.target); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.method, c.target, got, c.want)
		}
	}
}

func TestLookup(t *testing.T) {
	doc := []byte(`{"id":"x","n":1.50,"ok":true,"body":{"ro":"Corp"},"recipients":[{"messages":[{"channel":"Email"},{"channel":"MCabinet"}]}]}`)
	for path, want := range map[string]string{
		"id": "x", "n": "1.50", "ok": "true", "body.ro": "Corp", "recipients[0].messages[1].channel": "MCabinet",
		"body": `{"ro":"Corp"}`,
	} {
		if got, err := lookup(doc, path); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", path, got, err, want)
		}
	}
	if got, err := lookup([]byte(`[{"id":"a"}]`), "[0].id"); err != nil || got != "a" {
		t.Errorf("[0].id: %q %v", got, err)
	}
	if got, err := lookup([]byte(`"an-id"`), ""); err != nil || got != "an-id" {
		t.Errorf("whole: %q %v", got, err)
	}
	for _, bad := range []string{"missing", "recipients[3]", "id.x", "a]b"} {
		if _, err := lookup(doc, bad); err == nil {
			t.Errorf("%s: found", bad)
		}
	}
}

func TestExpand(t *testing.T) {
	w := &world{ids: map[string]string{"their template": "T", "n": "N"}, unique: "u1", idnp: "2900000000001"}
	got, err := w.expand(`{"id": "{their template}", "name": "x {unique}", "idnp": "{idnp}", "s": "{{var}} {{n}}", "v": "{\"a\":1}", "e": { }}/{n}`)
	if want := `{"id": "T", "name": "x u1", "idnp": "2900000000001", "s": "{{var}} {{n}}", "v": "{\"a\":1}", "e": { }}/N`; err != nil || got != want {
		t.Fatalf("expand:\n got %s %v\nwant %s", got, err, want)
	}
	if _, err := w.expand("/api/Notification/{typo}"); err == nil {
		t.Fatal("an unknown name was sent as it is")
	}
}

func testWorld(t *testing.T, herald bool) *world {
	t.Helper()
	mod, err := Module()
	if err != nil {
		t.Fatal(err)
	}
	target := steps.Target{Name: "real"}
	if herald {
		target = steps.Target{Name: "herald", ControlURL: "http://127.0.0.1:1/_herald/v1/"}
	}
	return &world{sc: &steps.Scenario{Target: target}, m: mod.(*module), ids: map[string]string{}, found: map[string][]string{}}
}

// The vendor publishes no error body: a real target's error answer is held
// to a documented status only; a Herald's to ProblemDetails. Success answers
// are held to the spec and to the official client's models everywhere.
func TestCheckSpecHoldsARealTargetToTheDocumentedPart(t *testing.T) {
	plain := http.Header{"Content-Type": {"text/plain"}}
	real, herald := testWorld(t, false), testWorld(t, true)
	unauthorised := &answer{operationID: "listTemplates", status: 401, header: plain, body: []byte("Unauthorized")}
	if err := real.checkSpec(unauthorised); err != nil {
		t.Errorf("a real target's plain-text 401: %v", err)
	}
	if err := herald.checkSpec(unauthorised); err == nil {
		t.Error("a Herald's plain-text 401 passed")
	}
	if err := real.checkSpec(&answer{operationID: "listTemplates", status: 422, header: plain}); err == nil {
		t.Error("an undocumented 422 passed")
	}
	if err := real.checkSpec(&answer{operationID: "listTemplates", status: 503, header: plain}); err != nil {
		t.Errorf("a 503: %v", err)
	}
	if err := real.checkSpec(&answer{status: 404, header: plain}); err != nil {
		t.Errorf("a real target's 404 for an unknown path: %v", err)
	}
	js := http.Header{"Content-Type": {"application/json"}}
	noAudit := []byte(`{"id":"9d871bac-f99c-4123-be7b-b391009a59db","status":"Sent","recipients":[{"value":"a@example.md","type":"Email","messages":[]}]}`)
	for _, w := range []*world{real, herald} {
		if err := w.checkSpec(&answer{operationID: "getNotification", status: 200, header: js, body: noAudit}); err == nil {
			t.Errorf("%s: a recipient without the client's required members passed", w.sc.Target.Name)
		}
	}
}

func TestOrderedBy(t *testing.T) {
	w := testWorld(t, false)
	set := func(body string) { w.last = &answer{status: 200, body: []byte(body)} }
	set(`[{"createdAt":"2025-11-10T09:00:02Z"},{"createdAt":"2025-11-10T09:00:01.5Z"},{"createdAt":"2025-11-10T09:00:01.5Z"}]`)
	if err := w.orderedBy("createdAt", "descending"); err != nil {
		t.Error(err)
	}
	if err := w.orderedBy("createdAt", "ascending"); err == nil {
		t.Error("a descending list passed as ascending")
	}
	set(`[{"name":"a"},{"name":"b"}]`)
	if err := w.orderedBy("name", "ascending"); err != nil {
		t.Error(err)
	}
	set(`[{"name":"a"}]`)
	if err := w.orderedBy("name", "ascending"); err == nil {
		t.Error("one item cannot show an order")
	}
}

func TestListsNoneFound(t *testing.T) {
	w := testWorld(t, false)
	w.found[kindNotifications] = []string{"9D871BAC-F99C-4123-BE7B-B391009A59DB"}
	w.last = &answer{status: 200, body: []byte(`[{"id":"3f1c2b4a-5d6e-4f70-8192-a3b4c5d6e7f8"}]`)}
	if err := w.listsNoneFound(kindNotifications); err != nil {
		t.Error(err)
	}
	w.last = &answer{status: 200, body: []byte(`[{"id":"9d871bac-f99c-4123-be7b-b391009a59db"}]`)}
	if err := w.listsNoneFound(kindNotifications); err == nil {
		t.Error("another sender's id passed")
	}
}

// A real MNotify may refuse a certificate it will not take at the TLS
// handshake: that refuses the caller, and answers nothing else.
func TestARefusedHandshakeRefusesTheCaller(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: x509.NewCertPool()}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	st, err := Target(srv.URL+"/", caPEM, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := testWorld(t, false)
	w.st, w.role = st, RoleNone
	w.sc.Target.Systems = map[string]*steps.SystemTarget{System: st}
	if err := w.call(http.MethodGet, "/api/Template", nil); err != nil {
		t.Fatalf("a refused handshake failed the call: %v", err)
	}
	if w.last.refused == "" {
		t.Fatalf("not seen as refused: %+v", w.last)
	}
	if err := w.refusesCaller(""); err != nil {
		t.Error(err)
	}
	if err := w.problem(401, ""); err != nil {
		t.Error(err)
	}
	if err := w.answerIs(200); err == nil || !strings.Contains(err.Error(), "TLS handshake") {
		t.Errorf("200 after a refused handshake: %v", err)
	}
	// Against a Herald, or for a registered sender, it is a failure.
	w.role = RoleSenderA
	w.st.Clients[RoleSenderA] = w.st.Clients[RoleNone]
	if err := w.call(http.MethodGet, "/api/Template", nil); err == nil {
		t.Error("a registered sender's refused handshake passed")
	}
}
