package proxy_test

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"herald/fixtures"
	"herald/simulator"
	"herald/simulator/heraldtest"
	"herald/simulator/journal"
	"herald/simulator/proxy"
	wire "herald/specs/wire/mnotify"
)

// mnotifyFront starts a proxy whose MNotify listener stands in front of the
// Herald h's MNotify (the "vendor"), re-originating with the fixtures'
// certificate of each role, and returns the listener's base URL, the
// proxy's journal and the proxy.
func mnotifyFront(t *testing.T, h *heraldtest.Server, roles proxy.ClientRoles) (string, *journal.Journal, *proxy.Proxy) {
	t.Helper()
	clients := map[string]*http.Client{}
	for _, role := range wire.CertRoles() {
		c, err := h.MNotifyClient(role)
		if err != nil {
			t.Fatal(err)
		}
		clients[role] = c
	}
	j := journal.New(journal.Options{Size: 100, Checked: true})
	p, err := proxy.New(proxy.Options{Definitions: simulator.Registered(), Journal: j, Timeout: 5 * time.Second,
		Upstreams: map[string]proxy.Upstream{"mnotify": {BaseURL: h.URLs["mnotify"], MutualTLS: &proxy.MutualTLS{Roles: roles, Clients: clients}}}})
	if err != nil {
		t.Fatal(err)
	}
	ls := p.Listeners()
	if len(ls) != 1 || ls[0].Name != "mnotify" || ls[0].TLS == nil {
		t.Fatalf("listeners: %+v", ls)
	}
	srv := httptest.NewUnstartedServer(ls[0].Handler)
	srv.TLS = ls[0].TLS
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL, j, p
}

func fixtureRoles(t *testing.T) proxy.ClientRoles {
	t.Helper()
	roles, err := proxy.FixtureRoles()
	if err != nil {
		t.Fatal(err)
	}
	return roles
}

// mnotifySend sends a request as role ("" presents no certificate) and
// returns the status and body.
func mnotifySend(t *testing.T, h *heraldtest.Server, role, method, url, body string) (int, string) {
	t.Helper()
	c, err := h.MNotifyClient(role)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s as %q: %v", method, url, role, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// upstreamSeen is what the Herald behind the proxy journalled.
type upstreamSeen struct {
	Matched int
	Entries []struct {
		Operation string
		Auth      struct{ Outcome, Reason string }
	}
}

func seen(t *testing.T, h *heraldtest.Server) upstreamSeen {
	t.Helper()
	var s upstreamSeen
	h.Control(t, "GET", "journal?system=mnotify", nil, &s)
	return s
}

const notification = `{"subject": {"ro": "Titlu"}, "body": {"ro": "Corpul mesajului"}, "bodyShort": {"ro": "Corpul mesajului"},
 "recipients": [{"value": "someone@example.md", "type": "Email"}], "priority": "Low"}`

// A request from sender-a's certificate is forwarded with sender-a's
// certificate, and answered as the vendor answers sender-a.
func TestMNotifyForwardedAsItsRole(t *testing.T) {
	h := heraldtest.New(t)
	base, j, p := mnotifyFront(t, h, fixtureRoles(t))
	status, body := mnotifySend(t, h, wire.RoleSenderA, "POST", base+"/api/Notification", notification)
	var id string
	if status != 200 || json.Unmarshal([]byte(body), &id) != nil || id == "" {
		t.Fatalf("send as sender-a through the proxy: %d %s", status, body)
	}
	up := seen(t, h)
	if up.Matched != 1 || up.Entries[0].Operation != "sendNotification" || up.Entries[0].Auth.Outcome != "accepted" ||
		!strings.Contains(up.Entries[0].Auth.Reason, "certificate serial 1001") || !strings.Contains(up.Entries[0].Auth.Reason, "sender A") {
		t.Fatalf("the upstream saw %+v", up)
	}
	e := j.List("", journal.Filter{}, 1).Entries[0]
	if e.System != "mnotify" || e.Operation != "sendNotification" || e.Auth.Outcome != journal.Accepted || !strings.Contains(e.Auth.Reason, "role sender-a") ||
		e.Verdict.Response != journal.Conforms || len(e.Violations) != 0 || e.Request.Path != "/api/Notification" {
		t.Errorf("the proxy's entry: %+v", e)
	}
	if d := p.Drift(); d.Violating != 0 || len(d.Rules) != 0 {
		t.Errorf("drift: %+v", d)
	}
}

// A certificate that maps to no role, or none at all, is refused in
// ProblemDetails, never forwarded, and journalled with why; in report mode
// too, where a request that breaks the spec would still be forwarded.
func TestMNotifyUnmappedNeverForwarded(t *testing.T) {
	h := heraldtest.New(t)
	var roles proxy.ClientRoles // sender-a and sender-b only
	for _, role := range []string{wire.RoleSenderA, wire.RoleSenderB} {
		certPEM, _, err := fixtures.MNotifyCert(role)
		if err != nil {
			t.Fatal(err)
		}
		if err := roles.Pin(certPEM, role); err != nil {
			t.Fatal(err)
		}
	}
	base, j, p := mnotifyFront(t, h, roles)
	for _, c := range []struct {
		role   string
		status int
		detail string
	}{
		{wire.RoleUnregistered, 403, "serial 1003 maps to no role"},
		{"", 401, "a client certificate is required"},
	} {
		status, body := mnotifySend(t, h, c.role, "GET", base+"/api/Template", "")
		var pd wire.Problem
		if err := json.Unmarshal([]byte(body), &pd); err != nil || status != c.status || pd.Status != c.status || !strings.Contains(pd.Detail, c.detail) || pd.Title == "" {
			t.Errorf("%q: %d %s", c.role, status, body)
		}
		e := j.List("", journal.Filter{}, 1).Entries[0]
		if e.Operation != "listTemplates" || e.Auth.Outcome != journal.Refused || e.Refusal == nil || e.Refusal.Stage != "auth" || e.Refusal.Kind != "credentials" {
			t.Errorf("%q: entry %+v refusal %+v", c.role, e, e.Refusal)
		}
		if e.Verdict.Response != journal.Conforms || len(e.Violations) != 0 {
			t.Errorf("%q: the proxy's own refusal breaks the spec: %+v", c.role, e.Violations)
		}
	}
	if e := j.List("", journal.Filter{}, 2).Entries[1]; !strings.Contains(e.Auth.Reason, `certificate serial 1003 (CN "unregistered") maps to no role`) {
		t.Errorf("the journal does not say why: %q", e.Auth.Reason)
	}
	if up := seen(t, h); up.Matched != 0 {
		t.Errorf("the upstream saw %d requests: %+v", up.Matched, up.Entries)
	}
	if d := p.Drift(); len(d.Rules) != 0 {
		t.Errorf("the proxy's refusals count as drift: %+v", d.Rules)
	}
}

// Roles by serial number hold for certificates of the CAs the proxy
// trusts: the foreign CA's certificate with sender-a's serial number is
// refused; with AnyClient it is let in, and forwarded as sender-a.
func TestMNotifyRolesBySerial(t *testing.T) {
	h := heraldtest.New(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(h.TestCA())
	for _, any := range []bool{false, true} {
		base, j, _ := mnotifyFront(t, h, proxy.ClientRoles{Serials: map[string]string{"1001": wire.RoleSenderA}, CAs: pool, AnyClient: any})
		if status, body := mnotifySend(t, h, wire.RoleSenderA, "GET", base+"/api/Template", ""); status != 200 {
			t.Errorf("any %v: sender-a: %d %s", any, status, body)
		}
		status, body := mnotifySend(t, h, wire.RoleForeign, "GET", base+"/api/Template", "")
		e := j.List("", journal.Filter{}, 1).Entries[0]
		switch {
		case !any && (status != 403 || !strings.Contains(body, "serial 1001 is not issued by a certificate authority herald proxy trusts")):
			t.Errorf("foreign: %d %s", status, body)
		case !any && !strings.Contains(e.Auth.Reason, `issued by "CN=Herald foreign test CA,O=Herald"`):
			t.Errorf("foreign: the journal says %q", e.Auth.Reason)
		case any && (status != 200 || !strings.Contains(e.Auth.Reason, "role sender-a")):
			t.Errorf("any: foreign: %d %s (%q)", status, body, e.Auth.Reason)
		}
	}
}

// sender-b cannot read sender-a's notification through the proxy: the
// proxy re-originates each with its own role's certificate, so the
// vendor's isolation holds.
func TestMNotifyIsolationHolds(t *testing.T) {
	h := heraldtest.New(t)
	base, _, _ := mnotifyFront(t, h, fixtureRoles(t))
	status, body := mnotifySend(t, h, wire.RoleSenderA, "POST", base+"/api/Notification", notification)
	var id string
	if status != 200 || json.Unmarshal([]byte(body), &id) != nil || id == "" {
		t.Fatalf("send as sender-a: %d %s", status, body)
	}
	if status, body := mnotifySend(t, h, wire.RoleSenderB, "GET", base+"/api/Notification/"+id, ""); status != 403 {
		t.Errorf("sender-b reads sender-a's notification through the proxy: %d %s", status, body)
	}
	if status, body := mnotifySend(t, h, wire.RoleSenderA, "GET", base+"/api/Notification/"+id, ""); status != 200 {
		t.Errorf("sender-a reads its own notification: %d %s", status, body)
	}
}

// MNotify is proxied with MutualTLS, and only then; MutualTLS needs a role.
func TestMNotifyNeedsMutualTLS(t *testing.T) {
	h := heraldtest.New(t)
	j := journal.New(journal.Options{Size: 10, Checked: true})
	for name, up := range map[string]proxy.Upstream{
		"without MutualTLS":  {BaseURL: h.URLs["mnotify"]},
		"without any role":   {BaseURL: h.URLs["mnotify"], MutualTLS: &proxy.MutualTLS{}},
		"serials and no CAs": {BaseURL: h.URLs["mnotify"], MutualTLS: &proxy.MutualTLS{Roles: proxy.ClientRoles{Serials: map[string]string{"1001": "sender-a"}}}},
	} {
		if _, err := proxy.New(proxy.Options{Definitions: simulator.Registered(), Journal: j, Upstreams: map[string]proxy.Upstream{"mnotify": up}}); err == nil {
			t.Errorf("%s: built", name)
		}
	}
	if _, err := proxy.New(proxy.Options{Definitions: simulator.Registered(), Journal: j,
		Upstreams: map[string]proxy.Upstream{"mopay": {BaseURL: h.URLs["mopay"], MutualTLS: &proxy.MutualTLS{Roles: fixtureRoles(t)}}}}); err == nil {
		t.Error("mopay with MutualTLS: built")
	}
}
