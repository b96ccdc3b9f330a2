package monnet_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// hanging is a receiver that holds every request until the sender gives up
// on it (its context ends) or the test lets it go.
type hanging struct {
	srv       *httptest.Server
	arrived   chan struct{} // closed when the first request arrives
	cancelled chan struct{} // closed when the sender gave up on it
}

func newHanging(t *testing.T) *hanging {
	h := &hanging{arrived: make(chan struct{}), cancelled: make(chan struct{})}
	release := make(chan struct{})
	var first sync.Once
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // then net/http notices when the sender hangs up
		first.Do(func() { close(h.arrived) })
		select {
		case <-r.Context().Done():
			close(h.cancelled)
		case <-release:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(func() { close(release); h.srv.Close() })
	return h
}

// A reset does not wait for an attempt on the network: it cuts it off at
// once (the attempt timeout, 1 h, would otherwise hold the reset), logs it
// as cut off, and notifications after the reset are delivered as usual.
func TestResetCutsOffAnAttemptInFlight(t *testing.T) {
	hh := newHerald(t, map[string]string{"monnet.backoff": "0s,1h", "monnet.attempt-timeout": "1h"})
	rcv := newHanging(t)
	hh.control("PUT", "monnet/receivers/22", `{"url":"`+rcv.srv.URL+`"}`, 200, nil)
	hh.createPayout("CUT-1", "")
	hh.advance("5s")
	<-rcv.arrived

	hh.control("POST", "reset", "", 200, nil)
	<-rcv.cancelled // the sender gave up on the request: the receiver was never let go
	cut := regexp.MustCompile(`level=WARN msg="notification attempt" system=monnet worker=notifier delivery=ntf-1 merchant=22 .*error="cut off: the world was reset"`)
	if logs := hh.log.String(); !cut.MatchString(logs) {
		t.Fatalf("the attempt in flight was not logged as cut off by the reset:\n%s", logs)
	}

	// After the reset, attempts go out again.
	ok := newRecorder(t, 200)
	hh.control("PUT", "monnet/receivers/22", `{"url":"`+ok.srv.URL+`"}`, 200, nil)
	id := hh.createPayout("CUT-2", "")
	hh.advance("5s")
	if d := hh.waitDelivery(id, func(d delivery) bool { return d.State != "pending" }); d.State != "delivered" || len(d.Attempts) != 1 {
		t.Fatalf("a notification after the reset: %+v", d)
	}
}

// At shutdown an attempt on the network has the grace period: when it ends
// first, the attempt is cut off, recorded and logged as cut off, and the
// delivery is listed as pending.
func TestShutdownCutsOffAnAttemptAtTheGrace(t *testing.T) {
	hh := newHerald(t, map[string]string{"monnet.backoff": "0s,1h", "monnet.attempt-timeout": "1h"})
	rcv := newHanging(t)
	hh.control("PUT", "monnet/receivers/22", `{"url":"`+rcv.srv.URL+`"}`, 200, nil)
	id := hh.createPayout("GRACE-1", "")
	hh.advance("5s")
	<-rcv.arrived

	hh.stop() // SIGTERM
	grace, over := context.WithCancel(context.Background())
	closed := make(chan error, 1)
	go func() { closed <- hh.h.Shutdown(grace) }()
	over() // the grace period ends with the attempt still waiting
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	<-rcv.cancelled
	logs := hh.log.String()
	cut := regexp.MustCompile(`level=WARN msg="notification attempt" system=monnet worker=notifier delivery=ntf-1 merchant=22 payout=` + id + ` .*error="cut off: Herald shut down and the grace period is over"`)
	pending := regexp.MustCompile(`msg="notifier stopped with deliveries pending, not sent" .*count=1 pending="ntf-1 \(merchant 22, payout ` + id + `, 1 attempts, next due `)
	if !cut.MatchString(logs) || !pending.MatchString(logs) {
		t.Fatalf("the attempt was not logged as cut off, or its delivery not as pending:\n%s", logs)
	}
}

// A world deleted, or reset, with deliveries pending forgets them on
// purpose (isolated worlds end with every run): the notifier says so at
// debug level. The warning is kept for a shutdown, which cuts them short.
func TestDeletedOrResetWorldForgetsPendingQuietly(t *testing.T) {
	hh := newHerald(t, nil)
	hh.control("POST", "worlds", "", 201, nil)
	w1 := "/_herald/worlds/w1"
	if status, b := hh.call("PUT", w1+"/_herald/v1/clock", `{"now":"`+start().Format(time.RFC3339Nano)+`","frozen":true}`, nil); status != 200 {
		t.Fatalf("PUT clock in w1: %d %s", status, b)
	}
	if status, b := hh.call("PUT", w1+"/_herald/v1/monnet/receivers/22", `{"url":"http://127.0.0.1:1/"}`, nil); status != 200 {
		t.Fatalf("PUT receiver in w1: %d %s", status, b)
	}
	hh.createPayoutAt(w1, "DEL-1", "")
	hh.control("DELETE", "worlds/w1", "", 200, nil)

	hh.control("PUT", "monnet/receivers/22", `{"url":"http://127.0.0.1:1/"}`, 200, nil)
	hh.createPayout("RESET-1", "")
	hh.control("POST", "reset", "", 200, nil)

	logs := hh.log.String()
	deleted := regexp.MustCompile(`level=DEBUG msg="notifier stopped with deliveries pending, not sent" .*world=w1`)
	reset := regexp.MustCompile(`level=DEBUG msg="notifier stopped with deliveries pending, not sent" .*count=1 pending="ntf-1 \(merchant 22`)
	if !deleted.MatchString(logs) || !reset.MatchString(logs) || strings.Contains(logs, `level=WARN msg="notifier stopped`) {
		t.Fatalf("the deliveries a deleted or reset world forgets are not logged at debug level alone:\n%s", logs)
	}
}
