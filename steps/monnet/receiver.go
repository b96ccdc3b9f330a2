package monnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	wire "herald/specs/wire/monnet"
)

// pathMarker starts the path of a scenario's receiver URL: <public URL>
// herald-monnet/<token>. The token routes a notification to its scenario.
const pathMarker = "herald-monnet/"

// maxHang bounds how long the receiver holds a request it was told not to
// answer, should the sender never give up.
const maxHang = 2 * time.Minute

// receiverHost is the merchant receiver the suite runs: one HTTP server for
// every scenario of a run, started with the first scenario that needs it and
// stopped after the last. It routes each notification to its scenario's
// inbox by the URL's token, or else (a real Monnet sends every notification
// to the one URL its integration team configured) by the payout's orderId.
type receiverHost struct {
	mu      sync.Mutex
	users   int
	srv     *http.Server
	done    chan struct{} // closed when srv.Serve returns
	base    string        // public URL, ending in "/"
	tokens  map[string]*inbox
	orders  map[string]*inbox
	address string // where it listens, once started
	// keep leaves the server running between scenarios: it was asked to
	// listen on a fixed port, which another program could take meanwhile.
	keep bool
	// reached: a request has reached the receiver this run. unreachable,
	// once set, is why a Herald cannot reach it: the scenarios that need
	// it fail at once with it rather than each waiting out its time.
	reached     bool
	unreachable error
}

// blocked is why the receiver is known to be out of the notifier's reach,
// or nil.
func (h *receiverHost) blocked() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.unreachable
}

// attemptFailed judges a Herald's failed attempt (errText) at delivering
// to url, the scenario's receiver URL: when nothing has reached the
// receiver this run, the Herald cannot reach it (a Herald in a container
// sending to this machine's loopback address, say), and every later
// scenario that needs it is told so at once.
func (h *receiverHost) attemptFailed(url, errText string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.unreachable != nil || h.reached {
		return h.unreachable
	}
	h.unreachable = fmt.Errorf("the Herald cannot reach the suite's Monnet receiver at %s (its attempt: %s), and no notification has reached it in this run. "+
		"A Herald in a container or on another host cannot reach this machine's 127.0.0.1: give --monnet-receiver-listen 0.0.0.0:PORT and "+
		"--monnet-receiver-url http://HOST:PORT/, where HOST is this machine as the Herald sees it (host.docker.internal, or the container network's gateway). "+
		"Every later Monnet scenario that needs the receiver fails at once with this message; --tags '~%s' leaves them out", url, errText, TagWebhook)
	return h.unreachable
}

func newReceiverHost() *receiverHost {
	return &receiverHost{tokens: map[string]*inbox{}, orders: map[string]*inbox{}}
}

// open gives a scenario an inbox, starting the server on listen (public,
// when set, is the URL others reach it at) if no scenario runs.
func (h *receiverHost) open(listen, public, merchantID string) (*inbox, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv == nil {
		if listen == "" {
			listen = "127.0.0.1:0"
		}
		if _, port, err := net.SplitHostPort(listen); err == nil && port != "0" {
			h.keep = true
		}
		ln, err := net.Listen("tcp", listen)
		if err != nil {
			return nil, fmt.Errorf("the suite's Monnet receiver cannot listen on %s: %w (choose another with --monnet-receiver-listen ADDRESS; port 0 picks a free one)", listen, err)
		}
		h.address = ln.Addr().String()
		h.base = public
		if h.base == "" {
			h.base = "http://" + h.address + "/"
		}
		if !strings.HasSuffix(h.base, "/") {
			h.base += "/"
		}
		h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		h.done = make(chan struct{})
		go func(srv *http.Server, done chan struct{}) {
			defer close(done)
			_ = srv.Serve(ln)
		}(h.srv, h.done)
	}
	h.users++
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	box := &inbox{host: h, token: hex.EncodeToString(b), merchantID: merchantID, orders: map[string]bool{},
		mode: answerWith{statuses: []int{http.StatusOK}}, released: make(chan struct{}), firsts: map[string]*received{}}
	box.url = h.base + pathMarker + box.token
	h.tokens[box.token] = box
	return box, nil
}

// close ends a scenario's inbox, and the server after the last one.
func (h *receiverHost) close(box *inbox) {
	box.release()
	h.mu.Lock()
	delete(h.tokens, box.token)
	for order, b := range h.orders {
		if b == box {
			delete(h.orders, order)
		}
	}
	h.users--
	var srv *http.Server
	var done chan struct{}
	if h.users == 0 && !h.keep {
		srv, done, h.srv = h.srv, h.done, nil
	}
	h.mu.Unlock()
	if srv != nil {
		srv.Close()
		<-done
	}
}

// listening is where the receiver listens.
func (h *receiverHost) listening() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.address
}

// expect routes notifications about orderID to box.
func (h *receiverHost) expect(box *inbox, orderID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.orders[orderID] = box
	box.mu.Lock()
	box.orders[orderID] = true
	box.mu.Unlock()
}

// notification is what the receiver reads of a body to route it.
type notification struct {
	Payout struct {
		ID      string `json:"id"`
		IDUpper string `json:"Id"`
		OrderID string `json:"orderId"`
	} `json:"payout"`
	Output struct {
		Stage  string `json:"stage"`
		Status string `json:"status"`
	} `json:"output"`
}

func (h *receiverHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var n notification
	_ = json.Unmarshal(body, &n)
	h.mu.Lock()
	h.reached = true
	var box *inbox
	if _, token, ok := strings.Cut(r.URL.Path, pathMarker); ok {
		box = h.tokens[strings.Trim(token, "/")]
	} else {
		box = h.orders[n.Payout.OrderID]
	}
	h.mu.Unlock()
	if box == nil {
		// From an earlier run or scenario: acknowledged, so that its sender
		// stops retrying it, and otherwise ignored.
		w.WriteHeader(http.StatusOK)
		return
	}
	box.serve(w, r, body, n)
}

// received is one notification as the suite's receiver got it.
type received struct {
	method  string
	header  http.Header
	body    []byte
	payout  string // payout.id (or Id)
	orderID string
	stage   string
	status  string // output.status
	// answered is the status the receiver answered with; 0 when it held
	// the request until the sender gave up.
	answered int
	at       time.Time // when it arrived
	seq      int       // its place among what the scenario's inbox got, from 1
}

// mode is how a scenario's receiver answers.
type mode interface {
	answer(box *inbox, r *received) (status int, hang bool)
}

// answerWith answers with the statuses in turn, the last one repeating;
// when hangFirst, the first request gets no answer at all.
type answerWith struct {
	statuses  []int
	hangFirst bool
}

func (a answerWith) answer(box *inbox, _ *received) (int, bool) {
	m := box.mode.(answerWith)
	if m.hangFirst {
		m.hangFirst = false
		box.mode = m
		return 0, true
	}
	status := m.statuses[0]
	if len(m.statuses) > 1 {
		m.statuses = m.statuses[1:]
		box.mode = m
	}
	return status, false
}

// verifying is a correct receiver: it answers 200 to a notification whose
// verification header verifies over merchantId ‖ raw body with the notifier
// certificate's key, and 401 to any other.
type verifying struct{ pub *rsa.PublicKey }

func (v verifying) answer(box *inbox, r *received) (int, bool) {
	values := r.header.Values(wire.HeaderVerification)
	if len(values) != 1 || wire.Verify(v.pub, box.merchantID, r.body, values[0]) != nil {
		return http.StatusUnauthorized, false
	}
	return http.StatusOK, false
}

// lax is a deliberately wrong receiver: it acknowledges everything.
type lax struct{}

func (lax) answer(*inbox, *received) (int, bool) { return http.StatusOK, false }

// inbox is one scenario's share of the receiver: its URL, how it answers,
// and what it got.
type inbox struct {
	host       *receiverHost
	token, url string
	merchantID string
	released   chan struct{} // closed when the scenario ends
	once       sync.Once

	mu     sync.Mutex
	mode   mode
	orders map[string]bool // the orderIds the scenario used
	got    []*received

	// The watch: every notification of the scenario's payouts, however
	// late within the scenario, is judged as it arrives (see judge).
	firsts   map[string]*received // the first of each payout and stage
	problems []problem
	// conform checks a notification against the spec; pub, when known,
	// is the notifier certificate's key. Set before the first arrival.
	conform func(method string, header http.Header, body []byte) error
	pub     *rsa.PublicKey
	// forging: the scenario sends forged notifications on purpose (a
	// Herald's negative fixtures), which the watch then leaves alone.
	forging bool
}

// problem is something wrong the watch saw in a notification.
type problem struct {
	payout string
	text   string
}

func (b *inbox) release() { b.once.Do(func() { close(b.released) }) }

func (b *inbox) setMode(m mode) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mode = m
}

func (b *inbox) serve(w http.ResponseWriter, r *http.Request, body []byte, n notification) {
	rec := &received{method: r.Method, header: r.Header.Clone(), body: body, payout: n.Payout.ID, orderID: n.Payout.OrderID,
		stage: n.Output.Stage, status: n.Output.Status}
	if rec.payout == "" {
		rec.payout = n.Payout.IDUpper
	}
	b.mu.Lock()
	if !b.orders[rec.orderID] {
		// Not about a payout of this scenario: a retry of an earlier
		// scenario's notification, sent to the merchant's URL of now.
		b.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	status, hang := b.mode.answer(b, rec)
	rec.answered = status
	rec.at = time.Now()
	b.got = append(b.got, rec)
	rec.seq = len(b.got)
	b.judge(rec)
	b.mu.Unlock()
	if hang {
		timer := time.NewTimer(maxHang)
		defer timer.Stop()
		select {
		case <-r.Context().Done():
		case <-b.released:
		case <-timer.C:
		}
		panic(http.ErrAbortHandler) // drop the connection without an answer
	}
	w.WriteHeader(status)
}

// judge is the watch, for one notification as it arrives (b.mu held):
// it must conform to the spec and verify with the notifier certificate, and
// any later notification for a payout and stage must carry the same bytes
// as the first, body and verification header, whether the first was
// acknowledged (a duplicate) or not (a new attempt): the signature has no
// timestamp, so a sender that changes either sends another notification.
func (b *inbox) judge(r *received) {
	if b.forging {
		return
	}
	what := fmt.Sprintf("notification %d (orderId %s, payout %s, stage %q)", r.seq, r.orderID, r.payout, r.stage)
	add := func(format string, args ...any) {
		b.problems = append(b.problems, problem{payout: r.payout, text: what + " " + fmt.Sprintf(format, args...)})
	}
	if b.conform != nil {
		if err := b.conform(r.method, r.header, r.body); err != nil {
			add("violates the spec: %v\n  body: %s", err, clipBytes(r.body))
		}
	}
	values := r.header.Values(wire.HeaderVerification)
	if b.pub != nil {
		if len(values) != 1 {
			add("has %d verification headers, want 1", len(values))
		} else if err := wire.Verify(b.pub, b.merchantID, r.body, values[0]); err != nil {
			add("does not verify with the notifier certificate over merchantId %s and the raw body: %v", b.merchantID, err)
		}
	}
	key := r.payout + "\x00" + r.stage
	first := b.firsts[key]
	if first == nil {
		b.firsts[key] = r
		return
	}
	var diff []string
	if !bytes.Equal(first.body, r.body) {
		diff = append(diff, fmt.Sprintf("its body differs:\n  first: %s\n  this:  %s", clipBytes(first.body), clipBytes(r.body)))
	}
	if strings.Join(values, "\n") != strings.Join(first.header.Values(wire.HeaderVerification), "\n") {
		diff = append(diff, "its verification header differs")
	}
	if len(diff) > 0 {
		answered := fmt.Sprintf("answered %d", first.answered)
		if first.answered == 0 {
			answered = "held without an answer"
		}
		add("came %s after notification %d of the same payout and stage (%s), and is not the same bytes: %s",
			r.at.Sub(first.at).Round(time.Millisecond), first.seq, answered, strings.Join(diff, "; "))
	}
}

// watchOn arms the watch: conform checks against the spec, pub (nil when
// unknown) verifies the signature.
func (b *inbox) watchOn(conform func(string, http.Header, []byte) error, pub *rsa.PublicKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.conform, b.pub = conform, pub
}

// forgeries tells the watch that the scenario sends forged notifications.
func (b *inbox) forgeries() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forging = true
}

// problemsOf lists what the watch found wrong, about one payout ("" for
// every payout).
func (b *inbox) problemsOf(payoutID string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, p := range b.problems {
		if payoutID == "" || p.payout == payoutID {
			out = append(out, p.text)
		}
	}
	return out
}

// verdict is the watch's finding over the whole scenario: run when it ends.
func (b *inbox) verdict() error {
	if ps := b.problemsOf(""); len(ps) > 0 {
		return fmt.Errorf("the suite's Monnet receiver saw, during the scenario:\n- %s", strings.Join(ps, "\n- "))
	}
	return nil
}

// clipBytes shortens a body for a message.
func clipBytes(b []byte) string {
	const n = 600
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// about returns what the receiver got about a payout, in order.
func (b *inbox) about(payoutID string) []*received {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*received
	for _, r := range b.got {
		if r.payout == payoutID {
			out = append(out, r)
		}
	}
	return out
}

// all returns everything the inbox got about the scenario's orderIds.
func (b *inbox) all() []*received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*received(nil), b.got...)
}

// errWaited is what waitFor returns when the time is up.
var errWaited = errors.New("time is up")

// waitFor calls ok until it reports true, or until d has passed (on the
// real clock) or ctx ends.
func waitFor(ctx context.Context, d time.Duration, ok func() (bool, error)) error {
	deadline := time.Now().Add(d)
	for {
		done, err := ok()
		if err != nil || done {
			return err
		}
		if time.Now().After(deadline) {
			return errWaited
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
