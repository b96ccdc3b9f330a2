package mopay

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// A target's issued key pair serves every scenario of a run, and the vendor
// documents 100 requests a minute per key. The suite keeps below that, with
// a margin for the server's own clock, so that no scenario is refused for
// another's calls.
const (
	pacedRequests = 90
	paceWindow    = time.Minute
)

// pacer spaces the requests made with one key: at most limit in any window.
// It is the module's, shared by the scenarios of a run.
type pacer struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	sleep  func(time.Duration)
	sent   map[string][]time.Time // by key, oldest first
}

func newPacer(limit int, window time.Duration, now func() time.Time, sleep func(time.Duration)) *pacer {
	return &pacer{limit: limit, window: window, now: now, sleep: sleep, sent: map[string][]time.Time{}}
}

// take waits until a request with key keeps within the limit, and counts it.
// Waiting holds the lock, so that requests go in the order they came.
func (p *pacer) take(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		now := p.now()
		times := p.sent[key]
		i := 0
		for i < len(times) && now.Sub(times[i]) >= p.window {
			i++
		}
		times = times[i:]
		if len(times) < p.limit {
			p.sent[key] = append(times, now)
			return
		}
		p.sent[key] = times
		p.sleep(times[0].Add(p.window).Sub(now))
	}
}

// wait sleeps as long as a rate-limited answer asks (its Retry-After, one
// window at most), or a window when it does not say.
func (p *pacer) wait(h http.Header) {
	d := p.window
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 && time.Duration(s)*time.Second < d {
		d = time.Duration(s) * time.Second
	}
	p.sleep(d)
}
