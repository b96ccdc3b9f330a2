package heraldtest

import (
	"bytes"
	"context"
	"crypto/tls"
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
	"herald/simulator/clock"
	jwire "herald/specs/wire/journal"
)

// Server is a running Herald.
type Server struct {
	// Herald is the simulator itself.
	Herald *simulator.Herald
	// URL is the main listener's base: "http://127.0.0.1:PORT".
	URL string
	// ControlURL is the control API's base, ending in "/".
	ControlURL string
	// URLs holds each system's base URL, ending in "/", by name.
	URLs map[string]string
	// Listeners holds each listener's base URL, by name ("http", "mnotify"…).
	Listeners map[string]string
	// Client trusts the servers' TLS certificates (for systems served on a
	// TLS listener of their own); it presents no client certificate.
	Client *http.Client
	// Token is the control API's bearer token (WithControlToken); "" when
	// the control API takes none. Control and Journal send it.
	Token string
}

// Option adjusts the Herald New starts.
type Option func(*options)

type options struct {
	sim     simulator.Options
	clockAt *time.Time
	frozen  bool
}

// WithSeed sets the random seed (default 1, so that runs repeat).
func WithSeed(seed uint64) Option { return func(o *options) { o.sim.Seed = seed } }

// WithClock sets the simulator clock once the Herald is up: frozen at now,
// or running on from it; heraldcontainer.WithClock takes the same.
func WithClock(now time.Time, frozen bool) Option {
	return func(o *options) { o.clockAt, o.frozen = &now, frozen }
}

// WithClockSource makes the simulator clock follow c until the control API
// sets it (in process only: a container has no such option).
func WithClockSource(c clock.Clock) Option { return func(o *options) { o.sim.Clock = c } }

// WithControlToken makes the control API require this bearer token, as
// herald serve --control-token does; Control and Journal send it.
func WithControlToken(token string) Option {
	return func(o *options) { o.sim.ControlToken = token }
}

// WithJournal sizes the journal: how many exchanges it keeps, every world's
// together (0: the default; below 0: off), and how many bytes of each body
// (0: the default), as herald serve --journal-size and --journal-body-bytes.
func WithJournal(size, bodyBytes int) Option {
	return func(o *options) { o.sim.JournalSize, o.sim.JournalBodyBytes = size, bodyBytes }
}

// WithSetting sets a system setting, such as "mopay.rate-limit" to "0".
func WithSetting(key, value string) Option {
	return func(o *options) {
		if o.sim.Settings == nil {
			o.sim.Settings = map[string]string{}
		}
		o.sim.Settings[key] = value
	}
}

// New starts a Herald for the test and closes it with t.Cleanup.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := options{sim: simulator.Options{Seed: 1, Version: "heraldtest"}}
	for _, opt := range opts {
		opt(&o)
	}
	h, err := simulator.New(o.sim)
	if err != nil {
		t.Fatalf("heraldtest: %v", err)
	}
	s := &Server{Herald: h, URLs: map[string]string{}, Listeners: map[string]string{}, Token: o.sim.ControlToken}
	roots := x509.NewCertPool()
	for _, l := range h.Listeners() {
		srv := httptest.NewUnstartedServer(l.Handler)
		if l.TLS != nil {
			srv.TLS = l.TLS.Clone()
			srv.StartTLS()
			roots.AddCert(srv.Certificate())
		} else {
			srv.Start()
		}
		t.Cleanup(srv.Close)
		h.SetBaseURL(l.Name, srv.URL)
		s.Listeners[l.Name] = srv.URL
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	s.Client = &http.Client{Transport: transport, Timeout: 30 * time.Second}
	if err := h.Start(context.Background()); err != nil {
		t.Fatalf("heraldtest: %v", err)
	}
	t.Cleanup(func() { _ = h.Close() })
	s.URL = s.Listeners[simulator.MainListener]
	s.ControlURL = s.URL + "/_herald/v1/"
	for _, info := range h.Systems() {
		s.URLs[info.Name] = info.BaseURL
	}
	if o.clockAt != nil {
		s.Control(t, http.MethodPut, "clock", map[string]any{"now": o.clockAt.UTC().Format(time.RFC3339Nano), "frozen": o.frozen}, nil)
	}
	return s
}

// World is an isolated world of a Herald: its own state, clock and random
// streams, at other base URLs.
type World struct {
	ID         string
	ControlURL string
	URLs       map[string]string
	client     *http.Client
	token      string
}

// World opens an isolated world, deleted when the test ends.
func (s *Server) World(t testing.TB) *World {
	t.Helper()
	info, err := s.Herald.CreateWorld()
	if err != nil {
		t.Fatalf("heraldtest: opening a world: %v", err)
	}
	t.Cleanup(func() { s.Herald.DeleteWorld(info.ID) })
	w := &World{ID: info.ID, ControlURL: info.BaseURL + "_herald/v1/", URLs: map[string]string{}, client: s.Client, token: s.Token}
	for _, sys := range info.Systems {
		w.URLs[sys.Name] = sys.BaseURL
	}
	return w
}

// Control calls the control API (method, path under ControlURL, JSON body or
// nil) and decodes the answer into out, when given: a JSON answer into
// anything json.Unmarshal takes, and any answer (a PEM certificate, say) as
// it is into a *[]byte or *string.
func (s *Server) Control(t testing.TB, method, path string, body, out any) {
	t.Helper()
	control(t, s.Client, s.ControlURL, s.Token, method, path, body, out)
}

// Control calls the world's control API, as Server.Control does, with
// client (nil: the Server's).
func (w *World) Control(t testing.TB, client *http.Client, method, path string, body, out any) {
	t.Helper()
	if client == nil {
		client = w.client
	}
	control(t, client, w.ControlURL, w.token, method, path, body, out)
}

// The journal's types, shared with heraldcontainer (herald/specs/wire/journal):
// a Match built for one works with the other.
type (
	// Journal reads a world's journal through the control API.
	Journal = jwire.Client
	// Match is what a count asks of an exchange: every field given must
	// hold.
	Match = jwire.Match
	// JournalFilter selects the exchanges Journal.List returns.
	JournalFilter = jwire.Filter
	// JournalEntry is one exchange the journal kept.
	JournalEntry = jwire.Entry
)

// Journal reads the default world's journal:
//
//	s.Journal().AssertReceived(t, heraldtest.Match{System: "mopay", Operation: "user_notice_fetch", Status: "2xx"}, 1)
func (s *Server) Journal() *Journal {
	return &Journal{ControlURL: s.ControlURL, Token: s.Token, HTTP: s.Client}
}

// Journal reads the world's journal, which holds only its own exchanges.
func (w *World) Journal() *Journal {
	return &Journal{ControlURL: w.ControlURL, Token: w.token, HTTP: w.client}
}

// MonnetNotifierCert is the certificate (PEM) Monnet's notifier signs
// with, as Monnet hands it to merchants: what a merchant's receiver
// verifies notifications against.
func (s *Server) MonnetNotifierCert(t testing.TB) []byte {
	t.Helper()
	var pem []byte
	s.Control(t, http.MethodGet, "monnet/notifier/certificate", nil, &pem)
	return pem
}

func control(t testing.TB, client *http.Client, base, token, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("heraldtest: control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		t.Fatalf("heraldtest: control %s %s answered %d: %s", method, path, resp.StatusCode, b)
	}
	switch out := out.(type) {
	case nil:
	case *[]byte:
		*out = b
	case *string:
		*out = string(b)
	default:
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("heraldtest: control %s %s: %v", method, path, err)
		}
	}
}

// MNotifyClient is an HTTP client of MNotify presenting role's test
// certificate ("sender-a", "sender-b", "unregistered", "expired", "revoked",
// "foreign"; "" presents none), trusting the test CA. TestCA is that CA's
// PEM, for clients of your own.
func (s *Server) MNotifyClient(role string) (*http.Client, error) {
	cfg, err := fixtures.MNotifyClientTLS(role)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// TestCA is the PEM of the CA that issued the MNotify server and sender
// test certificates.
func (s *Server) TestCA() []byte {
	ca, _, _ := fixtures.MNotifyCert("ca")
	return ca
}
