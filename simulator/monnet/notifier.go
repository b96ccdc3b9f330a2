package monnet

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"herald/fixtures"
	"herald/simulator/clock"
	"herald/simulator/schedule"
	"herald/simulator/system"
	wire "herald/specs/wire/monnet"
)

// Scheduler runs the notifier's work on the simulator clock: At runs a
// short job when the clock reaches t, and Go runs the slow part of one (a
// network attempt) in a goroutine the scheduler waits for when it stops. Go
// reports false, and runs nothing, when the scheduler is stopped.
type Scheduler interface {
	At(t time.Time, job func(ctx context.Context))
	Go(f func(ctx context.Context)) bool
}

// OnScheduler adapts the core's scheduler to Scheduler.
func OnScheduler(s *schedule.Scheduler) Scheduler { return coreScheduler{s} }

type coreScheduler struct{ s *schedule.Scheduler }

func (c coreScheduler) At(t time.Time, job func(ctx context.Context)) { c.s.At(t, job) }
func (c coreScheduler) Go(f func(ctx context.Context)) bool           { return c.s.Go(f) }

// DefaultBackoff is when attempts are made, counted from the final stage
// (Herald design, see specs/monnet.yaml).
func DefaultBackoff() []time.Duration {
	return []time.Duration{0, 10 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}
}

// DefaultAttemptTimeout bounds one attempt: the receiver must answer within it.
const DefaultAttemptTimeout = 10 * time.Second

// NotifierConfig is what a Notifier is built from.
type NotifierConfig struct {
	Scheduler Scheduler
	Clock     clock.Clock
	// Client makes the requests; nil is a client of the notifier's own that
	// follows no redirect (a 3xx is not an acknowledgement). Each attempt
	// is bounded by AttemptTimeout.
	Client *http.Client
	// Key signs notifications and Certificate (PEM) is what merchants verify
	// them with; both nil are the fixture notifier key and certificate. A
	// key needs its certificate. Forger signs the other-key forgery; nil is
	// the fixture forger key.
	Key         *rsa.PrivateKey
	Certificate []byte
	Forger      *rsa.PrivateKey
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
	// At is the simulator time of the attempt: the time it was scheduled
	// for, or when a redelivery was asked for.
	At time.Time
	// URL is where the notification was sent; empty when none was set.
	URL string
	// Status is the receiver's HTTP status, 0 when there was none.
	Status  int
	Latency time.Duration
	Error   string
	// Redelivery is an attempt asked for with Redeliver.
	Redelivery bool
}

// Delivery is one notification and what became of it.
type Delivery struct {
	ID         string
	MerchantID string
	PayoutID   string
	OrderID    string
	// Forgery is the negative fixture this is, or empty for a genuine one;
	// Of is then the genuine delivery it was forged from.
	Forgery wire.Forgery
	Of      string
	// Due is when the notification became due: the payout's final stage.
	Due   time.Time
	State string
	// Next is when the next scheduled attempt is due, while pending.
	Next     time.Time
	Attempts []Attempt
	Message  wire.Message
	// Withheld says why the notification was never signed nor sent (its
	// body violates the spec); its state is failed.
	Withheld string
}

// Notifier delivers signed payout notifications to merchants' receivers.
// It is safe for concurrent use.
type Notifier struct {
	sched     Scheduler
	clock     clock.Clock
	client    *http.Client
	key       *rsa.PrivateKey
	cert      []byte // PEM
	pub       []byte // PEM SubjectPublicKeyInfo
	forger    *rsa.PrivateKey
	stopwatch func() func() time.Duration
	log       *slog.Logger

	inflight sync.WaitGroup // attempts on the network

	mu      sync.Mutex
	backoff []time.Duration
	timeout time.Duration
	closing bool // Run's context ended: no new attempt starts
	// cut is the context of attempts on the network; Interrupt cancels
	// it, with why as its cause, and Reset makes a fresh one.
	cut        context.Context
	interrupt  context.CancelCauseFunc
	generation int // bumped by Reset: jobs scheduled before it do nothing
	seq        int
	receivers  map[string]string
	deliveries map[string]*Delivery
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
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = 32 // many payouts of one merchant go to one receiver
		cfg.Client = &http.Client{Transport: transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	var err error
	switch {
	case cfg.Key == nil && cfg.Certificate == nil:
		if cfg.Key, err = fixtureKey(fixtures.MonnetNotifierKey); err != nil {
			return nil, err
		}
		if cfg.Certificate, err = fixtures.Read(fixtures.MonnetNotifierCert); err != nil {
			return nil, err
		}
	case cfg.Key == nil || cfg.Certificate == nil:
		return nil, errors.New("monnet notifier: give the notifier key and its certificate together")
	}
	if err := wire.CertificateMatches(cfg.Certificate, cfg.Key); err != nil {
		return nil, fmt.Errorf("monnet notifier: %w", err)
	}
	if cfg.Forger == nil {
		if cfg.Forger, err = fixtureKey(fixtures.MonnetForgerKey); err != nil {
			return nil, err
		}
	}
	if cfg.Forger.PublicKey.Equal(&cfg.Key.PublicKey) {
		return nil, errors.New("monnet notifier: the forger key must differ from the notifier key")
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff()
	}
	if err := CheckBackoff(cfg.Backoff); err != nil {
		return nil, fmt.Errorf("monnet notifier: %w", err)
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
	spki, err := x509.MarshalPKIXPublicKey(&cfg.Key.PublicKey)
	if err != nil {
		return nil, err
	}
	n := &Notifier{sched: cfg.Scheduler, clock: cfg.Clock, client: cfg.Client, key: cfg.Key, forger: cfg.Forger,
		cert: bytes.Clone(cfg.Certificate), pub: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}),
		backoff: append([]time.Duration(nil), cfg.Backoff...), timeout: cfg.AttemptTimeout, stopwatch: cfg.Stopwatch,
		log:       cfg.Logger.With("worker", "notifier"),
		receivers: map[string]string{}, deliveries: map[string]*Delivery{}}
	n.cut, n.interrupt = context.WithCancelCause(context.Background())
	return n, nil
}

// CheckBackoff checks a retry schedule: at least one attempt, none
// negative, in order.
func CheckBackoff(b []time.Duration) error {
	if len(b) == 0 {
		return errors.New("the backoff schedule needs at least one attempt")
	}
	for i, d := range b {
		if d < 0 {
			return fmt.Errorf("backoff %v is negative", d)
		}
		if i > 0 && d < b[i-1] {
			return fmt.Errorf("backoff %v comes before %v", d, b[i-1])
		}
	}
	return nil
}

func fixtureKey(path string) (*rsa.PrivateKey, error) {
	b, err := fixtures.Read(path)
	if err != nil {
		return nil, err
	}
	return wire.ParsePrivateKey(b)
}

// PublicKey is the key merchants verify notifications with.
func (n *Notifier) PublicKey() *rsa.PublicKey { return &n.key.PublicKey }

// CertificatePEM is the notifier certificate merchants install.
func (n *Notifier) CertificatePEM() []byte { return bytes.Clone(n.cert) }

// PublicKeyPEM is the certificate's public key as openssl x509 -pubkey
// extracts it (a PEM SubjectPublicKeyInfo).
func (n *Notifier) PublicKeyPEM() []byte { return bytes.Clone(n.pub) }

// Schedule returns the retry schedule and the attempt timeout.
func (n *Notifier) Schedule() ([]time.Duration, time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]time.Duration(nil), n.backoff...), n.timeout
}

// SetSchedule changes the retry schedule (nil keeps it) and the attempt
// timeout (0 keeps it). Pending deliveries take the new schedule from their
// next attempt on. Like receivers, it is configuration: Reset keeps it.
func (n *Notifier) SetSchedule(backoff []time.Duration, timeout time.Duration) error {
	if backoff != nil {
		if err := CheckBackoff(backoff); err != nil {
			return err
		}
	}
	if timeout < 0 {
		return errors.New("the attempt timeout must be positive")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if backoff != nil {
		n.backoff = append([]time.Duration(nil), backoff...)
	}
	if timeout > 0 {
		n.timeout = timeout
	}
	return nil
}

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
func (n *Notifier) Notify(due time.Time, merchantID, payoutID, orderID string, body []byte) (string, error) {
	sig, err := wire.Sign(n.key, merchantID, body)
	if err != nil {
		return "", err
	}
	m := wire.Message{MerchantID: merchantID, Body: bytes.Clone(body), Verification: sig}
	n.mu.Lock()
	first := n.backoff[0]
	n.mu.Unlock()
	return n.add(&Delivery{PayoutID: payoutID, OrderID: orderID, Due: due}, m, due.Add(first)), nil
}

// Withhold records a notification that must not be sent (its body
// violates the spec, say): never signed, never attempted, failed at once,
// with why in the delivery log and, loudly, in the log. It returns the
// delivery id.
func (n *Notifier) Withhold(due time.Time, merchantID, payoutID, orderID string, body []byte, why error) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seq++
	d := &Delivery{ID: "ntf-" + strconv.Itoa(n.seq), MerchantID: merchantID, PayoutID: payoutID, OrderID: orderID, Due: due,
		State: wire.StateFailed, Withheld: why.Error(), Message: wire.Message{MerchantID: merchantID, Body: bytes.Clone(body), OmitHeader: true}}
	n.deliveries[d.ID] = d
	n.log.Error("notification withheld: not signed, not sent", "delivery", d.ID, "merchant", merchantID, "payout", payoutID,
		"reason", d.Withheld)
	return d.ID
}

// SendForged sends, once and now, the negative fixture kind of a genuine
// delivery. It returns the forged delivery's id.
func (n *Notifier) SendForged(id string, kind wire.Forgery) (string, error) {
	n.mu.Lock()
	d := n.deliveries[id]
	var valid Delivery
	if d != nil {
		valid = copyDelivery(d)
	}
	n.mu.Unlock()
	switch {
	case d == nil:
		return "", fmt.Errorf("no delivery %q", id)
	case valid.Forgery != "":
		return "", fmt.Errorf("delivery %s is itself a forgery (%s); forge from a genuine notification", id, valid.Forgery)
	case valid.Withheld != "":
		return "", fmt.Errorf("delivery %s was withheld, never signed: %s", id, valid.Withheld)
	}
	m, err := wire.Forge(kind, valid.Message, n.key, n.forger)
	if err != nil {
		return "", err
	}
	now := n.clock.Now()
	return n.add(&Delivery{PayoutID: valid.PayoutID, OrderID: valid.OrderID, Forgery: kind, Of: id, Due: now}, m, now), nil
}

// add records a delivery and schedules its first attempt at at.
func (n *Notifier) add(d *Delivery, m wire.Message, at time.Time) string {
	n.mu.Lock()
	n.seq++
	d.ID = "ntf-" + strconv.Itoa(n.seq)
	d.MerchantID, d.State, d.Message, d.Next = m.MerchantID, wire.StatePending, m, at
	n.deliveries[d.ID] = d
	gen := n.generation
	n.mu.Unlock()
	n.sched.At(at, n.job(gen, d.ID, at, false))
	return d.ID
}

// Redeliver makes one more attempt now, whatever the delivery's state; a
// pending delivery keeps its schedule until an attempt is acknowledged.
func (n *Notifier) Redeliver(id string) error {
	n.mu.Lock()
	d, gen := n.deliveries[id], n.generation
	n.mu.Unlock()
	if d == nil {
		return fmt.Errorf("no delivery %q", id)
	}
	n.mu.Lock()
	withheld := d.Withheld
	n.mu.Unlock()
	if withheld != "" {
		return fmt.Errorf("delivery %s was withheld, never signed, and is not sent: %s", id, withheld)
	}
	now := n.clock.Now()
	n.sched.At(now, n.job(gen, id, now, true))
	return nil
}

// job is one attempt, run by the scheduler at its time: it starts the
// network part with the scheduler's Go, so that the scheduler (and Run)
// wait for it when they stop.
func (n *Notifier) job(gen int, id string, at time.Time, redelivery bool) func(context.Context) {
	return func(context.Context) {
		n.mu.Lock()
		d := n.deliveries[id]
		if n.closing || gen != n.generation || d == nil || (!redelivery && d.State != wire.StatePending) {
			n.mu.Unlock()
			return
		}
		url, m, timeout, cut := n.receivers[d.MerchantID], d.Message, n.timeout, n.cut
		n.inflight.Add(1)
		n.mu.Unlock()
		started := n.sched.Go(func(context.Context) {
			defer n.inflight.Done()
			a := Attempt{At: at, URL: url, Redelivery: redelivery}
			if url == "" {
				a.Error = "no receiver URL is set for merchant " + m.MerchantID
			} else {
				// Not cancelled with the scheduler: an attempt in flight
				// at shutdown ends on its own, within the attempt timeout,
				// unless Interrupt cuts it off.
				a.Status, a.Latency, a.Error = n.post(cut, url, m, timeout)
			}
			if next, more := n.record(gen, d, a); more {
				n.sched.At(next, n.job(gen, id, next, false))
			}
		})
		if !started {
			n.inflight.Done()
		}
	}
}

// record logs an attempt and moves the delivery on; it returns when the
// next scheduled attempt is due, if there is one to schedule.
func (n *Notifier) record(gen int, d *Delivery, a Attempt) (time.Time, bool) {
	ok := a.Status >= 200 && a.Status < 300 && a.Error == ""
	n.mu.Lock()
	defer n.mu.Unlock()
	if gen != n.generation {
		return time.Time{}, false
	}
	d.Attempts = append(d.Attempts, a)
	level := slog.LevelInfo
	switch {
	case ok:
		level = slog.LevelDebug
	case strings.HasPrefix(a.Error, cutOff):
		level = slog.LevelWarn
	}
	n.log.Log(context.Background(), level, "notification attempt", "delivery", d.ID, "merchant", d.MerchantID,
		"payout", d.PayoutID, "forgery", string(d.Forgery), "status", a.Status, "error", a.Error, "latency", a.Latency)
	switch {
	case ok:
		d.State, d.Next = wire.StateDelivered, time.Time{}
	case a.Redelivery || d.State != wire.StatePending:
		// an extra attempt leaves the schedule as it was
	case d.Forgery != "":
		d.State, d.Next = wire.StateFailed, time.Time{} // forgeries are sent once
	default:
		scheduled := 0
		for _, at := range d.Attempts {
			if !at.Redelivery {
				scheduled++
			}
		}
		if scheduled >= len(n.backoff) {
			d.State, d.Next = wire.StateFailed, time.Time{}
			return time.Time{}, false
		}
		d.Next = d.Due.Add(n.backoff[scheduled])
		return d.Next, true
	}
	return time.Time{}, false
}

// cutOff starts the error of an attempt Interrupt ended.
const cutOff = "cut off: "

// post sends the message and returns the status, the latency and an error.
// An answer whose body ends short of its length, or does not end within the
// timeout, is an error, whatever its status: the receiver never finished
// acknowledging.
func (n *Notifier) post(cut context.Context, url string, m wire.Message, timeout time.Duration) (int, time.Duration, string) {
	ctx, cancel := context.WithTimeout(cut, timeout)
	defer cancel()
	elapsed := n.stopwatch()
	status, err := wire.Post(ctx, n.client, url, m)
	lat := elapsed()
	switch {
	case err == nil:
		return status, lat, ""
	case cut.Err() != nil:
		return status, lat, cutOff + context.Cause(cut).Error()
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		if status != 0 {
			return status, lat, fmt.Sprintf("timeout: the answer's body did not end within %s", timeout)
		}
		return 0, lat, fmt.Sprintf("timeout: no answer within %s", timeout)
	case status != 0:
		return status, lat, "connection error while reading the answer's body: " + err.Error()
	default:
		return 0, lat, "connection error: " + err.Error()
	}
}

// Run is the notifier's background work (system.Runner). Attempts run on
// the scheduler; Run waits for its context to end (a reset or shutdown),
// then lets no new attempt start, waits for those on the network (each
// bounded by the attempt timeout, or until Interrupt cuts them off), and
// logs the deliveries still pending: as a warning at shutdown, at debug
// level on a reset or a deleted world, which forget them on purpose.
func (n *Notifier) Run(ctx context.Context) {
	<-ctx.Done()
	n.mu.Lock()
	n.closing = true
	n.mu.Unlock()
	n.inflight.Wait()
	if t, ok := n.client.Transport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
	pending := n.Pending()
	if len(pending) == 0 {
		n.log.Debug("notifier stopped; no delivery pending")
		return
	}
	desc := make([]string, 0, len(pending))
	for _, d := range pending {
		desc = append(desc, fmt.Sprintf("%s (merchant %s, payout %s, %d attempts, next due %s)",
			d.ID, d.MerchantID, d.PayoutID, len(d.Attempts), d.Next.UTC().Format(time.RFC3339)))
	}
	level := slog.LevelWarn
	if system.Forgotten(ctx) { // a reset or a deleted world: forgotten on purpose
		level = slog.LevelDebug
	}
	n.log.Log(context.Background(), level, "notifier stopped with deliveries pending, not sent", "count", len(pending), "pending", strings.Join(desc, "; "))
}

// Interrupt cuts off the attempts on the network (system.Interrupter):
// each ends at once, recorded as a failed attempt whose error is "cut off:
// " and why, and logged at warning level. No attempt starts until Reset.
func (n *Notifier) Interrupt(why string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closing = true
	n.interrupt(errors.New(why))
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
	return n.list(func(d *Delivery) bool { return d.State == wire.StatePending })
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
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "ntf-"))
	return n
}

func copyDelivery(d *Delivery) Delivery {
	c := *d
	c.Attempts = append([]Attempt(nil), d.Attempts...)
	c.Message.Body = bytes.Clone(d.Message.Body)
	return c
}

// Reset forgets every delivery; attempts scheduled before it do nothing.
// Receivers are configuration and stay. It lets attempts start again after
// Run ended.
func (n *Notifier) Reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.generation++
	n.closing = false
	if n.cut.Err() != nil {
		n.cut, n.interrupt = context.WithCancelCause(context.Background())
	}
	n.seq = 0
	n.deliveries = map[string]*Delivery{}
}
