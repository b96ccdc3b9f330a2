package simulator

import (
	"strings"
	"testing"
)

// A Herald bound to all interfaces ([::]:8080, as in a container) reports
// that address, which no client can use: GET /info and POST /worlds say
// plainly that it is the server's own view; with usable addresses they do
// not.
func TestAddressNoteForUnspecifiedBinds(t *testing.T) {
	for _, tc := range []struct {
		main, mnotify string
		note          bool
	}{
		{"http://[::]:8080", "https://[::]:8443", true},
		{"http://0.0.0.0:8080", "https://127.0.0.1:8443", true},
		{"http://127.0.0.1:49000", "https://127.0.0.1:49001", false},
	} {
		h, err := New(Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		h.SetBaseURL(MainListener, tc.main)
		h.SetBaseURL("mnotify", tc.mnotify)
		info := call(t, h.Handler(), "GET", "/_herald/v1/info", "", nil)
		world := call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", nil)
		for what, ex := range map[string]exchange{"info": info, "worlds": world} {
			note, _ := ex.body["addressNote"].(string)
			switch {
			case ex.status/100 != 2:
				t.Errorf("%s: %d %s", what, ex.status, ex.raw)
			case tc.note && (!strings.Contains(note, "own view") || !strings.Contains(note, "--public-url")):
				t.Errorf("%s bound at %s: no plain note: %s", what, tc.main, ex.raw)
			case !tc.note && note != "":
				t.Errorf("%s bound at %s: a note where none is due: %q", what, tc.main, note)
			}
		}
		h.Close()
	}
}

// PUT /_herald/v1/listeners says where listeners are published, once that
// is known (heraldcontainer learns a container's ports after it starts):
// from then on every answer reports those URLs, and no note.
func TestSetListenerURLs(t *testing.T) {
	h, err := New(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	h.SetBaseURL(MainListener, "http://[::]:8080")
	h.SetBaseURL("mnotify", "https://[::]:8443")
	set := call(t, h.Handler(), "PUT", "/_herald/v1/listeners", `{"http":"http://127.0.0.1:49000","mnotify":"https://127.0.0.1:49001/"}`, nil)
	if set.status != 200 {
		t.Fatalf("PUT listeners: %d %s", set.status, set.raw)
	}
	info := call(t, h.Handler(), "GET", "/_herald/v1/info", "", nil)
	world := call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", nil)
	for what, ex := range map[string]exchange{"PUT": set, "info": info, "world": world} {
		if _, noted := ex.body["addressNote"]; noted || !strings.Contains(ex.raw, `"baseURL":"https://127.0.0.1:49001/`) || !strings.Contains(ex.raw, `"baseURL":"http://127.0.0.1:49000/mopay/`) &&
			!strings.Contains(ex.raw, `"baseURL":"http://127.0.0.1:49000/_herald/worlds/`) {
			t.Errorf("%s: %s", what, ex.raw)
		}
	}
	for body, field := range map[string]string{
		`{"nosuch":"http://127.0.0.1:1"}`: "nosuch",
		`{"mnotify":"ftp://127.0.0.1:1"}`: "mnotify",
		`{}`:                              "",
	} {
		ex := call(t, h.Handler(), "PUT", "/_herald/v1/listeners", body, nil)
		if ex.status != 400 || !strings.Contains(ex.raw, field) {
			t.Errorf("PUT %s: %d %s", body, ex.status, ex.raw)
		}
	}
	id, _ := world.body["id"].(string)
	if ex := call(t, h.Handler(), "PUT", "/_herald/worlds/"+id+"/_herald/v1/listeners", `{"http":"http://127.0.0.1:1"}`, nil); ex.status != 404 {
		t.Errorf("PUT listeners inside a world: %d %s", ex.status, ex.raw)
	}
}
