package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"herald/simulator/engine"
	wire "herald/specs/wire/journal"
)

// observation is a refused, signed Mopay request with a body, an answer
// that broke the spec, and a closest miss: every member of an entry set.
func observation(body []byte) engine.Observation {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/mopay/user_notice_fetch?req=x&sig=abc", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Mpy-Securekey", "pk-123")
	r.Header.Set("Authorization", "Bearer secret")
	return engine.Observation{
		System: "mopay", Request: r, OperationID: "user_notice_fetch", Body: body,
		Reply:     engine.Reply{Status: 401, Header: http.Header{"Content-Type": {"application/json"}}, Body: body},
		Auth:      engine.Auth{Checked: true, Err: errors.New("signature mismatch"), Note: "signature is over {} with the key issued at login"},
		Miss:      &engine.Miss{OperationID: "user_notice_fetch", Method: "GET", Path: "/user_notice_fetch", Differences: []string{"method POST, documented GET"}},
		Refused:   &engine.Problem{Kind: engine.Invalid, In: "body", Field: "emal", Pointer: "/emal", Reason: "not an email"},
		Violation: errors.New("response body\nat /DATA/0/id: must be a string"),
		Duration:  3 * time.Millisecond,
	}
}

// The journal's JSON is the contract's: the Go helpers decode every member
// of an entry, and send the criteria the journal counts with.
func TestEntryIsTheContracts(t *testing.T) {
	j := New(Options{Size: 4, Checked: true})
	j.Record("w1", time.Unix(1700000000, 0), observation([]byte(`{"emal":"a@example.com","pswd":"Passw0rdX"}`)))
	page := j.List("w1", Filter{World: "w1"}, 10)
	if len(page.Entries) != 1 {
		t.Fatalf("entries %d", len(page.Entries))
	}
	server, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(server))
	dec.DisallowUnknownFields()
	var client wire.Page
	if err := dec.Decode(&client); err != nil {
		t.Fatalf("the helpers' Page misses a member of the journal's: %v\n%s", err, server)
	}
	again, _ := json.Marshal(client)
	if !bytes.Equal(server, again) {
		t.Fatalf("the helpers' Page loses something:\n%s\n%s", server, again)
	}
	e := client.Entries[0]
	if e.ClosestMiss == nil || e.Refusal == nil || len(e.Violations) != 2 || e.Auth.Outcome != "refused" ||
		strings.Contains(string(server), "secret") || strings.Contains(string(server), "Passw0rdX") {
		t.Fatalf("entry %s", server)
	}
	m := wire.Match{System: "mopay", Operation: "user_notice_fetch", Status: "4xx", Auth: "refused", Query: map[string]string{"req": "x"}, BodyContains: "emal"}
	if r := j.Count("w1", Criteria(m)); r.Count != 1 {
		t.Fatalf("count %+v", r)
	}
	m.Status = "2xx"
	if r := j.Count("w1", Criteria(m)); r.Count != 0 || len(r.NearMisses) != 1 || r.NearMisses[0].Unmet[0] != "status is 401, not 2xx" {
		t.Fatalf("count %+v", r)
	}
}

// Bodies are redacted however an entry is read: listed, counted, tailed,
// small (kept as they came until read) or larger than the body bytes
// (redacted and clipped at once).
func TestBodiesRedactedOnEveryRead(t *testing.T) {
	small := []byte(`{"emal":"a@example.com","pswd":"Passw0rdX"}`)
	large := []byte(`{"pswd":"Passw0rdX","pad":"` + strings.Repeat("x", 300) + `"}`)
	j := New(Options{Size: 8, BodyBytes: 128})
	sub, _, err := j.Subscribe(Filter{}, -1)
	if err != nil {
		t.Fatal(err)
	}
	j.Record("", time.Time{}, observation(small))
	tailed := <-sub.C()
	sub.Close()
	j.Record("", time.Time{}, observation(small))
	j.Record("", time.Time{}, observation(large))
	listed := j.List("", Filter{}, 10).Entries
	counted := j.Count("", Criteria{System: "nobody"}).NearMisses
	if len(listed) != 3 || len(counted) != 3 {
		t.Fatalf("listed %d, near misses %d", len(listed), len(counted))
	}
	// The large body is re-encoded with its members in order, and clipped
	// before its pswd.
	for i, e := range []*Entry{tailed, listed[0], listed[1], counted[2].Entry} {
		for _, body := range []string{e.Request.Body, e.Response.Body} {
			if body == "" || strings.Contains(body, "Passw0rdX") || e.ID != 3 && !strings.Contains(body, `"pswd":"<redacted>"`) {
				t.Errorf("read %d (#%d): body %q", i, e.ID, body)
			}
		}
	}
	if e := listed[0]; !e.Request.BodyTruncated || e.Request.BodyBytes != len(large) || len(e.Request.Body) > 128 {
		t.Errorf("the large body: truncated %v, %d bytes, kept %d", e.Request.BodyTruncated, e.Request.BodyBytes, len(e.Request.Body))
	}
	if e := listed[1]; e.Request.BodyTruncated || e.Request.BodyBytes != len(small) {
		t.Errorf("the small body: truncated %v, %d bytes", e.Request.BodyTruncated, e.Request.BodyBytes)
	}
}

// Recording while others read and encode entries is safe (go test -race):
// an entry is finished under the lock before it is handed out.
func TestRecordWhileReading(t *testing.T) {
	j := New(Options{Size: 16})
	body := []byte(`{"pswd":"Passw0rdX"}`)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			j.Record("", time.Time{}, observation(body))
		}
	}()
	for i := 0; i < 50; i++ {
		b, err := json.Marshal(j.List("", Filter{}, 16))
		if err != nil || bytes.Contains(b, []byte("Passw0rdX")) {
			t.Fatalf("%v: %s", err, b)
		}
		_ = j.Count("", Criteria{Status: "2xx"})
	}
	<-done
}
