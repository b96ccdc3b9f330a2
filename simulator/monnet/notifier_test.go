package monnet

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	wire "herald/specs/wire/monnet"
)

// t0 is when the tests' frozen clocks start.
func t0() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

const fixedLatency = 7 * time.Millisecond

// receiver records what it gets and answers with the next status of its
// script (the last one repeats); a negative status makes it hang for that
// many milliseconds, then answer 200.
type receiver struct {
	mu       sync.Mutex
	script   []int
	got      []received
	srv      *httptest.Server
	released chan struct{}
}

type received struct {
	method string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script, released: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Method, req.Header.Clone(), body})
		status := r.script[0]
		if len(r.script) > 1 {
			r.script = r.script[1:]
		}
		r.mu.Unlock()
		if status < 0 {
			select {
			case <-time.After(time.Duration(-status) * time.Millisecond):
			case <-r.released:
			}
			status = 200
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(func() { close(r.released); r.srv.Close() })
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func newTestNotifier(t *testing.T, backoff []time.Duration) (*Notifier, *fakeScheduler) {
	t.Helper()
	keys := testKeys(t)
	s := newFakeScheduler(t0())
	n, err := NewNotifier(NotifierConfig{Scheduler: s, Clock: s.clock, Key: keys.notifier, Certificate: keys.certPEM, Forger: keys.forger,
		Backoff: backoff, AttemptTimeout: 100 * time.Millisecond,
		Stopwatch: func() func() time.Duration { return func() time.Duration { return fixedLatency } }})
	if err != nil {
		t.Fatal(err)
	}
	return n, s
}

func testBody() []byte {
	return []byte(`{"payout":{"id":"5","amount":"100","merchantId":"22"},"output":{"stage":"SUCCESS","status":"PROCESSED"}}`)
}

// checkIdentical fails unless every request carries the same bytes and a
// signature that verifies.
func checkIdentical(t *testing.T, n *Notifier, got []received, merchantID string) {
	t.Helper()
	for i, r := range got {
		if r.method != http.MethodPost {
			t.Errorf("request %d: method %s", i, r.method)
		}
		if !bytes.Equal(r.body, got[0].body) || r.header.Get("verification") != got[0].header.Get("verification") {
			t.Errorf("request %d is not byte-identical to the first", i)
		}
		if err := wire.Verify(n.PublicKey(), merchantID, r.body, r.header.Get("verification")); err != nil {
			t.Errorf("request %d: %v", i, err)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("request %d: Content-Type %q", i, ct)
		}
	}
}

func TestNotifierRetriesAfter500(t *testing.T) {
	n, s := newTestNotifier(t, nil)
	r := newReceiver(t, 500, 200)
	n.SetReceiver("22", r.srv.URL)
	id, err := n.Notify(t0(), "22", "5", "ORD-5", testBody())
	if err != nil {
		t.Fatal(err)
	}
	if p := n.Pending(); len(p) != 1 || p[0].ID != id {
		t.Fatalf("pending %+v", p)
	}
	s.runUntil(t0().Add(9 * time.Second))
	d, _ := n.Delivery(id)
	if d.State != wire.StatePending || len(d.Attempts) != 1 || !d.Next.Equal(t0().Add(10*time.Second)) {
		t.Fatalf("after the 500: %+v", d)
	}
	s.runUntil(t0().Add(10 * time.Second))
	d, _ = n.Delivery(id)
	want := []Attempt{
		{At: t0(), URL: r.srv.URL, Status: 500, Latency: fixedLatency},
		{At: t0().Add(10 * time.Second), URL: r.srv.URL, Status: 200, Latency: fixedLatency},
	}
	if d.State != wire.StateDelivered || !reflect.DeepEqual(d.Attempts, want) {
		t.Fatalf("log %+v, state %s; want %+v", d.Attempts, d.State, want)
	}
	got := r.requests()
	if len(got) != 2 || !bytes.Equal(got[0].body, testBody()) {
		t.Fatalf("receiver got %d requests", len(got))
	}
	checkIdentical(t, n, got, "22")
	if len(n.Pending()) != 0 {
		t.Error("a delivered notification is pending")
	}
	if s.runUntil(t0().Add(24*time.Hour)) != 0 || len(r.requests()) != 2 {
		t.Error("attempts after delivery")
	}
}

func TestNotifierRetriesAfterTimeout(t *testing.T) {
	n, s := newTestNotifier(t, []time.Duration{0, 30 * time.Second})
	r := newReceiver(t, -2000, 204)
	n.SetReceiver("22", r.srv.URL)
	id, _ := n.Notify(t0(), "22", "5", "ORD-5", testBody())
	s.runUntil(t0().Add(time.Minute))
	d, _ := n.Delivery(id)
	if d.State != wire.StateDelivered || len(d.Attempts) != 2 {
		t.Fatalf("%+v", d)
	}
	if a := d.Attempts[0]; a.Status != 0 || a.Error != "timeout: no answer within 100ms" {
		t.Errorf("first attempt %+v", a)
	}
	if a := d.Attempts[1]; a.Status != 204 || !a.At.Equal(t0().Add(30*time.Second)) || a.Error != "" {
		t.Errorf("second attempt %+v", a)
	}
	checkIdentical(t, n, r.requests(), "22")
}

func TestNotifierRetriesWhileReceiverIsDown(t *testing.T) {
	n, s := newTestNotifier(t, []time.Duration{0, 10 * time.Second, time.Minute})
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	n.SetReceiver("22", downURL)
	id, _ := n.Notify(t0(), "22", "5", "ORD-5", testBody())
	s.runUntil(t0().Add(10 * time.Second))
	d, _ := n.Delivery(id)
	if len(d.Attempts) != 2 || d.State != wire.StatePending {
		t.Fatalf("%+v", d)
	}
	for _, a := range d.Attempts {
		if a.Status != 0 || !strings.HasPrefix(a.Error, "connection error: ") || a.URL != downURL {
			t.Errorf("attempt %+v", a)
		}
	}
	r := newReceiver(t, 200)
	n.SetReceiver("22", r.srv.URL)
	s.runUntil(t0().Add(time.Minute))
	d, _ = n.Delivery(id)
	if d.State != wire.StateDelivered || len(d.Attempts) != 3 || !d.Attempts[2].At.Equal(t0().Add(time.Minute)) {
		t.Fatalf("%+v", d)
	}
}

func TestNotifierGivesUpThenRedelivers(t *testing.T) {
	n, s := newTestNotifier(t, []time.Duration{0, time.Second})
	r := newReceiver(t, 503, 503, 200, 200)
	n.SetReceiver("22", r.srv.URL)
	id, _ := n.Notify(t0(), "22", "5", "ORD-5", testBody())
	s.runUntil(t0().Add(time.Hour))
	d, _ := n.Delivery(id)
	if d.State != wire.StateFailed || len(d.Attempts) != 2 || len(n.Pending()) != 0 {
		t.Fatalf("%+v", d)
	}
	if err := n.Redeliver(id); err != nil {
		t.Fatal(err)
	}
	s.runUntil(t0().Add(time.Hour))
	d, _ = n.Delivery(id)
	if d.State != wire.StateDelivered || len(d.Attempts) != 3 || !d.Attempts[2].Redelivery || d.Attempts[2].Status != 200 {
		t.Fatalf("%+v", d)
	}
	// A redelivery of a delivered notification is sent again, identical.
	_ = n.Redeliver(id)
	s.runUntil(t0().Add(time.Hour))
	checkIdentical(t, n, r.requests(), "22")
	if len(r.requests()) != 4 {
		t.Errorf("receiver got %d requests, want 4", len(r.requests()))
	}
	if n.Redeliver("ntf-999") == nil {
		t.Error("redelivering an unknown id succeeds")
	}
}

func TestNotifierNoReceiver(t *testing.T) {
	n, s := newTestNotifier(t, []time.Duration{0})
	id, _ := n.Notify(t0(), "234", "5", "ORD-5", testBody())
	s.runUntil(t0())
	d, _ := n.Delivery(id)
	if d.State != wire.StateFailed || d.Attempts[0].Error != "no receiver URL is set for merchant 234" {
		t.Fatalf("%+v", d)
	}
}

func TestNotifierSendsForgeries(t *testing.T) {
	n, s := newTestNotifier(t, nil)
	r := newReceiver(t, 200)
	n.SetReceiver("22", r.srv.URL)
	if _, err := n.SendForged("ntf-1", wire.ForgeTamperedBody); err == nil {
		t.Error("forging without a notification succeeds")
	}
	id, _ := n.Notify(t0(), "22", "5", "ORD-5", testBody())
	s.runUntil(t0())
	var ids []string
	for _, kind := range wire.Forgeries() {
		fid, err := n.SendForged(id, kind)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fid)
	}
	s.runUntil(t0())
	got := r.requests()
	if len(got) != 1+len(wire.Forgeries()) {
		t.Fatalf("receiver got %d requests", len(got))
	}
	for i, req := range got[1:] {
		kind := wire.Forgeries()[i]
		err := wire.Verify(n.PublicKey(), "22", req.body, req.header.Get("verification"))
		if err == nil {
			t.Errorf("forgery %s verifies", kind)
		}
		_, has := req.header["Verification"]
		if has != (kind != wire.ForgeMissingHeader) {
			t.Errorf("forgery %s: verification header present: %v", kind, has)
		}
		d, _ := n.Delivery(ids[i])
		if d.Forgery != kind || d.State != wire.StateDelivered || len(d.Attempts) != 1 {
			t.Errorf("forgery delivery %+v", d)
		}
	}
	if _, err := n.SendForged(ids[0], wire.ForgeOtherKey); err == nil {
		t.Error("forging from a forgery succeeds")
	}
}

func TestNotifierReset(t *testing.T) {
	n, s := newTestNotifier(t, nil)
	r := newReceiver(t, 200)
	n.SetReceiver("22", r.srv.URL)
	_, _ = n.Notify(t0().Add(time.Second), "22", "5", "ORD-5", testBody())
	n.Reset()
	s.runUntil(t0().Add(time.Hour))
	if len(r.requests()) != 0 || len(n.Deliveries()) != 0 {
		t.Error("a notification scheduled before Reset was sent")
	}
	if u, ok := n.Receiver("22"); !ok || u != r.srv.URL {
		t.Error("Reset dropped the receiver")
	}
}

func TestNotifierConfig(t *testing.T) {
	s := newFakeScheduler(t0())
	if _, err := NewNotifier(NotifierConfig{}); err == nil {
		t.Error("no scheduler accepted")
	}
	if _, err := NewNotifier(NotifierConfig{Scheduler: s, Backoff: []time.Duration{}}); err == nil {
		t.Error("empty backoff accepted")
	}
	if _, err := NewNotifier(NotifierConfig{Scheduler: s, Backoff: []time.Duration{time.Minute, time.Second}}); err == nil {
		t.Error("decreasing backoff accepted")
	}
	n, err := NewNotifier(NotifierConfig{Scheduler: s})
	if err != nil {
		t.Fatal(err)
	}
	keys := testKeys(t)
	if !n.PublicKey().Equal(&keys.notifier.PublicKey) {
		t.Error("the default key is not the fixture notifier key")
	}
}
