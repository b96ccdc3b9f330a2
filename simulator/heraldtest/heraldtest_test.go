package heraldtest

import (
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"
)

func register(t *testing.T, client *http.Client, base string) string {
	t.Helper()
	resp, err := client.Post(base+"user_profile_create", "application/json",
		strings.NewReader(`{"fsnm":"A","lsnm":"B","emal":"ht@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("register at %s: %d", base, resp.StatusCode)
	}
	return resp.Status
}

func TestServerAndWorld(t *testing.T) {
	s := New(t, WithSeed(7), WithSetting("mopay.rate-limit", "0"))
	if !strings.HasPrefix(s.URLs["mopay"], s.URL+"/mopay/") || s.ControlURL != s.URL+"/_herald/v1/" {
		t.Fatalf("URLs %v, control %s", s.URLs, s.ControlURL)
	}
	register(t, s.Client, s.URLs["mopay"])
	var info struct{ Seed uint64 }
	s.Control(t, "GET", "info", nil, &info)
	if info.Seed != 7 {
		t.Fatalf("seed %d", info.Seed)
	}
	w := s.World(t)
	if !strings.Contains(w.URLs["mopay"], "/_herald/worlds/"+w.ID+"/mopay/") {
		t.Fatalf("world URLs %v", w.URLs)
	}
	register(t, s.Client, w.URLs["mopay"]) // the same address again: a world of its own
	var clock struct{ Frozen bool }
	w.Control(t, s.Client, "PUT", "clock", map[string]any{"now": "2030-01-01T00:00:00Z"}, &clock)
	if !clock.Frozen {
		t.Fatal("world clock not frozen")
	}
}

// MNotify, on its own TLS listener, answers the registered test sender and
// refuses a caller without a certificate, in every world.
func TestMNotifyClients(t *testing.T) {
	s := New(t)
	sender, err := s.MNotifyClient("sender-a")
	if err != nil {
		t.Fatal(err)
	}
	anonymous, err := s.MNotifyClient("")
	if err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{s.URLs["mnotify"], s.World(t).URLs["mnotify"]} {
		for client, want := range map[*http.Client]int{sender: 200, anonymous: 401} {
			resp, err := client.Get(base + "api/Notification")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Fatalf("%s: %d, want %d", base, resp.StatusCode, want)
			}
		}
	}
	if len(s.TestCA()) == 0 {
		t.Fatal("no test CA")
	}
}

// A world's control API answers with the server's client when none is
// given, rather than a panic inside net/http.
func TestWorldControlWithoutClient(t *testing.T) {
	s := New(t)
	var info struct{ World string }
	s.World(t).Control(t, nil, "GET", "info", nil, &info)
	if info.World == "" {
		t.Fatalf("world info: %+v", info)
	}
}

// Control reads an answer that is not JSON (Monnet's notifier certificate
// is PEM) into a *[]byte or *string; MonnetNotifierCert gives it in one
// call.
func TestControlReadsPEM(t *testing.T) {
	s := New(t)
	var raw []byte
	s.Control(t, "GET", "monnet/notifier/certificate", nil, &raw)
	var text string
	s.Control(t, "GET", "monnet/notifier/certificate", nil, &text)
	if !strings.HasPrefix(string(raw), "-----BEGIN CERTIFICATE-----") || text != string(raw) {
		t.Fatalf("raw %q, text %q", raw, text)
	}
	block, _ := pem.Decode(s.MonnetNotifierCert(t))
	if block == nil {
		t.Fatal("MonnetNotifierCert: no PEM")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
}

// WithClock takes the shape heraldcontainer's does: a time, frozen or
// running on from it.
func TestWithClock(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	s := New(t, WithClock(at, true))
	var clock struct {
		Now    time.Time
		Frozen bool
	}
	s.Control(t, "GET", "clock", nil, &clock)
	if !clock.Now.Equal(at) || !clock.Frozen {
		t.Fatalf("clock %+v, want frozen at %s", clock, at)
	}
}

// With a control token, the control API refuses requests without it, and
// Control (the server's and a world's) sends it.
func TestControlToken(t *testing.T) {
	s := New(t, WithControlToken("s3cret"), WithClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), true))
	resp, err := s.Client.Get(s.ControlURL + "info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("info without the token: %d, want 401", resp.StatusCode)
	}
	var clock struct{ Now string }
	s.Control(t, http.MethodGet, "clock", nil, &clock)
	if clock.Now != "2026-01-01T00:00:00Z" {
		t.Errorf("clock %q", clock.Now)
	}
	w := s.World(t)
	w.Control(t, nil, http.MethodGet, "clock", nil, &clock)
	if clock.Now == "" {
		t.Error("the world's clock is not read")
	}
}
