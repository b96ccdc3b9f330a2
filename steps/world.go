package steps

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
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

	"github.com/cucumber/godog"

	"herald/specs"
)

// suite is shared by all scenarios of a run; it is read-only.
type suite struct {
	target Target
	mopay  *specs.Checker
}

// answer is one response as the steps saw it.
type answer struct {
	action string // the operation the request named; "" when none
	status int
	header http.Header
	body   []byte
	env    envelope
}

type envelope struct {
	REQUEST struct {
		VERSION string
		ACTION  string
		STATUS  string
	}
	DATA   json.RawMessage
	ERRORS *struct {
		CODE    int
		ID      *string
		MSG     *string
		DETAILS string
	}
}

// credentials are a device's key pair.
type credentials struct {
	UserID string `json:"userid"`
	PbcKey string `json:"pbcKey"`
	Secret string `json:"secret"`
}

// world is one scenario's state.
type world struct {
	*suite
	expectViolation bool
	violation       error
	offset          time.Duration // simulator clock minus local clock
	clockChanged    bool

	creds      *credentials
	old        *credentials // the previous key pair, after a new login
	email      string
	code       string
	last       *answer
	pages      []noticePage
	answers    []*answer // of a repeated call
	password   string
	remembered string // a marker, for {marker}
	faulted    bool
}

type noticePage struct {
	Result []map[string]string `json:"result"`
	Cursor string              `json:"pagination"`
}

func (s *suite) initScenario(sc *godog.ScenarioContext) {
	w := &world{suite: s}
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		for _, t := range p.Tags {
			if t.Name == "@expect-violation" {
				w.expectViolation = true
			}
		}
		return ctx, w.syncClock()
	})
	sc.After(func(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
		if w.faulted {
			if _, cerr := w.control(http.MethodDelete, "faults", nil); cerr != nil && err == nil {
				return ctx, fmt.Errorf("clearing injected faults: %w", cerr)
			}
		}
		if w.clockChanged {
			if _, cerr := w.control(http.MethodDelete, "clock", nil); cerr != nil && err == nil {
				return ctx, fmt.Errorf("restoring the simulator clock: %w", cerr)
			}
		}
		return ctx, nil
	})
	w.registerMopay(sc)
	w.registerControl(sc)
}

// now is the time to sign with: the simulator's clock on a Herald, the local
// clock elsewhere.
func (w *world) now() time.Time { return time.Now().Add(w.offset) }

func (w *world) syncClock() error {
	w.offset = 0
	if !w.target.IsHerald() {
		return nil
	}
	b, err := w.control(http.MethodGet, "clock", nil)
	if err != nil {
		return err
	}
	var c struct{ Unix int64 }
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("reading the simulator clock: %w", err)
	}
	w.offset = time.Unix(c.Unix, 0).Sub(time.Now())
	return nil
}

// control calls the target's control API and returns the answer's body.
func (w *world) control(method, path string, body any) ([]byte, error) {
	if !w.target.IsHerald() {
		return nil, fmt.Errorf("this step needs Herald's control API, and target %s has none (tag the scenario %s)", w.target.Name, TagSimulator)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, w.target.ControlURL+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := w.target.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("control API %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return b, fmt.Errorf("control API %s %s answered %d: %s", method, path, resp.StatusCode, b)
	}
	return b, nil
}

// signing says how a request is signed.
type signing struct {
	skip        bool   // no signing headers at all
	without     string // leave out this header
	key         string // send this public key instead
	tsOffset    time.Duration
	tamper      bool
	withSpace   bool
	upperHex    bool
	credentials *credentials
}

// Sign is the vendor's documented signature: lowercase hex of HMAC-SHA512,
// keyed by the secret, over JSON.stringify({timestamp: ts}).
func Sign(secret, timestamp string) string {
	msg, _ := json.Marshal(map[string]string{"timestamp": timestamp})
	return signOver(secret, string(msg))
}

func signOver(secret, msg string) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func (w *world) sign(h http.Header, s signing) error {
	if s.skip {
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
	sig := Sign(c.Secret, ts)
	if s.withSpace {
		sig = signOver(c.Secret, `{"timestamp": "`+ts+`"}`)
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
	for name, value := range map[string]string{"MPY-SECUREKEY": key, "MPY-TIMESTAMP": ts, "MPY-REQSIGNAL": sig} {
		if !strings.EqualFold(name, s.without) {
			h.Set(name, value)
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

// call sends a Mopay request and checks the answer against the spec.
func (w *world) call(r request) (*answer, error) {
	var target string
	action := r.action
	switch {
	case r.rawRef != "":
		target = w.target.MopayURL + r.rawRef
		action, _, _ = strings.Cut(r.rawRef, "?")
	case r.reqForm || w.target.MopayReqForm:
		q := url.Values{"req": {r.action}}
		for k, vs := range r.query {
			q[k] = vs
		}
		target = w.target.MopayURL + "?" + q.Encode()
	default:
		target = w.target.MopayURL + r.action
		if len(r.query) > 0 {
			target += "?" + r.query.Encode()
		}
	}
	route := w.mopay.Route(action)
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
	resp, err := w.target.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: no answer: %w", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, target, err)
	}
	a := &answer{action: action, status: resp.StatusCode, header: resp.Header, body: b}
	w.last = a
	if err := json.Unmarshal(b, &a.env); err != nil {
		a.env = envelope{}
	}
	if err := w.checkSpec(a); err != nil {
		if !w.expectViolation {
			return a, fmt.Errorf("the answer violates the Mopay spec (tag the scenario @expect-violation if that is expected): %w\nanswer %d: %s", err, a.status, clip(b))
		}
		w.violation = err
	}
	return a, nil
}

// checkSpec checks an answer against its operation, or against the error
// envelope when the request named no operation.
func (w *world) checkSpec(a *answer) error {
	if a.action != "" {
		return w.mopay.Response(a.action, a.status, a.header, a.body)
	}
	var v any
	if err := json.Unmarshal(a.body, &v); err != nil {
		return fmt.Errorf("answer is not JSON: %v", err)
	}
	return w.mopay.Schema("ErrorEnvelope", v)
}

var secretValue = regexp.MustCompile(`("secret"\s*:\s*)"[^"]*"`)

// clip shortens an answer for a report, with any "secret" redacted: reports
// end up in CI logs, JUnit and Cucumber files.
func clip(b []byte) string {
	s := secretValue.ReplaceAllString(string(b), `$1"<redacted>"`)
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

var mpsReference = regexp.MustCompile(`\(MPS[0-9]{15}\)$`)

// uniqueEmail returns a fresh address, so that scenarios never collide, even
// against a deployment that keeps its state.
func uniqueEmail(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s.%s@example.com", prefix, hex.EncodeToString(b))
}
