package monnet

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"herald/simulator/clock"
	"herald/simulator/schedule"
	wire "herald/specs/wire/monnet"
)

// immediate runs every job at once, on the caller's goroutine.
type immediate struct{}

func (immediate) At(_ time.Time, job func(ctx context.Context)) { job(context.Background()) }
func (immediate) Go(f func(ctx context.Context)) bool           { f(context.Background()); return true }

func benchBody() []byte {
	return []byte(`{"payout":{"id":"100","country":"PER","amount":"100000","currency":"PEN","orderId":"X-1","merchantId":"22","bankCode":"001","accountNumber":"00012345678","name":"Ana Núñez","customerEmail":"ana@example.com"},"output":{"stage":"SUCCESS","status":"PROCESSED","statusChangeDateTime":"2026-03-01T12:00:05.000000Z","authorizationCode":"A12345678901","authorizationDate":"20260301120005"}}`)
}

// BenchmarkRawSign is rsa.SignPKCS1v15 alone on the notifier key.
func BenchmarkRawSign(b *testing.B) {
	keys := testKeys(b)
	rawSign(b, keys.notifier)
}

func rawSign(b *testing.B, key *rsa.PrivateKey) {
	content := wire.SignedContent("22", benchBody())
	for b.Loop() {
		sum := sha256.Sum256(content)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDelivery is signed notifications through the whole delivery path
// (sign, schedule, POST, log) to a local receiver, one at a time. It also
// measures raw signing on the same key in the same run, and reports both
// rates and their ratio.
func BenchmarkDelivery(b *testing.B) {
	keys := testKeys(b)
	rawPerSec := rawRate(b, keys.notifier, time.Second) // testing.Benchmark would deadlock in a benchmark
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	n, err := NewNotifier(NotifierConfig{Scheduler: immediate{}, Key: keys.notifier, Certificate: keys.certPEM, Forger: keys.forger})
	if err != nil {
		b.Fatal(err)
	}
	n.SetReceiver("22", srv.URL)
	now := time.Now()
	i := 0
	start := time.Now()
	for b.Loop() {
		i++
		id, err := n.Notify(now, "22", strconv.Itoa(i), "X-1", benchBody())
		if err != nil {
			b.Fatal(err)
		}
		if d, _ := n.Delivery(id); d.State != wire.StateDelivered {
			b.Fatalf("delivery %s: %+v", id, d.Attempts)
		}
	}
	elapsed := time.Since(start)
	perSec := float64(i) / elapsed.Seconds()
	b.StopTimer()
	rawPerSec = (rawPerSec + rawRate(b, keys.notifier, time.Second)) / 2 // before and after: the machine may be shared
	b.ReportMetric(perSec, "notifications/s")
	b.ReportMetric(rawPerSec, "raw-signs/s")
	b.ReportMetric(100*perSec/rawPerSec, "%-of-raw")
}

// rawRate is raw signings per second over about d.
func rawRate(b *testing.B, key *rsa.PrivateKey, d time.Duration) float64 {
	content := wire.SignedContent("22", benchBody())
	n, start := 0, time.Now()
	for time.Since(start) < d {
		sum := sha256.Sum256(content)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkDeliveryThroughScheduler is the path as the simulator runs it:
// Notify signs and schedules on the core's scheduler (its clock following
// real time), whose loop runs each attempt with Go, POSTs it to a local
// receiver and records it. Notifications are made one after another, as a
// stream of payouts reaching their final stage would make them, without
// waiting for the previous delivery; the rate counts until the receiver has
// acknowledged the last one. Raw signing on the same key is measured in the
// same run.
func BenchmarkDeliveryThroughScheduler(b *testing.B) {
	keys := testKeys(b)
	rawPerSec := rawRate(b, keys.notifier, time.Second)
	var received sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
		received.Done()
	}))
	defer srv.Close()
	c := clock.NewControlled(nil)
	s := schedule.New(c)
	s.Start(context.Background())
	defer s.Stop()
	n, err := NewNotifier(NotifierConfig{Scheduler: OnScheduler(s), Clock: c, Key: keys.notifier, Certificate: keys.certPEM, Forger: keys.forger})
	if err != nil {
		b.Fatal(err)
	}
	n.SetReceiver("22", srv.URL)
	i := 0
	start := time.Now()
	for b.Loop() {
		i++
		received.Add(1)
		if _, err := n.Notify(c.Now(), "22", strconv.Itoa(i), "X-1", benchBody()); err != nil {
			b.Fatal(err)
		}
	}
	received.Wait()
	perSec := float64(i) / time.Since(start).Seconds()
	b.StopTimer()
	rawPerSec = (rawPerSec + rawRate(b, keys.notifier, time.Second)) / 2 // before and after: the machine may be shared
	for deadline := time.Now().Add(10 * time.Second); len(n.Pending()) > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d deliveries still pending", len(n.Pending()))
		}
	}
	b.ReportMetric(perSec, "notifications/s")
	b.ReportMetric(rawPerSec, "raw-signs/s")
	b.ReportMetric(100*perSec/rawPerSec, "%-of-raw")
}
