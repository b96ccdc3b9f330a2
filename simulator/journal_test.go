package simulator

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type journalPage struct {
	Entries []struct {
		ID        int64  `json:"id"`
		World     string `json:"world"`
		System    string `json:"system"`
		Operation string `json:"operation"`
		Request   struct {
			Path    string              `json:"path"`
			Headers map[string][]string `json:"headers"`
			Body    string              `json:"body"`
		} `json:"request"`
		Response struct {
			Status int    `json:"status"`
			Body   string `json:"body"`
		} `json:"response"`
		Verdict struct{ Request, Response string } `json:"verdict"`
		Refusal struct{ Stage string }             `json:"refusal"`
		Auth    struct{ Outcome, Reason string }   `json:"auth"`
	} `json:"entries"`
	Matched  int `json:"matched"`
	Capacity int `json:"capacity"`
}

func readJournal(t *testing.T, h http.Handler, target string) journalPage {
	t.Helper()
	ex := call(t, h, "GET", target, "", nil)
	var p journalPage
	if ex.status != 200 || json.Unmarshal([]byte(ex.raw), &p) != nil {
		t.Fatalf("GET %s: %d %s", target, ex.status, ex.raw)
	}
	return p
}

func TestJournalRecordsEachWorldApart(t *testing.T) {
	h, err := New(Options{Seed: 1, JournalSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	key, secret := registerAt(t, h.Handler(), "/mopay/")
	// Mopay answers an empty list with 401 response_empty: the request was
	// accepted all the same.
	if ex := signedNotices(t, h, "/mopay/", key, secret, h.Clock().Now()); !strings.Contains(ex.raw, "response_empty") {
		t.Fatalf("signed fetch: %d %s", ex.status, ex.raw)
	}
	if ex := signedNotices(t, h, "/mopay/", key, "0000", h.Clock().Now()); ex.status == 200 {
		t.Fatalf("a wrong signature was accepted: %s", ex.raw)
	}
	p := readJournal(t, h.Handler(), "/_herald/v1/journal")
	if len(p.Entries) != 3 || p.Capacity != 50 {
		t.Fatalf("journal holds %d entries (capacity %d), want 3 (register, fetch, refused fetch)", len(p.Entries), p.Capacity)
	}
	refused, fetched, created := p.Entries[0], p.Entries[1], p.Entries[2]
	if refused.Verdict.Request != "refused" || refused.Auth.Outcome != "refused" || refused.Response.Status < 400 {
		t.Errorf("refused fetch: %+v", refused)
	}
	if fetched.Verdict.Request != "refused" || fetched.Refusal.Stage != "handler" || fetched.Verdict.Response != "conforms" || fetched.Auth.Outcome != "accepted" || fetched.Operation == "" {
		t.Errorf("fetch: %+v", fetched)
	}
	if strings.Contains(created.Request.Body, "Passw0rdX") || strings.Contains(created.Response.Body, secret) {
		t.Errorf("the journal keeps the password or the issued secret: %s / %s", created.Request.Body, created.Response.Body)
	}
	if v := fetched.Request.Headers["Mpy-Reqsignal"]; len(v) != 1 || v[0] != "<redacted>" {
		t.Errorf("signature header kept as %v", v)
	}

	ex := call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", nil)
	id, _ := ex.body["id"].(string)
	if ex.status != 201 || id == "" {
		t.Fatalf("create world: %d %s", ex.status, ex.raw)
	}
	wbase := "/_herald/worlds/" + id
	registerAt(t, h.Handler(), wbase+"/mopay/")
	wp := readJournal(t, h.Handler(), wbase+"/_herald/v1/journal")
	if len(wp.Entries) != 1 || wp.Entries[0].World != id || wp.Entries[0].Request.Path != wbase+"/mopay/user_profile_create" {
		t.Fatalf("world journal: %+v", wp.Entries)
	}
	if p := readJournal(t, h.Handler(), "/_herald/v1/journal"); len(p.Entries) != 3 {
		t.Errorf("the world's exchange reached the default world's journal: %d entries", len(p.Entries))
	}
	count := call(t, h.Handler(), "POST", "/_herald/v1/journal/count", `{"system":"mopay","auth":"refused"}`, nil)
	if count.status != 200 || count.body["count"] != float64(1) {
		t.Errorf("count: %d %s", count.status, count.raw)
	}

	if ex := call(t, h.Handler(), "POST", "/_herald/v1/reset", "", nil); ex.status != 200 {
		t.Fatalf("reset: %s", ex.raw)
	}
	if p := readJournal(t, h.Handler(), "/_herald/v1/journal"); len(p.Entries) != 0 {
		t.Errorf("a reset left %d entries", len(p.Entries))
	}
	if wp := readJournal(t, h.Handler(), wbase+"/_herald/v1/journal"); len(wp.Entries) != 1 {
		t.Errorf("the root's reset cleared the world's journal")
	}
	if ex := call(t, h.Handler(), "DELETE", wbase+"/_herald/v1/journal", "", nil); ex.status != 200 {
		t.Fatalf("DELETE journal: %s", ex.raw)
	}
	if wp := readJournal(t, h.Handler(), wbase+"/_herald/v1/journal"); len(wp.Entries) != 0 {
		t.Errorf("DELETE left %d entries", len(wp.Entries))
	}
	// A typo is refused, naming what is wrong, never taken for "no filter".
	for target, field := range map[string]string{
		"/_herald/v1/journal?verdict=sometimes":                         "verdict",
		"/_herald/v1/journal?sytem=mopay":                               "sytem",
		"/_herald/v1/journal?system=mopey":                              "system",
		"/_herald/v1/journal?operation=user_notice_fetc":                "operation",
		"/_herald/v1/journal?system=monnet&operation=user_notice_fetch": "operation",
		"/_herald/v1/journal/har?limit=3":                               "limit",
		"/_herald/v1/journal/stream?system=mopey":                       "system",
	} {
		if ex := call(t, h.Handler(), "GET", target, "", nil); ex.status != 400 || !strings.Contains(ex.raw, `"field":"`+field+`"`) {
			t.Errorf("GET %s: %d %s", target, ex.status, ex.raw)
		}
	}
	if ex := call(t, h.Handler(), "GET", "/_herald/v1/journal?system=mopay&operation=user_notice_fetch", "", nil); ex.status != 200 {
		t.Errorf("a system and one of its operations: %d %s", ex.status, ex.raw)
	}
	if ex := call(t, h.Handler(), "DELETE", wbase+"/_herald/v1/journal?system=mopay", "", nil); ex.status != 400 || !strings.Contains(ex.raw, "takes no filter") {
		t.Errorf("DELETE with a filter: %d %s", ex.status, ex.raw)
	}
}

func TestJournalOff(t *testing.T) {
	h, err := New(Options{Seed: 1, JournalSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	registerAt(t, h.Handler(), "/mopay/")
	for _, target := range []string{"/_herald/v1/journal", "/_herald/v1/journal/stream", "/_herald/v1/journal/har"} {
		if ex := call(t, h.Handler(), "GET", target, "", nil); ex.status != 404 || !strings.Contains(ex.raw, "--journal-size 0") {
			t.Errorf("GET %s with the journal off: %d %s", target, ex.status, ex.raw)
		}
	}
}

func TestJournalNeedsTheToken(t *testing.T) {
	h, err := New(Options{Seed: 1, ControlToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, target := range []string{"/_herald/v1/journal", "/_herald/v1/journal/stream", "/_herald/v1/journal/har"} {
		if ex := call(t, h.Handler(), "GET", target, "", nil); ex.status != 401 {
			t.Errorf("GET %s without the token: %d", target, ex.status)
		}
	}
	if ex := call(t, h.Handler(), "GET", "/_herald/v1/journal", "", http.Header{"Authorization": {"Bearer tok"}}); ex.status != 200 {
		t.Errorf("with the token: %d %s", ex.status, ex.raw)
	}
	if ex := call(t, h.Handler(), "GET", "/_herald/ui/", "", nil); ex.status != 200 {
		t.Errorf("the console's page needs no token (it holds no data): %d", ex.status)
	}
}

func TestJournalStream(t *testing.T) {
	h, err := New(Options{Seed: 1, JournalHeartbeat: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	registerAt(t, h.Handler(), "/mopay/") // id 1: in the backlog after 0

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/_herald/v1/journal/stream?after=0&system=mopay", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	next := func() (id, data string) {
		for lines.Scan() {
			l := lines.Text()
			switch {
			case strings.HasPrefix(l, "id: "):
				id = l[4:]
			case strings.HasPrefix(l, "data: "):
				return id, l[6:]
			}
		}
		t.Fatalf("the stream ended: %v", lines.Err())
		return "", ""
	}
	if id, data := next(); id != "1" || !strings.Contains(data, "user_profile_create") {
		t.Fatalf("backlog: id %s %s", id, data)
	}
	call(t, h.Handler(), "GET", "/monnet/nothing-here", "", nil) // filtered out
	call(t, h.Handler(), "GET", "/mopay/nothing-here", "", nil)
	if id, data := next(); id != "3" || !strings.Contains(data, "/mopay/nothing-here") {
		t.Fatalf("live: id %s %s", id, data)
	}
	heartbeat := false
	for lines.Scan() { // a quiet tail gets comments
		if lines.Text() == ": keep-alive" {
			heartbeat = true
			break
		}
	}
	if !heartbeat {
		t.Error("no keep-alive comment")
	}
	if ex := call(t, h.Handler(), "GET", "/_herald/v1/journal/stream?limit=3", "", nil); ex.status != 400 || !strings.Contains(ex.raw, `"field":"limit"`) {
		t.Errorf("stream with limit: %d %s", ex.status, ex.raw)
	}
}
