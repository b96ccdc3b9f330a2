package mopay

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"herald/specs"
	wire "herald/specs/wire/mopay"
	"herald/steps"
)

// answer is one response as the steps saw it.
type answer struct {
	action string // the operation the request named; "" when none
	status int
	header http.Header
	body   []byte
	env    wire.Envelope
}

// credentials are a device's key pair.
type credentials struct {
	UserID string `json:"userid"`
	PbcKey string `json:"pbcKey"`
	Secret string `json:"secret"`
}

// world is one scenario's Mopay state, kept in the scenario's context.
type world struct {
	sc      *steps.Scenario
	target  steps.Target
	checker *specs.Checker
	pace    *pacer
	refusal *refusal // the account's sign-in, refused earlier in the run
	base    string   // the Mopay base URL, ending in "/"
	reqForm bool
	client  *http.Client

	creds      *credentials
	shared     bool         // creds are the target's issued key pair, which every scenario signs with
	old        *credentials // the previous key pair, after a new login
	device     string       // the device serial the key pair was issued to
	email      string
	code       string
	last       *answer
	before     *answer     // the answer before the last
	headers    http.Header // the signing headers of the last signed request
	pages      []noticePage
	answers    []*answer // of a repeated call
	password   string
	remembered map[string]string // values remembered from answers, for {marker}, {user}, {country}
}

type noticePage struct {
	Result []map[string]string `json:"result"`
	Cursor string              `json:"pagination"`
}

type worldKey struct{}

// now is the time to sign with.
func (w *world) now() time.Time { return w.sc.Now() }

// signing says how a request is signed.
type signing struct {
	skip        bool   // no signing headers at all
	without     string // leave out this header
	key         string // send this public key instead
	tsOffset    time.Duration
	tamper      bool
	withSpace   bool
	upperHex    bool
	timestamp   string      // sign over this MPY-TIMESTAMP instead of now
	reuse       http.Header // send these signing headers again, as they were
	credentials *credentials
}

func (w *world) sign(h http.Header, s signing) error {
	if s.skip {
		return nil
	}
	if s.reuse != nil {
		for name, vs := range s.reuse {
			h[name] = vs
		}
		return nil
	}
	c := s.credentials
	if c == nil {
		c = w.creds
	}
	if c == nil {
		return fmt.Errorf("no key pair: register or log in first")
	}
	ts := strconv.FormatInt(w.now().Add(s.tsOffset).Unix(), 10)
	if s.timestamp != "" {
		ts = s.timestamp
	}
	sig := wire.Signature(c.Secret, ts)
	if s.withSpace {
		sig = wire.SignContent(c.Secret, wire.SpacedContent(ts))
	}
	if s.tamper { // change the last hex digit
		last := byte('0')
		if sig[len(sig)-1] == '0' {
			last = '1'
		}
		sig = sig[:len(sig)-1] + string(last)
	}
	if s.upperHex {
		sig = strings.ToUpper(sig)
	}
	key := c.PbcKey
	if s.key != "" {
		key = s.key
	}
	w.headers = http.Header{}
	for name, value := range map[string]string{wire.HeaderKey: key, wire.HeaderTimestamp: ts, wire.HeaderSignature: sig} {
		if !strings.EqualFold(name, s.without) {
			h.Set(name, value)
			w.headers.Set(name, value)
		}
	}
	return nil
}

// request is a Mopay call to make.
type request struct {
	method  string // "" takes the operation's method
	action  string
	query   url.Values
	rawRef  string // a raw path and query, relative to the base URL, instead of action+query
	reqForm bool   // address as "/?req=<action>&…"
	header  http.Header
	body    []byte
	sign    signing
}

// call sends a Mopay request and checks the answer against the spec. With
// the target's issued key, which every scenario shares, it keeps within the
// key's documented rate, and sends a request refused for it (429) once more
// after the wait the answer asks for: no scenario that runs with that key
// is about the limit (those are left out).
func (w *world) call(r request) (*answer, error) {
	shared := w.shared && !r.sign.skip && r.sign.key == "" && r.sign.credentials == nil
	if !shared {
		return w.send(r)
	}
	w.pace.take(w.creds.PbcKey)
	a, err := w.send(r)
	if err != nil || r.sign.reuse != nil || (a.status != http.StatusTooManyRequests && (a.env.ERRORS == nil || a.env.ERRORS.CODE != http.StatusTooManyRequests)) {
		return a, err
	}
	w.pace.wait(a.header)
	w.pace.take(w.creds.PbcKey)
	return w.send(r)
}

// send sends a Mopay request once. An action written with a query
// ("user_notification_fetch?rqtp=all") takes it as its query.
func (w *world) send(r request) (*answer, error) {
	if name, q, ok := strings.Cut(r.action, "?"); ok && r.rawRef == "" {
		values, err := url.ParseQuery(q)
		if err != nil {
			return nil, fmt.Errorf("action %q: %w", r.action, err)
		}
		query := url.Values{}
		for k, vs := range r.query {
			query[k] = vs
		}
		for k, vs := range values {
			query[k] = append(query[k], vs...)
		}
		r.action, r.query = name, query
	}
	var target string
	action := r.action
	switch {
	case r.rawRef != "":
		target = w.base + r.rawRef
		action, _, _ = strings.Cut(r.rawRef, "?")
	case r.reqForm || w.reqForm:
		q := url.Values{"req": {r.action}}
		for k, vs := range r.query {
			q[k] = vs
		}
		target = w.base + "?" + q.Encode()
	default:
		target = w.base + r.action
		if len(r.query) > 0 {
			target += "?" + r.query.Encode()
		}
	}
	route := w.checker.Route(action)
	method := r.method
	if method == "" {
		method = http.MethodGet
		if route != nil {
			method = route.Method
		}
	}
	if route == nil || method != route.Method {
		action = "" // no operation: the answer is checked against the error envelope
	}
	var body io.Reader = http.NoBody
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range r.header {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if err := w.sign(req.Header, r.sign); err != nil {
		return nil, err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, w.sc.Exchanged(System, action, req, r.body, nil, nil, nil, fmt.Errorf("%s %s: no answer: %w", method, target, err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, w.sc.Exchanged(System, action, req, r.body, resp, nil, nil, fmt.Errorf("%s %s: reading the answer: %w", method, target, err))
	}
	a := &answer{action: action, status: resp.StatusCode, header: resp.Header, body: b}
	w.before, w.last = w.last, a
	if err := json.Unmarshal(b, &a.env); err != nil {
		a.env = wire.Envelope{}
	}
	return a, w.sc.Exchanged(System, action, req, r.body, resp, b, w.checkSpec(a), nil)
}

// checkSpec checks an answer against its operation, or against the error
// envelope when the request named no operation.
func (w *world) checkSpec(a *answer) error {
	if a.action != "" {
		return w.checker.Response(a.action, a.status, a.header, a.body)
	}
	var v any
	if err := json.Unmarshal(a.body, &v); err != nil {
		return fmt.Errorf("answer is not JSON: %v", err)
	}
	return w.checker.Schema("ErrorEnvelope", v)
}

var mpsReference = regexp.MustCompile(`\(MPS[0-9]{15}\)$`)

// uniqueEmail returns a fresh address, so that scenarios never collide, even
// against a deployment that keeps its state.
func uniqueEmail(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s.%s@example.com", prefix, hex.EncodeToString(b))
}

// newDevice is a fresh device serial.
func newDevice() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "herald-suite-" + hex.EncodeToString(b)
}
