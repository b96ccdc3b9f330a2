package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fakeTB struct{ errors []string }

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func TestMatchString(t *testing.T) {
	m := Match{System: "mopay", Status: "2xx", Query: map[string]string{"b": "2", "a": "1"}, Headers: map[string]string{"X-Id": "7"}, BodyContains: `"emal"`}
	if got, want := m.String(), `system=mopay status=2xx query a="1" query b="2" header X-Id="7" body contains "\"emal\""`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := (Match{}).String(); got != "(any exchange)" {
		t.Errorf("empty: %s", got)
	}
}

func TestFilterValues(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	f := Filter{System: "mopay", Operation: "none", Method: "GET", Status: "4xx", Verdict: "refused", Text: "secure key", Since: at, Limit: 5, Before: 9, After: 2}
	if got, want := f.Values().Encode(), "after=2&before=9&limit=5&method=GET&operation=none&q=secure+key&since=2030-01-02T03%3A04%3A05Z&status=4xx&system=mopay&verdict=refused"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := (Filter{}).Values().Encode(); got != "" {
		t.Errorf("empty: %s", got)
	}
}

// The client sends the token and the criteria, and a refusal of the
// control API becomes an APIError with its message.
func TestClient(t *testing.T) {
	var gotAuth, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/_herald/v1/journal/count":
			b := make([]byte, 1024)
			n, _ := r.Body.Read(b)
			gotBody = string(b[:n])
			_ = json.NewEncoder(w).Encode(CountResult{Count: 2, NearMisses: []NearMiss{}})
		case "/_herald/v1/journal":
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":{"code":"invalid_request","message":"not a status","field":"status"}}`))
		}
	}))
	defer srv.Close()
	c := &Client{ControlURL: srv.URL + "/_herald/v1/", Token: "t0k"}
	n, err := c.Count(context.Background(), Match{Operation: "x"})
	if err != nil || n != 2 || gotAuth != "Bearer t0k" || gotBody != `{"operation":"x"}` {
		t.Fatalf("count %d, %v; Authorization %q, body %s", n, err, gotAuth, gotBody)
	}
	var fake fakeTB
	if c.AssertReceived(&fake, Match{}, 1) || len(fake.errors) != 1 || !strings.Contains(fake.errors[0], "wanted 1 exchange matching (any exchange), got 2") {
		t.Fatalf("%q", fake.errors)
	}
	_, err = c.List(context.Background(), Filter{Status: "x"})
	var api *APIError
	if !errors.As(err, &api) || api.Status != 400 || api.Field != "status" ||
		err.Error() != "control GET journal?status=x answered 400 invalid_request (status): not a status" {
		t.Fatalf("%v", err)
	}
}

// Failure names every near miss's exchange, unmet criteria, and refusal.
func TestFailure(t *testing.T) {
	r := CountResult{NearMisses: []NearMiss{{
		Entry: Entry{ID: 4, World: "w1", System: "mnotify", Request: Message{Method: "POST", Path: "/_herald/worlds/w1/mnotify/api/notification", Query: "a=1"},
			Response: Message{Status: 404}, Refusal: &Refusal{Kind: "not found", Reason: "no operation"},
			ClosestMiss: &Miss{Operation: "createNotification", Method: "POST", Path: "/api/Notification", Differences: []string{"path case"}}},
		Unmet: []string{"operation is none, not createNotification"},
	}, {
		Entry: Entry{ID: 5, System: "mnotify", Operation: "createNotification", Request: Message{Method: "POST", Path: "/mnotify/api/Notification"},
			Response: Message{Status: 400}, Refusal: &Refusal{Kind: "invalid", Pointer: "/body/recipients", Reason: "required"}},
		Unmet: []string{"status is 400, not 2xx"},
	}}}
	got := Failure(Match{Operation: "createNotification", Status: "2xx"}, 2, r)
	want := `journal: wanted 2 exchanges matching operation=createNotification status=2xx, got 0
closest exchanges:
  1. POST /_herald/worlds/w1/mnotify/api/notification?a=1 → 404 (mnotify operation none, #4, world w1)
       unmet: operation is none, not createNotification
       refused (not found): no operation
       matched no operation; closest POST /api/Notification (createNotification): path case
  2. POST /mnotify/api/Notification → 400 (mnotify operation createNotification, #5)
       unmet: status is 400, not 2xx
       refused (invalid at /body/recipients): required`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
