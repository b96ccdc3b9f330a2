package mnotify

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"herald/fixtures"
	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/system"
)

// start is the frozen simulator clock's time in the tests.
var start = time.Date(2025, 11, 10, 9, 0, 0, 0, time.UTC)

// identities are the client certificates of the fixtures; "" is none.
var identities = []string{"", "sender-a", "sender-b", "unregistered", "expired", "revoked", "foreign"}

// harness runs the simulator behind a TLS listener that asks for client
// certificates, with one client per identity.
type harness struct {
	t       *testing.T
	sim     *Sim
	clock   *clock.Controlled
	srv     *httptest.Server
	clients map[string]*http.Client
}

// newSim is the simulator of the fixtures' seed, without the senders'
// seeded history, so that tests count what they send (see
// TestSeededHistory for the history itself).
func newSim(tb testing.TB) (*Sim, *clock.Controlled) {
	tb.Helper()
	seed, err := fixtures.LoadMNotifySeed()
	if err != nil {
		tb.Fatal(err)
	}
	for i := range seed.Registry {
		seed.Registry[i].History.Notifications, seed.Registry[i].History.Templates = 0, 0
	}
	return newSimOf(tb, seed)
}

func newSimOf(tb testing.TB, seed *fixtures.MNotifySeed) (*Sim, *clock.Controlled) {
	tb.Helper()
	c := clock.NewControlled(nil)
	c.Set(start, true)
	sim, err := New(Config{Clock: c, Random: entropy.New(1), Seed: seed, Engine: system.EngineDefaults{Faults: &engine.Faults{}}})
	if err != nil {
		tb.Fatal(err)
	}
	return sim, c
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	sim, c := newSim(t)
	return newHarnessOf(t, sim, c)
}

func newHarnessOf(t *testing.T, sim *Sim, c *clock.Controlled) *harness {
	t.Helper()
	srv := httptest.NewUnstartedServer(sim.Handler())
	srv.TLS = sim.Listener().TLS
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots, err := TestCA()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, sim: sim, clock: c, srv: srv, clients: map[string]*http.Client{}}
	for _, who := range identities {
		tc := &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12}
		if who != "" {
			certPEM, keyPEM, err := fixtures.MNotifyCert(who)
			if err != nil {
				t.Fatal(err)
			}
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		tr := &http.Transport{TLSClientConfig: tc}
		t.Cleanup(tr.CloseIdleConnections)
		// Generous: a 13 MB body under the race detector on a loaded machine.
		h.clients[who] = &http.Client{Transport: tr, Timeout: 60 * time.Second}
	}
	return h
}

type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request as who; a body is sent as application/json.
func (h *harness) do(who, method, target, body string) answer {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+target, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.clients[who].Do(req)
	if err != nil {
		h.t.Fatalf("%s %s as %q: %v", method, target, who, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if a.Status >= 500 {
		h.t.Fatalf("%s %s as %q: %d %s", method, target, who, a.Status, b)
	}
	return a
}

// ok asserts a 200 and decodes the body into v (when not nil).
func (a answer) ok(t *testing.T, v any) answer {
	t.Helper()
	if a.Status != http.StatusOK {
		t.Fatalf("want 200, got %d: %s", a.Status, a.Body)
	}
	if v != nil {
		if err := json.Unmarshal(a.Body, v); err != nil {
			t.Fatalf("answer does not decode: %v\n%s", err, a.Body)
		}
	}
	return a
}

type problem struct {
	Type, Title, Detail, TraceID string
	Status                       int
	Errors                       map[string][]string
}

// problem asserts a ProblemDetails answer with the status, and, for a 400,
// that errors names field.
func (a answer) problem(t *testing.T, status int, field string) problem {
	t.Helper()
	var p problem
	if a.Status != status {
		t.Fatalf("want %d, got %d: %s", status, a.Status, a.Body)
	}
	if ct := a.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q: %s", ct, a.Body)
	}
	if err := json.Unmarshal(a.Body, &p); err != nil || p.Status != status || p.TraceID == "" || p.Title == "" {
		t.Fatalf("not ProblemDetails with status %d: %v %s", status, err, a.Body)
	}
	if field != "" {
		if len(p.Errors[field]) == 0 {
			t.Fatalf("errors does not name %s: %s", field, a.Body)
		}
	}
	return p
}

// id decodes a JSON-string id answer.
func (a answer) id(t *testing.T) string {
	t.Helper()
	var id string
	a.ok(t, &id)
	if !uuidText.MatchString(id) || !bytes.HasPrefix(a.Body, []byte(`"`)) {
		t.Fatalf("not a UUID as a JSON string: %s", a.Body)
	}
	return id
}

// send posts a notification as who and returns its id.
func (h *harness) send(who, body string) string {
	h.t.Helper()
	return h.do(who, "POST", "/api/Notification", body).id(h.t)
}

func simple(recipients string) string {
	return `{"subject":{"ro":"Titlu","en":"Title","ru":"Заголовок"},"body":{"ro":"Corpul mesajului","en":"Message body"},` +
		`"recipients":` + recipients + `,"priority":"Low"}`
}

type full struct {
	ID, Status, Priority, CreatedAt, LastUpdatedAt string
	Recipients                                     []struct {
		Value, Type, Status string
		IsLegal             bool
		Messages            []struct{ MessageID, Subject, Status, Channel string }
	}
}

func (h *harness) notification(who, id string) full {
	h.t.Helper()
	var n full
	h.do(who, "GET", "/api/Notification/"+id, "").ok(h.t, &n)
	return n
}
