package monnet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/fixtures"
	"herald/simulator"
	"herald/simulator/monnet"
	"herald/simulator/system"
	wire "herald/specs/wire/monnet"
)

const (
	key22    = "SoSSp+5M4GrYfngfSE78lC2BzvUYQ0k8+i/iHg+bp54="
	secret22 = "P5yjICOFoE0kmJVMALeBRmoxuWXz0BJKuoSaIXEHTgE="
)

// start is when the tests' frozen clocks start.
func start() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type herald struct {
	t   *testing.T
	h   *simulator.Herald
	log *syncBuffer
	// stop cancels the context the Herald was started with, as SIGTERM
	// does in herald serve.
	stop context.CancelFunc
}

// newHerald builds and starts a Herald that simulates Monnet alone, its
// clock frozen.
func newHerald(t *testing.T, settings map[string]string) *herald {
	t.Helper()
	logs := &syncBuffer{}
	h, err := simulator.New(simulator.Options{Seed: 7, Systems: []system.Definition{monnet.Definition()}, Settings: settings,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	h.Clock().Set(start(), true)
	ctx, stop := context.WithCancel(context.Background())
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(); h.Close() })
	return &herald{t: t, h: h, log: logs, stop: stop}
}

// call sends a request to the Herald's main handler and returns the status
// and body.
func (hh *herald) call(method, path, body string, header http.Header) (int, []byte) {
	hh.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	hh.h.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// control calls a control route and decodes its JSON answer into out.
func (hh *herald) control(method, path, body string, want int, out any) {
	hh.t.Helper()
	status, b := hh.call(method, "/_herald/v1/"+path, body, nil)
	if status != want {
		hh.t.Fatalf("%s %s: %d %s, want %d", method, path, status, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			hh.t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
}

const payoutJSON = `{"country":"PER","amount":100000,"currency":"PEN","orderId":"%s","description":"%s","beneficiary":{"name":"Ana","lastName":"Núñez","document":{"type":1,"number":"12345678"}},"destination":{"bankAccount":{"bankCode":"001","accountType":"1","accountNumber":"00012345678"}}}`

// createPayout creates a payout of merchant 22, signed at the simulator's
// time, and returns its id.
func (hh *herald) createPayout(orderID, description string) string {
	hh.t.Helper()
	return hh.createPayoutAt("", orderID, description)
}

// createPayoutAt is createPayout in the world whose path prefix is given
// ("/_herald/worlds/w1"; "" for the default world).
func (hh *herald) createPayoutAt(world, orderID, description string) string {
	hh.t.Helper()
	body := strings.Replace(strings.Replace(payoutJSON, "%s", orderID, 1), "%s", description, 1)
	ts := strconv.FormatInt(hh.h.Clock().Now().UnixMilli(), 10)
	sig := wire.PayoutSignature(secret22, "POST", "/api/v1/22/payouts", ts, []byte(body))
	status, b := hh.call("POST", world+"/monnet/api/v1/22/payouts?timestamp="+ts+"&signature="+sig, body, http.Header{"Monnet-Api-Key": {key22}})
	var v struct{ Payout struct{ ID int64 } }
	if err := json.Unmarshal(b, &v); status != 201 || err != nil {
		hh.t.Fatalf("create payout: %d %s", status, b)
	}
	return strconv.FormatInt(v.Payout.ID, 10)
}

func (hh *herald) advance(by string) {
	hh.t.Helper()
	hh.control("POST", "clock/advance", `{"by":"`+by+`"}`, 200, nil)
}

type delivery struct {
	ID, State, Body, Forgery, Of string
	Verification                 *string
	Due                          time.Time
	Attempts                     []struct {
		At         time.Time
		Status     int
		Error      string
		LatencyMs  float64
		Redelivery bool
	}
}

// waitDelivery polls the delivery log until ok accepts the payout's
// delivery, or fails the test after 10 s.
func (hh *herald) waitDelivery(payoutID string, ok func(delivery) bool) delivery {
	hh.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ds []delivery
		hh.control("GET", "monnet/deliveries?payoutId="+payoutID, "", 200, &ds)
		if len(ds) > 0 && ok(ds[0]) {
			return ds[0]
		}
		if time.Now().After(deadline) {
			hh.t.Fatalf("payout %s: deliveries %+v", payoutID, ds)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recorder is a receiver that answers from a script (the last status
// repeats) and records what it gets.
type recorder struct {
	mu     sync.Mutex
	script []int
	got    [][]byte
	sigs   []string
	srv    *httptest.Server
}

func newRecorder(t *testing.T, script ...int) *recorder {
	r := &recorder{script: script}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got, r.sigs = append(r.got, b), append(r.sigs, req.Header.Get("verification"))
		status := r.script[0]
		if len(r.script) > 1 {
			r.script = r.script[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// Monnet through the seam: its control routes, its retries on the
// simulator clock through the core's scheduler, a reset.
func TestMonnetThroughTheSeam(t *testing.T) {
	hh := newHerald(t, nil)
	rcv := newRecorder(t, 500, 200)

	// Receivers.
	hh.control("GET", "monnet/receivers/22", "", 404, nil)
	hh.control("PUT", "monnet/receivers/22", `{"url":"ftp://x"}`, 400, nil)
	hh.control("PUT", "monnet/receivers/999", `{"url":"`+rcv.srv.URL+`"}`, 404, nil)
	var r map[string]string
	hh.control("PUT", "monnet/receivers/22", `{"url":"`+rcv.srv.URL+`"}`, 200, &r)
	hh.control("GET", "monnet/receivers/22", "", 200, &r)
	if r["url"] != rcv.srv.URL || r["merchantId"] != "22" {
		t.Fatalf("receiver %v", r)
	}

	// The notifier's key material and schedule.
	status, cert := hh.call("GET", "/_herald/v1/monnet/notifier/certificate", "", nil)
	want, _ := fixtures.Read(fixtures.MonnetNotifierCert)
	if status != 200 || !bytes.Equal(cert, want) {
		t.Fatalf("certificate: %d %s", status, cert)
	}
	status, pub := hh.call("GET", "/_herald/v1/monnet/notifier/public-key", "", nil)
	wantPub, _ := fixtures.Read(fixtures.MonnetNotifierPub)
	if status != 200 || !bytes.Equal(pub, wantPub) {
		t.Fatalf("public key: %d %s, want %s", status, pub, wantPub)
	}
	var sched struct {
		Backoff        []string
		AttemptTimeout string
	}
	hh.control("GET", "monnet/notifier", "", 200, &sched)
	if strings.Join(sched.Backoff, ",") != "0s,10s,1m0s,5m0s,30m0s,2h0m0s" || sched.AttemptTimeout != "10s" {
		t.Fatalf("schedule %+v", sched)
	}
	hh.control("PUT", "monnet/notifier", `{"backoff":["10s","5s"]}`, 400, nil)

	// An outcome picked through the control API.
	var o map[string]string
	hh.control("PUT", "monnet/outcomes/22/SEAM-2", `{"status":"REVERSED"}`, 200, &o)
	if o["code"] != "4001" {
		t.Fatalf("outcome %v", o)
	}
	hh.control("PUT", "monnet/outcomes/22/SEAM-2", `{"status":"REVERSED","code":"2005"}`, 400, nil)

	// A 500, then a retry 10 s later, when the clock is advanced.
	id := hh.createPayout("SEAM-1", "")
	hh.advance("5s")
	d := hh.waitDelivery(id, func(d delivery) bool { return len(d.Attempts) == 1 })
	if d.State != "pending" || d.Attempts[0].Status != 500 || !d.Attempts[0].At.Equal(start().Add(5*time.Second)) || !d.Due.Equal(d.Attempts[0].At) {
		t.Fatalf("after the 500: %+v", d)
	}
	hh.advance("9s")
	if d := hh.waitDelivery(id, func(delivery) bool { return true }); len(d.Attempts) != 1 {
		t.Fatalf("retried before its time: %+v", d)
	}
	hh.advance("1s")
	d = hh.waitDelivery(id, func(d delivery) bool { return d.State == "delivered" })
	if len(d.Attempts) != 2 || d.Attempts[1].Status != 200 || !d.Attempts[1].At.Equal(start().Add(15*time.Second)) {
		t.Fatalf("after the retry: %+v", d)
	}
	if rcv.count() != 2 || !bytes.Equal(rcv.got[0], rcv.got[1]) || rcv.sigs[0] != rcv.sigs[1] || *d.Verification != rcv.sigs[0] || d.Body != string(rcv.got[0]) {
		t.Fatal("the resend is not byte-identical, or the log does not show what was sent")
	}

	// A redelivery and a forgery through the control API.
	var redo delivery
	hh.control("POST", "monnet/deliveries/"+d.ID+"/redeliver", "", 202, &redo)
	d = hh.waitDelivery(id, func(d delivery) bool { return len(d.Attempts) == 3 })
	if !d.Attempts[2].Redelivery || d.Attempts[2].Status != 200 {
		t.Fatalf("redelivery: %+v", d)
	}
	var forged delivery
	hh.control("POST", "monnet/deliveries/"+d.ID+"/forgeries", `{"kind":"missing-header"}`, 202, &forged)
	if forged.Forgery != "missing-header" || forged.Of != d.ID || forged.Verification != nil {
		t.Fatalf("forged %+v", forged)
	}
	for deadline := time.Now().Add(10 * time.Second); len(forged.Attempts) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the forgery was never sent: %+v", forged)
		}
		hh.control("GET", "monnet/deliveries/"+forged.ID, "", 200, &forged)
	}
	if forged.State != "delivered" || forged.Attempts[0].Status != 200 {
		t.Fatalf("the forgery's attempt: %+v", forged)
	}
	hh.control("POST", "monnet/deliveries/"+d.ID+"/forgeries", `{"kind":"nope"}`, 400, nil)
	hh.control("POST", "monnet/deliveries/"+forged.ID+"/forgeries", `{"kind":"other-key"}`, 400, nil)
	hh.control("POST", "monnet/deliveries/ntf-99/redeliver", "", 404, nil)
	var pending []delivery
	hh.control("GET", "monnet/deliveries?state=pending&payoutId="+id, "", 200, &pending)
	if len(pending) != 0 {
		t.Fatalf("pending %+v", pending)
	}

	// A reset forgets deliveries and payouts; the receiver stays.
	hh.control("POST", "reset", "", 200, nil)
	var all []delivery
	hh.control("GET", "monnet/deliveries", "", 200, &all)
	hh.control("GET", "monnet/receivers/22", "", 200, nil)
	if len(all) != 0 {
		t.Fatalf("after reset: %+v", all)
	}
	if again := hh.createPayout("SEAM-1", ""); again != id {
		t.Fatalf("after reset the first payout is %s, want %s", again, id)
	}
}

// A reset drops deliveries scheduled before it: the receiver never hears
// of them.
func TestResetDropsScheduledDeliveries(t *testing.T) {
	hh := newHerald(t, nil)
	rcv := newRecorder(t, 200)
	hh.control("PUT", "monnet/receivers/22", `{"url":"`+rcv.srv.URL+`"}`, 200, nil)
	hh.createPayout("DROP-1", "")
	hh.control("POST", "reset", "", 200, nil)
	hh.advance("1h")
	if rcv.count() != 0 {
		t.Fatalf("the receiver got %d notifications of a payout from before the reset", rcv.count())
	}
}

// Close waits for an attempt on the network, and logs what is pending.
func TestCloseWaitsForAnAttemptAndLogsPending(t *testing.T) {
	hh := newHerald(t, map[string]string{"monnet.backoff": "0s,1h", "monnet.attempt-timeout": "5s"})
	arrived, release := make(chan struct{}), make(chan struct{})
	var finished sync.WaitGroup
	finished.Add(1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer finished.Done()
		close(arrived)
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	var once sync.Once
	letGo := func() { once.Do(func() { close(release) }) }
	defer slow.Close()
	defer letGo() // before slow.Close, which waits for the handler
	hh.control("PUT", "monnet/receivers/22", `{"url":"`+slow.URL+`"}`, 200, nil)
	hh.control("PUT", "monnet/receivers/1000", `{"url":"http://127.0.0.1:1/"}`, 200, nil)
	id := hh.createPayout("CLOSE-1", "")
	hh.advance("5s")
	<-arrived

	// Merchant 1000 has a payout too, whose receiver is down.
	body := strings.Replace(strings.Replace(payoutJSON, "%s", "CLOSE-2", 1), "%s", "", 1)
	ts := strconv.FormatInt(hh.h.Clock().Now().UnixMilli(), 10)
	sig := wire.PayoutSignature("herald-monnet-1000-secret", "POST", "/api/v1/1000/payouts", ts, []byte(body))
	if status, b := hh.call("POST", "/monnet/api/v1/1000/payouts?timestamp="+ts+"&signature="+sig, body, http.Header{"Monnet-Api-Key": {"herald-monnet-1000-key"}}); status != 201 {
		t.Fatalf("%d %s", status, b)
	}

	// As herald serve on SIGTERM: the start context ends, then Close.
	hh.stop()
	closed := make(chan struct{})
	go func() { hh.h.Close(); close(closed) }()
	select {
	case <-closed:
		t.Fatal("Close returned while an attempt was on the network")
	case <-time.After(50 * time.Millisecond):
	}
	letGo()
	<-closed
	finished.Wait()
	logs := hh.log.String()
	if !strings.Contains(logs, "notifier stopped with deliveries pending") || !strings.Contains(logs, "merchant 1000") || strings.Contains(logs, "payout "+id+",") {
		t.Fatalf("the shutdown log does not list exactly the pending delivery:\n%s", logs)
	}
	if !strings.Contains(logs, "delivery=ntf-1") || !strings.Contains(logs, "status=204") {
		t.Fatalf("the attempt in flight was not recorded:\n%s", logs)
	}
}

// The settings: a bad schedule, a key without its certificate, a
// certificate of another key.
func TestMonnetSettings(t *testing.T) {
	for name, settings := range map[string]map[string]string{
		"decreasing backoff": {"monnet.backoff": "10s,1s"},
		"bad backoff":        {"monnet.backoff": "soon"},
		"zero timeout":       {"monnet.attempt-timeout": "0s"},
		"key alone":          {"monnet.key": "notifier.key"},
		"missing key file":   {"monnet.key": "/nonexistent/key.pem", "monnet.cert": "/nonexistent/cert.pem"},
	} {
		if _, err := simulator.New(simulator.Options{Systems: []system.Definition{monnet.Definition()}, Settings: settings}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	dir := t.TempDir()
	write := func(name, fixture string) string {
		b, _ := fixtures.Read(fixture)
		p := dir + "/" + name
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key, cert, forger := write("n.key", fixtures.MonnetNotifierKey), write("n.crt", fixtures.MonnetNotifierCert), write("f.key", fixtures.MonnetForgerKey)
	if _, err := simulator.New(simulator.Options{Systems: []system.Definition{monnet.Definition()}, Settings: map[string]string{"monnet.key": forger, "monnet.cert": cert}}); err == nil || !strings.Contains(err.Error(), "not for the notifier key") {
		t.Errorf("a certificate of another key: %v", err)
	}
	if _, err := simulator.New(simulator.Options{Systems: []system.Definition{monnet.Definition()}, Settings: map[string]string{"monnet.key": key, "monnet.cert": cert}}); err != nil {
		t.Errorf("the fixture key and certificate as files: %v", err)
	}
}
