package journal

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"herald/simulator/engine"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// obs makes an observation of a request to target with the given answer.
func obs(method, target, body string, status int, answer string) engine.Observation {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	return engine.Observation{System: "mopay", Request: r, OperationID: "op", Body: []byte(body),
		Reply: engine.Reply{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(answer)}, Duration: time.Millisecond}
}

func newJournal(size, body int) *Journal {
	return New(Options{Size: size, BodyBytes: body, Checked: true, Now: func() time.Time { return t0 }})
}

func TestRingKeepsTheNewestAndCountsEvicted(t *testing.T) {
	j := newJournal(3, 0)
	for i := 1; i <= 5; i++ {
		j.Record("", t0, obs("GET", fmt.Sprintf("/mopay/n/%d", i), "", 200, "{}"))
	}
	j.Record("w1", t0, obs("GET", "/x", "", 200, "{}"))
	p := j.List("", Filter{}, 10)
	var paths []string
	for _, e := range p.Entries {
		paths = append(paths, e.Request.Path)
	}
	if got := strings.Join(paths, ","); got != "/mopay/n/5,/mopay/n/4" {
		t.Fatalf("kept %s, want the newest two of the default world (the third slot holds w1's)", got)
	}
	if p.Evicted != 3 || p.Capacity != 3 || p.Matched != 2 {
		t.Errorf("evicted %d capacity %d matched %d, want 3 3 2", p.Evicted, p.Capacity, p.Matched)
	}
	if w := j.List("w1", Filter{World: "w1"}, 10); len(w.Entries) != 1 || w.Evicted != 0 {
		t.Errorf("world w1: %d entries, %d evicted; want 1, 0", len(w.Entries), w.Evicted)
	}
	if ids := p.Entries[0].ID; ids != 5 {
		t.Errorf("newest id %d, want 5", ids)
	}
	j.Clear("")
	if p := j.List("", Filter{}, 10); len(p.Entries) != 0 || p.Evicted != 0 {
		t.Errorf("after Clear: %d entries, %d evicted", len(p.Entries), p.Evicted)
	}
	if w := j.List("w1", Filter{World: "w1"}, 10); len(w.Entries) != 1 {
		t.Errorf("clearing the default world dropped w1's entries")
	}
}

func TestNilJournalIsOff(t *testing.T) {
	var j *Journal
	j.Record("", t0, obs("GET", "/", "", 200, "{}"))
	j.Clear("")
	if p := j.List("", Filter{}, 5); len(p.Entries) != 0 || j.Capacity() != 0 {
		t.Error("a nil journal holds something")
	}
	if _, _, err := j.Subscribe(Filter{}, -1); err == nil {
		t.Error("a nil journal opened a tail")
	}
}

func TestEntryVerdictsRedactionAndClipping(t *testing.T) {
	j := newJournal(10, 8)
	o := obs("POST", "/mopay/api/?req=login&signature=s3cr3t&x=1", `{"pswd":"P@ssw0rd1","emal":"a@b.c"}`, 400, "ééééé")
	o.Request.Header.Set("MPY-SECUREKEY", "key-123")
	o.Refused = &engine.Problem{Kind: engine.Invalid, In: "body", Field: "emal", Pointer: "/emal", Reason: "bad address"}
	o.Auth = engine.Auth{Checked: true, Err: errors.New("signature mismatch"), Note: "signature is over `x` with key k"}
	j.Record("", t0, o)
	e := j.List("", Filter{}, 1).Entries[0]
	if e.Verdict.Request != Refused || e.Verdict.Response != Conforms {
		t.Errorf("verdict %+v", e.Verdict)
	}
	if e.Refusal == nil || e.Refusal.Pointer != "/emal" || e.Refusal.Kind != engine.Invalid.String() {
		t.Errorf("refusal %+v", e.Refusal)
	}
	if len(e.Violations) != 1 || e.Violations[0].Side != "request" || e.Violations[0].Pointer != "/emal" {
		t.Errorf("violations %+v", e.Violations)
	}
	if e.Auth.Outcome != Refused || !strings.Contains(e.Auth.Reason, "signature is over") {
		t.Errorf("auth %+v", e.Auth)
	}
	all := fmt.Sprintf("%+v", e)
	for _, secret := range []string{"s3cr3t", "key-123", "P@ssw0rd1"} {
		if strings.Contains(all, secret) {
			t.Errorf("the entry keeps the secret %q: %s", secret, all)
		}
	}
	if e.Request.BodyBytes != len(`{"pswd":"P@ssw0rd1","emal":"a@b.c"}`) || !e.Request.BodyTruncated || len(e.Request.Body) > 8 {
		t.Errorf("request body %q (%d bytes, truncated %v)", e.Request.Body, e.Request.BodyBytes, e.Request.BodyTruncated)
	}
	if e.Response.Body != "éééé" || !e.Response.BodyTruncated { // 8 bytes: four two-byte runes, never half of one
		t.Errorf("response body %q", e.Response.Body)
	}
	if e.Request.Query != "req=login&signature=REDACTED&x=1" || e.Request.Path != "/mopay/api/" {
		t.Errorf("path %q query %q", e.Request.Path, e.Request.Query)
	}
}

// A refusal names its stage: a handler's error is a refusal too (a wrong
// password), as is one of the authentication, the route or the spec.
func TestRefusalStages(t *testing.T) {
	j := newJournal(10, 0)
	authErr := errors.New("signature does not match")
	for _, c := range []struct {
		name  string
		edit  func(*engine.Observation)
		stage string
	}{
		{"handler", func(o *engine.Observation) {
			o.Handled, o.Refused = true, &engine.Problem{Kind: engine.NotFound, Reason: "no notification 7"}
		}, "handler"},
		{"auth", func(o *engine.Observation) {
			o.Auth, o.Refused = engine.Auth{Checked: true, Err: authErr}, authErr
		}, "auth"},
		{"route", func(o *engine.Observation) {
			o.OperationID, o.Refused = "", &engine.Problem{Kind: engine.NotFound, Reason: "no operation"}
		}, "route"},
		{"fault", func(o *engine.Observation) { o.Refused = &engine.Problem{Kind: engine.Fault, Status: 500} }, "fault"},
		{"spec", func(o *engine.Observation) {
			o.Refused = &engine.Problem{Kind: engine.Invalid, In: "query", Field: "page", Reason: "not a number"}
		}, "spec"},
	} {
		o := obs("GET", "/x", "", 404, "{}")
		c.edit(&o)
		j.Record("", t0, o)
		e := j.List("", Filter{}, 1).Entries[0]
		if e.Verdict.Request != Refused || e.Refusal == nil || e.Refusal.Stage != c.stage {
			t.Errorf("%s: verdict %+v refusal %+v", c.name, e.Verdict, e.Refusal)
		}
	}
	if e := j.List("", Filter{}, 1).Entries[0]; len(e.Violations) != 1 || e.Violations[0].Pointer != "/query/page" {
		t.Errorf("a parameter's violation: %+v", e.Violations)
	}
}

func TestResponseViolationPointers(t *testing.T) {
	j := newJournal(10, 0)
	o := obs("GET", "/x", "", 200, "{}")
	o.Violation = errors.New("mopay op, status 200: at /DATA/0/marker: value must be a string\nat /REQUEST: property \"X\" is unsupported")
	j.Record("", t0, o)
	e := j.List("", Filter{}, 1).Entries[0]
	if e.Verdict.Response != Violates || len(e.Violations) != 2 || e.Violations[0].Pointer != "/DATA/0/marker" || e.Violations[1].Pointer != "/REQUEST" {
		t.Errorf("verdict %+v violations %+v", e.Verdict, e.Violations)
	}
	o.Violation = errors.New("no pointer here")
	j.Record("", t0, o)
	if e := j.List("", Filter{}, 1).Entries[0]; len(e.Violations) != 1 || e.Violations[0].Pointer != "/" {
		t.Errorf("violations %+v", e.Violations)
	}
}

func TestFilters(t *testing.T) {
	j := New(Options{Size: 20, Checked: true, Now: func() time.Time { return t0 }})
	a := obs("GET", "/mopay/a", "", 200, `{"hello":"World"}`)
	b := obs("POST", "/mopay/b", `{"x":1}`, 401, "{}")
	b.Refused = errors.New("signature does not match")
	b.OperationID = "other"
	c := obs("GET", "/mopay/zz", "", 404, "{}")
	c.OperationID = ""
	c.System = "monnet"
	j.Record("", t0, a)
	j.Record("", t0, b)
	j.Record("", t0, c)
	ids := func(q string) string {
		v, _ := url.ParseQuery(q)
		f, err := ParseFilter("", v)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var out []string
		for _, e := range j.List("", f, 100).Entries {
			out = append(out, fmt.Sprint(e.ID))
		}
		return strings.Join(out, ",")
	}
	for q, want := range map[string]string{
		"":                           "3,2,1",
		"system=monnet":              "3",
		"operation=none":             "3",
		"operation=other":            "2",
		"method=POST":                "2",
		"status=4xx":                 "3,2",
		"status=401":                 "2",
		"verdict=refused":            "2",
		"verdict=accepted":           "3,1",
		"q=WORLD":                    "1",
		"q=signature+does":           "2",
		"before=3":                   "2,1",
		"after=1":                    "3,2",
		"since=2026-01-02T03:04:04Z": "3,2,1",
		"since=2026-01-02T03:04:05Z": "",
		"until=2026-01-02T03:04:04Z": "",
	} {
		if got := ids(q); got != want {
			t.Errorf("%q: got %q, want %q", q, got, want)
		}
	}
	for q, field := range map[string]string{"status=600": "status", "verdict=maybe": "verdict", "since=yesterday": "since",
		"after=-1": "after", "method=get": "method", "system=Mopay": "system", "system=a&system=b": "system"} {
		v, _ := url.ParseQuery(q)
		_, err := ParseFilter("", v)
		var bad *BadFilter
		if !errors.As(err, &bad) || bad.Field != field {
			t.Errorf("%q: error %v, want one naming %s", q, err, field)
		}
	}
}

func TestCountAndNearMisses(t *testing.T) {
	j := newJournal(10, 0)
	for _, target := range []string{"/mopay/a?x=1", "/mopay/b?x=2", "/mopay/a?x=2"} {
		o := obs("GET", target, "", 200, "{}")
		o.Request.Header.Set("X-Trace", "t1")
		j.Record("", t0, o)
	}
	j.Record("", t0, obs("POST", "/mopay/a", `{"name":"ion"}`, 201, "{}"))
	r := j.Count("", Criteria{Method: "GET", Path: "/mopay/a", Query: map[string]string{"x": "2"}, Headers: map[string]string{"x-trace": "t1"}})
	if r.Count != 1 {
		t.Errorf("count %d, want 1", r.Count)
	}
	if len(r.NearMisses) != 3 || r.NearMisses[0].Entry.ID != 2 || r.NearMisses[1].Entry.ID != 1 {
		t.Fatalf("near misses %+v", r.NearMisses)
	}
	if got := strings.Join(r.NearMisses[0].Unmet, "; "); got != "path is /mopay/b, not /mopay/a" {
		t.Errorf("unmet %q", got)
	}
	if got := strings.Join(r.NearMisses[1].Unmet, "; "); got != `query x is "1", not "2"` {
		t.Errorf("unmet %q", got)
	}
	if r := j.Count("", Criteria{BodyContains: `"ion"`, Status: "2xx"}); r.Count != 1 {
		t.Errorf("bodyContains count %d", r.Count)
	}
	for _, c := range []Criteria{{Headers: map[string]string{"Authorization": "<redacted>"}}, {Query: map[string]string{"signature": "REDACTED"}}} {
		o := obs("GET", "/mopay/a?signature=abc", "", 200, "{}")
		o.Request.Header.Set("Authorization", "Bearer t")
		j.Record("", t0, o)
		if r := j.Count("", c); r.Count != 0 || !strings.Contains(strings.Join(r.NearMisses[0].Unmet, ";"), "is redacted, so no value matches it") {
			t.Errorf("a redacted value matched: %+v: %d %+v", c, r.Count, r.NearMisses)
		}
	}
	if r := j.Count("w9", Criteria{}); r.Count != 0 || len(r.NearMisses) != 0 {
		t.Errorf("another world counted %d", r.Count)
	}
}

func TestSubscribeBacklogThenLive(t *testing.T) {
	j := newJournal(10, 0)
	j.Record("", t0, obs("GET", "/1", "", 200, "{}"))
	j.Record("", t0, obs("GET", "/2", "", 200, "{}"))
	j.Record("w1", t0, obs("GET", "/other", "", 200, "{}"))
	s, backlog, err := j.Subscribe(Filter{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(backlog) != 1 || backlog[0].Request.Path != "/2" {
		t.Fatalf("backlog %+v", backlog)
	}
	j.Record("w1", t0, obs("GET", "/other", "", 200, "{}"))
	j.Record("", t0, obs("GET", "/3", "", 200, "{}"))
	select {
	case e := <-s.C():
		if e.Request.Path != "/3" {
			t.Errorf("got %s, want /3 (another world's exchange leaked into the tail)", e.Request.Path)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the live entry never came")
	}
}

func TestSlowTailIsClosedAndTold(t *testing.T) {
	j := newJournal(SubscriberBuffer*2, 0)
	s, _, err := j.Subscribe(Filter{}, -1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= SubscriberBuffer; i++ {
		j.Record("", t0, obs("GET", "/", "", 200, "{}"))
	}
	n := 0
	for range s.C() {
		n++
	}
	if n != SubscriberBuffer || !s.Overflowed() {
		t.Errorf("read %d, overflowed %v; want %d, true", n, s.Overflowed(), SubscriberBuffer)
	}
	s.Close() // closing twice is harmless
	subs := make([]*Sub, 0, MaxSubscribers)
	for i := 0; i < MaxSubscribers; i++ {
		s, _, err := j.Subscribe(Filter{}, -1)
		if err != nil {
			t.Fatalf("tail %d: %v", i, err)
		}
		subs = append(subs, s)
	}
	if _, _, err := j.Subscribe(Filter{}, -1); err == nil {
		t.Error("a tail beyond MaxSubscribers was opened")
	}
	subs[0].Close()
	if _, _, err := j.Subscribe(Filter{}, -1); err != nil {
		t.Errorf("closing a tail did not free its place: %v", err)
	}
}

func TestHAR(t *testing.T) {
	j := newJournal(10, 4)
	o := obs("POST", "http://h.example/mopay/api/?req=a&signature=zz", `{"a":1}`, 200, `{"ok":true}`)
	j.Record("", t0, o)
	j.Record("", t0, obs("GET", "/second", "", 404, "{}"))
	h := ToHAR(j.Oldest("", Filter{}), "v1")
	if h.Log.Version != "1.2" || len(h.Log.Entries) != 2 {
		t.Fatalf("HAR %+v", h.Log)
	}
	e := h.Log.Entries[0]
	if e.Request.URL != "http://h.example/mopay/api/?req=a&signature=REDACTED" || e.Request.PostData == nil || e.Request.BodySize != 7 {
		t.Errorf("request %+v", e.Request)
	}
	if e.Response.Content.Comment == "" || e.Response.Content.Size != 11 || e.Herald.System != "mopay" {
		t.Errorf("response %+v herald %+v", e.Response, e.Herald)
	}
	if h.Log.Entries[1].Request.PostData != nil {
		t.Error("a GET without a body has postData")
	}
}

func TestCloseTailsEndsEveryTail(t *testing.T) {
	j := newJournal(4, 0)
	a, _, _ := j.Subscribe(Filter{}, -1)
	b, _, _ := j.Subscribe(Filter{World: "w1"}, -1)
	j.CloseTails()
	for _, s := range []*Sub{a, b} {
		if _, open := <-s.C(); open || s.Overflowed() {
			t.Error("a tail is still open, or says it overflowed")
		}
		s.Close()
	}
	if _, _, err := j.Subscribe(Filter{}, -1); err != nil {
		t.Errorf("a tail after CloseTails: %v", err)
	}
}
