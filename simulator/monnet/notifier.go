package monnet

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"herald/fixtures"
	"herald/simulator/clock"
)

// Scheduler runs a job at a time of the simulator clock. The simulator's
// background worker implements it; tests use a heap they advance by hand.
type Scheduler interface {
	At(t time.Time, job func(ctx context.Context))
}

// Delivery defaults (Herald design, see specs/monnet.yaml).
var DefaultBackoff = []time.Duration{0, 10 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}

// DefaultAttemptTimeout bounds one attempt: the receiver must answer within it.
const DefaultAttemptTimeout = 10 * time.Second

// The states of a delivery.
const (
	StatePending   = "pending"
	StateDelivered = "delivered"
	StateFailed    = "failed"
)

// NotifierConfig is what a Notifier is built from.
type NotifierConfig struct {
	Scheduler Scheduler
	Clock     clock.Clock
	// Client makes the requests; nil is a client without a timeout of its
	// own (each attempt has AttemptTimeout).
	Client *http.Client
	// Key signs notifications; nil is the fixture notifier key. Forger signs
	// the other-key forgery; nil is the fixture forger key.
	Key, Forger *rsa.PrivateKey
	// Backoff is when attempts are made, counted from when the notification
	// became due; nil is DefaultBackoff. Its length is the number of attempts.
	Backoff        []time.Duration
	AttemptTimeout time.Duration
	// Stopwatch measures an attempt's latency; nil is the real elapsed time.
	// It is apart from Clock, which may stand still.
	Stopwatch func() func() time.Duration
	Logger    *slog.Logger
}

// Attempt is one try at delivering a notification.
type Attempt struct {
	At time.Time `json:"at"`
	// URL is where the notification was sent; empty when none was set.
	URL string `json:"url"`
	// Status is the receiver's HTTP status, 0 when there was none.
	Status  int           `json:"status"`
	Latency time.Duration `json:"latencyNs"`
	Error   string        `json:"error,omitempty"`
	// Redelivery is an attempt asked for with Redeliver.
	Redelivery bool `json:"redelivery,omitempty"`
}

// Delivery is one notification and what became of it.
type Delivery struct {
	ID         string `json:"id"`
	MerchantID string `json:"merchantId"`
	PayoutID   string `json:"payoutId"`
	// Forgery is the negative fixture this is, or empty for a genuine one.
	Forgery Forgery   `json:"forgery,omitempty"`
	Due     time.Time `json:"due"`
	State   string    `json:"state"`
	// Next is when the next scheduled attempt is due, while pending.
	Next     time.Time `json:"next,omitzero"`
	Attempts []Attempt `json:"attempts"`
	Message  Message   `json:"-"`
}

// Notifier delivers signed payout notifications to merchants' receivers.
// It is safe for concurrent use.
type Notifier struct {
	sched     Scheduler
	clock     clock.Clock
	client    *http.Client
	key       *rsa.PrivateKey
	forger    *rsa.PrivateKey
	backoff   []time.Duration
	timeout   time.Duration
	stopwatch func() func() time.Duration
	log       *slog.Logger

	mu         sync.Mutex
	generation int // bumped by Reset: jobs scheduled before it do nothing
	seq        int
	receivers  map[string]string
	deliveries map[string]*Delivery
	// latest is, per merchantID and payout id, the last genuine delivery.
	latest map[string]string
}

// NewNotifier builds a notifier.
func NewNotifier(cfg NotifierConfig) (*Notifier, error) {
	if cfg.Scheduler == nil {
		return nil, errors.New("monnet notifier: a Scheduler is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	var err error
	if cfg.Key == nil {
		if cfg.Key, err = fixtureKey(fixtures.MonnetNotifierKey); err != nil {
			return nil, err
		}
	}
	if cfg.Forger == nil {
		if cfg.Forger, err = fixtureKey(fixtures.MonnetForgerKey); err != nil {
			return nil, err
		}
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if len(cfg.Backoff) == 0 {
		return nil, errors.New("monnet notifier: the backoff schedule needs at least one attempt")
	}
	for i := 1; i < len(cfg.Backoff); i++ {
		if cfg.Backoff[i] < cfg.Backoff[i-1] {
			return nil, fmt.Errorf("monnet notifier: backoff %v comes before %v", cfg.Backoff[i], cfg.Backoff[i-1])
		}
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	if cfg.Stopwatch == nil {
		cfg.Stopwatch = func() func() time.Duration {
			start := time.Now()
			return func() time.Duration { return time.Since(start) }
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{sched: cfg.Scheduler, clock: cfg.Clock, client: cfg.Client, key: cfg.Key, forger: cfg.Forger,
		backoff: append([]time.Duration(nil), cfg.Backoff...), timeout: cfg.AttemptTimeout, stopwatch: cfg.Stopwatch,
		log:       cfg.Logger.With("system", "monnet", "worker", "notifier"),
		receivers: map[string]string{}, deliveries: map[string]*Delivery{}, latest: map[string]string{}}, nil
}

func fixtureKey(path string) (*rsa.PrivateKey, error) {
	b, err := fixtures.Read(path)
	if err != nil {
		return nil, err
	}
	return ParsePrivateKey(b)
}

// PublicKey is the key merchants verify notifications with.
func (n *Notifier) PublicKey() *rsa.PublicKey { return &n.key.PublicKey }

// SetReceiver sets the URL a merchant's notifications are POSTed to; an
// empty URL removes it (attempts then fail and are retried).
func (n *Notifier) SetReceiver(merchantID, url string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if url == "" {
		delete(n.receivers, merchantID)
		return
	}
	n.receivers[merchantID] = url
}

// Receiver returns the URL set for a merchant.
func (n *Notifier) Receiver(merchantID string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	u, ok := n.receivers[merchantID]
	return u, ok
}

// Notify signs body for the merchant and schedules its delivery: the first
// attempt at due plus the first backoff step. It returns the delivery id.
func (n *Notifier) Notify(due time.Time, merchantID, payoutID string, body []byte) (string, error) {
	sig, err := Sign(n.key, merchantID, body)
	if err != nil {
		return "", err
	}
	m := Message{MerchantID: merchantID, Body: bytes.Clone(body), Verification: sig}
	id := n.add(due, payoutID, "", m)
	return id, nil
}

// SendForged sends, once and now, the negative fixture kind of the last
// genuine notification of the payout. It returns the delivery id.
func (n *Notifier) SendForged(merchantID, payoutID string, kind Forgery) (string, error) {
	n.mu.Lock()
	d := n.deliveries[n.latest[merchantID+"\x00"+payoutID]]
	var valid Message
	if d != nil {
		valid = d.Message
	}
	n.mu.Unlock()
	if d == nil {
		return "", fmt.Errorf("monnet notifier: no notification of payout %s for merchant %s to forge", payoutID, merchantID)
	}
	m, err := Forge(kind, valid, n.key, n.forger)
	if err != nil {
		return "", err
	}
	return n.add(n.clock.Now(), payoutID, kind, m), nil
}

func (n *Notifier) add(due time.Time, payoutID string, kind Forgery, m Message) string {
	n.mu.Lock()
	n.seq++
	id := "ntf-" + strconv.Itoa(n.seq)
	d := &Delivery{ID: id, MerchantID: m.MerchantID, PayoutID: payoutID, Forgery: kind, Due: due, State: StatePending, Message: m}
	n.deliveries[id] = d
	if kind == "" {
		n.latest[m.MerchantID+"\x00"+payoutID] = id
	}
	at := due
	if kind == "" {
		at = due.Add(n.backoff[0])
	}
	d.Next = at
	gen := n.generation
	n.mu.Unlock()
	n.sched.At(at, func(ctx context.Context) { n.attempt(ctx, gen, id, false) })
	return id
}

// Redeliver makes one more attempt now, whatever the delivery's state; a
// pending delivery keeps its schedule until an attempt is acknowledged.
func (n *Notifier) Redeliver(id string) error {
	n.mu.Lock()
	d, gen := n.deliveries[id], n.generation
	n.mu.Unlock()
	if d == nil {
		return fmt.Errorf("monnet notifier: no delivery %q", id)
	}
	n.sched.At(n.clock.Now(), func(ctx context.Context) { n.attempt(ctx, gen, id, true) })
	return nil
}

// attempt POSTs the delivery's bytes once and records the outcome.
func (n *Notifier) attempt(ctx context.Context, gen int, id string, redelivery bool) {
	n.mu.Lock()
	d := n.deliveries[id]
	if gen != n.generation || d == nil || (!redelivery && d.State != StatePending) {
		n.mu.Unlock()
		return
	}
	url := n.receivers[d.MerchantID]
	m := d.Message
	n.mu.Unlock()

	a := Attempt{At: n.clock.Now(), URL: url, Redelivery: redelivery}
	if url == "" {
		a.Error = "no receiver URL is set for merchant " + m.MerchantID
	} else {
		a.Status, a.Latency, a.Error = n.post(ctx, url, m)
	}
	ok := a.Status >= 200 && a.Status < 300

	next, more := n.record(gen, d, a, ok, redelivery)
	if more {
		n.sched.At(next, func(ctx context.Context) { n.attempt(ctx, gen, id, false) })
	}
}

// record logs an attempt and moves the delivery on; it returns when the
// next scheduled attempt is due, if there is one to schedule.
func (n *Notifier) record(gen int, d *Delivery, a Attempt, ok, redelivery bool) (time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if gen != n.generation {
		return time.Time{}, false
	}
	d.Attempts = append(d.Attempts, a)
	n.log.Info("notification attempt", "delivery", d.ID, "merchant", d.MerchantID, "status", a.Status, "error", a.Error)
	switch {
	case ok:
		d.State, d.Next = StateDelivered, time.Time{}
	case redelivery || d.State != StatePending:
		// an extra attempt leaves the schedule as it was
	case d.Forgery != "":
		d.State, d.Next = StateFailed, time.Time{} // forgeries are sent once
	default:
		scheduled := 0
		for _, at := range d.Attempts {
			if !at.Redelivery {
				scheduled++
			}
		}
		if scheduled >= len(n.backoff) {
			d.State, d.Next = StateFailed, time.Time{}
			return time.Time{}, false
		}
		d.Next = d.Due.Add(n.backoff[scheduled])
		return d.Next, true
	}
	return time.Time{}, false
}

// post sends the message and returns the status, the latency and an error.
func (n *Notifier) post(ctx context.Context, url string, m Message) (int, time.Duration, string) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(m.Body))
	if err != nil {
		return 0, 0, "bad receiver URL: " + err.Error()
	}
	req.Header = m.Header()
	elapsed := n.stopwatch()
	resp, err := n.client.Do(req)
	if err != nil {
		lat := elapsed()
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return 0, lat, fmt.Sprintf("timeout: no answer within %s", n.timeout)
		}
		return 0, lat, "connection error: " + err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, elapsed(), ""
}

// Delivery returns a copy of one delivery and its log.
func (n *Notifier) Delivery(id string) (Delivery, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	d := n.deliveries[id]
	if d == nil {
		return Delivery{}, false
	}
	return copyDelivery(d), true
}

// Deliveries returns copies of every delivery, oldest first.
func (n *Notifier) Deliveries() []Delivery { return n.list(func(*Delivery) bool { return true }) }

// Pending returns copies of the deliveries not yet acknowledged and still
// scheduled, oldest first.
func (n *Notifier) Pending() []Delivery {
	return n.list(func(d *Delivery) bool { return d.State == StatePending })
}

// ForPayout returns the id of the last genuine notification of a payout.
func (n *Notifier) ForPayout(merchantID, payoutID string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	id, ok := n.latest[merchantID+"\x00"+payoutID]
	return id, ok
}

func (n *Notifier) list(keep func(*Delivery) bool) []Delivery {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := []Delivery{}
	for _, d := range n.deliveries {
		if keep(d) {
			out = append(out, copyDelivery(d))
		}
	}
	sort.Slice(out, func(i, j int) bool { return seqOf(out[i].ID) < seqOf(out[j].ID) })
	return out
}

func seqOf(id string) int {
	n, _ := strconv.Atoi(id[len("ntf-"):])
	return n
}

func copyDelivery(d *Delivery) Delivery {
	c := *d
	c.Attempts = append([]Attempt(nil), d.Attempts...)
	c.Message.Body = bytes.Clone(d.Message.Body)
	return c
}

// Reset forgets every delivery; attempts scheduled before it do nothing.
// Receivers are configuration and stay.
func (n *Notifier) Reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.generation++
	n.seq = 0
	n.deliveries = map[string]*Delivery{}
	n.latest = map[string]string{}
}
