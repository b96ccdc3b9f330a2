package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"herald/fixtures"
)

// Two Content-Type headers are refused as ambiguous in each system's own
// format, naming the header, whichever order they come in: never taken
// as one of them, never a 5xx.
func TestConflictingContentTypesInEachSystem(t *testing.T) {
	h, err := New(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	mnotify := mnotifyListener(t, h)
	for _, order := range [][]string{{"application/json", "text/plain"}, {"text/plain", "application/json"}} {
		for _, c := range []struct {
			system, target, body string
			serve                func(*http.Request) (int, string)
		}{
			{"mopay", "/mopay/user_profile_create", `{"fsnm":"A","lsnm":"B","emal":"ct@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`, recorded(h.Handler())},
			{"monnet", "/monnet/api/v1/22/payouts?timestamp=1&signature=x", `{}`, recorded(h.Handler())},
			{"mnotify", "/api/Notification", `{}`, mnotify.as("sender-a")},
		} {
			r := httptest.NewRequest(http.MethodPost, c.target, strings.NewReader(c.body))
			r.Header["Content-Type"] = order
			status, body := c.serve(r)
			if status != http.StatusBadRequest || !strings.Contains(body, "Content-Type") {
				t.Errorf("%s with Content-Type %v: %d %s; want 400 naming Content-Type", c.system, order, status, body)
			}
		}
	}
}

// On MNotify's listener the client certificate is checked before anything
// else: without one, every request gets 401 ProblemDetails, whatever else
// is wrong with it, a world that does not exist included; with one, each
// gets its own answer.
func TestMNotifyCertificateFirst(t *testing.T) {
	h, err := New(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l := mnotifyListener(t, h)
	for _, c := range []struct {
		name, method, target string
		header               http.Header
		want                 int // with a registered certificate
	}{
		{"repeated parameter", "GET", "/api/Notification?Page=1&Page=2", nil, 400},
		{"invalid parameter", "GET", "/api/Notification?Page=abc", nil, 400},
		{"unknown path", "GET", "/api/Nothing", nil, 404},
		{"wrong method", "DELETE", "/api/Notification", nil, 405},
		{"headers over 32 KiB", "GET", "/api/Notification", http.Header{"X-Pad": {strings.Repeat("a", 40<<10)}}, 431},
		{"two content types", "POST", "/api/Notification", http.Header{"Content-Type": {"application/json", "text/plain"}}, 400},
		{"a world that does not exist", "GET", "/_herald/worlds/w99/api/Notification", nil, 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, who := range []string{"", "foreign", "unregistered", "sender-a"} {
				r := httptest.NewRequest(c.method, c.target, strings.NewReader("{}"))
				for k, vs := range c.header {
					r.Header[k] = vs
				}
				status, body := l.as(who)(r)
				want := map[string]int{"": 401, "foreign": 401, "unregistered": 403, "sender-a": c.want}[who]
				var problem struct {
					Status int    `json:"status"`
					Title  string `json:"title"`
					Detail string `json:"detail"`
				}
				if err := json.Unmarshal([]byte(body), &problem); err != nil || status != want || problem.Status != want || problem.Title == "" {
					t.Fatalf("certificate %q: %d %s; want %d ProblemDetails", who, status, body, want)
				}
				if c.name == "a world that does not exist" && who == "sender-a" && !strings.Contains(problem.Detail, "no such world") {
					t.Fatalf("the 404 does not say the world does not exist: %s", body)
				}
			}
		})
	}
}

// tlsListener is MNotify's own listener of a Herald, served over TLS.
type tlsListener struct {
	t   *testing.T
	srv *httptest.Server
}

func mnotifyListener(t *testing.T, h *Herald) tlsListener {
	t.Helper()
	for _, l := range h.Listeners() {
		if l.Name == "mnotify" {
			srv := httptest.NewUnstartedServer(l.Handler)
			srv.TLS = l.TLS
			srv.StartTLS()
			t.Cleanup(srv.Close)
			return tlsListener{t, srv}
		}
	}
	t.Fatal("no mnotify listener")
	return tlsListener{}
}

// as sends requests with role's client certificate ("" none), and returns
// the status and body.
func (m tlsListener) as(role string) func(*http.Request) (int, string) {
	return func(r *http.Request) (int, string) {
		m.t.Helper()
		cfg, err := fixtures.MNotifyClientTLS(role)
		if err != nil {
			m.t.Fatal(err)
		}
		tr := &http.Transport{TLSClientConfig: cfg}
		defer tr.CloseIdleConnections()
		out, err := http.NewRequest(r.Method, m.srv.URL+r.URL.RequestURI(), r.Body)
		if err != nil {
			m.t.Fatal(err)
		}
		out.Header = r.Header
		resp, err := tr.RoundTrip(out)
		if err != nil {
			m.t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
}

// recorded serves requests with handler in process.
func recorded(handler http.Handler) func(*http.Request) (int, string) {
	return func(r *http.Request) (int, string) {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		return rec.Code, rec.Body.String()
	}
}
