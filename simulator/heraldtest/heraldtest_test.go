package heraldtest

import (
	"net/http"
	"strings"
	"testing"
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
