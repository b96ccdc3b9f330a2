package proxy

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"herald/simulator/engine"
	"herald/simulator/journal"
	"herald/specs"
	wire "herald/specs/wire/monnet"
)

// Monnet's webhooks, as the proxy relays them.
const (
	// NotificationOperation is the callback operation of Monnet's payout
	// notifications (specs/monnet.yaml): the journal names each under it.
	NotificationOperation = "payoutNotification"
	// SideNotification is the drift report's side of what Monnet's
	// notifications broke: Monnet sent them, so it is the deployment's
	// drift, as an answer's is.
	SideNotification = "notification"
	// DefaultNotificationBytes bounds a notification's body.
	DefaultNotificationBytes = 1 << 20
)

// WebhookOptions configure the relay of Monnet's notifications to the
// merchant's receiver (Proxy.MonnetWebhook).
type WebhookOptions struct {
	// Receiver is the merchant's receiver URL. A notification's path and
	// query, other than "/", are appended to it (its trailing "/" dropped),
	// as an API request's are to its upstream's URL.
	Receiver string
	// Client sends the notifications to the receiver (its TLS, say); nil is
	// a client of its own. Redirects are never followed: the receiver's 3xx
	// goes back to Monnet as it came.
	Client *http.Client
	// NotifierKey verifies each notification's verification header (the
	// notifier certificate's key); nil checks none, and the journal says so.
	NotifierKey *rsa.PublicKey
	// MerchantID is the merchant whose receiver it is: the signature is
	// over merchantId ‖ raw body. "" takes each body's payout.merchantId.
	MerchantID string
	// Timeout bounds the receiver's answer (0: the proxy's Timeout); a
	// receiver that does not answer in time gets Monnet a 504, one that
	// cannot be reached a 502.
	Timeout time.Duration
	// BodyBytes bounds a notification's body (0: DefaultNotificationBytes);
	// a larger one is answered 413 and not forwarded.
	BodyBytes int64
}

// webhook relays Monnet's notifications: it verifies each, checks it
// against the callback schema, journals it, and forwards its bytes as they
// came, in report mode whatever it found; with Enforce it refuses one that
// does not verify (401) or breaks the schema (400) without forwarding it.
type webhook struct {
	p       *Proxy
	opts    WebhookOptions
	checker *specs.Checker
}

// MonnetWebhook returns the handler of the proxy's webhook listener: it
// stands between Monnet's notifier and the merchant's receiver. Each
// notification is journalled as an exchange of system monnet, operation
// payoutNotification, with the signature's verdict as its auth outcome and
// what it broke of the callback schema as its violations; the drift report
// counts them on its notification side. The bytes and headers forwarded
// are the ones received (bar the hop-by-hop headers), never re-signed, and
// the receiver's answer goes back to Monnet unchanged.
func (p *Proxy) MonnetWebhook(opts WebhookOptions) (http.Handler, error) {
	u, err := url.Parse(opts.Receiver)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("monnet: the merchant's receiver %q is not an http:// or https:// URL", opts.Receiver)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = p.opts.Timeout
	}
	if opts.BodyBytes <= 0 {
		opts.BodyBytes = DefaultNotificationBytes
	}
	client := opts.Client
	if client == nil {
		// Without compression of its own: an Accept-Encoding is sent only
		// when Monnet sent one, and the answer is not decoded on its way.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DisableCompression = true
		client = &http.Client{Transport: t}
	}
	noRedirect := *client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	opts.Client = &noRedirect
	doc, err := specs.Load(specs.Monnet)
	if err != nil {
		return nil, err
	}
	c := specs.NewChecker(specs.Monnet, doc)
	found := false
	for _, id := range c.WebhookIDs() {
		found = found || id == NotificationOperation
	}
	if !found {
		return nil, fmt.Errorf("monnet: the spec has no callback operation %s", NotificationOperation)
	}
	return &webhook{p: p, opts: opts, checker: c}, nil
}

// target is where a notification goes: the receiver URL, with the
// notification's path (other than "/") and query appended.
func (h *webhook) target(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" || !strings.HasPrefix(uri, "/") {
		uri = r.URL.RequestURI()
	}
	path, query, hasQuery := strings.Cut(uri, "?")
	t := h.opts.Receiver
	if path != "/" {
		t = strings.TrimSuffix(t, "/") + path
	}
	if hasQuery {
		t += "?" + query
	}
	return t
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := engine.Observation{System: "monnet", Request: r, OperationID: NotificationOperation, Proxied: true}
	defer func() {
		o.Duration = time.Since(start)
		h.record(o)
	}()
	body, err := io.ReadAll(io.LimitReader(r.Body, h.opts.BodyBytes+1))
	if err != nil {
		o.Reply = plain(http.StatusBadRequest, "herald proxy: the notification's body could not be read")
		o.Refused = &engine.Problem{Kind: engine.BodyInvalid, In: "body", Reason: "the body could not be read: " + err.Error()}
		writeReply(w, o.Reply)
		return
	}
	if int64(len(body)) > h.opts.BodyBytes {
		o.Body = body[:h.opts.BodyBytes]
		o.Reply = plain(http.StatusRequestEntityTooLarge, fmt.Sprintf("herald proxy: a notification larger than %d bytes is not forwarded", h.opts.BodyBytes))
		o.Refused = &engine.Problem{Kind: engine.BodyInvalid, In: "body", Pointer: "/", Reason: fmt.Sprintf("the body is larger than the %d bytes the proxy takes", h.opts.BodyBytes)}
		writeReply(w, o.Reply)
		return
	}
	o.Body = body
	o.Auth = h.verify(r.Header, body)
	problems := h.conform(r.Method, r.Header, body)
	if h.p.opts.Enforce && (o.Auth.Err != nil || len(problems) > 0) {
		if o.Auth.Err != nil {
			o.Refused = o.Auth.Err
			o.Noted = problems
			o.Reply = plain(http.StatusUnauthorized, "herald proxy (--enforce): the notification does not verify with the notifier certificate; not forwarded")
		} else {
			o.Refused, o.Noted = problems[0], problems[1:]
			o.Reply = plain(http.StatusBadRequest, "herald proxy (--enforce): the notification breaks the callback schema; not forwarded")
		}
		writeReply(w, o.Reply)
		return
	}
	o.Noted = problems
	reply, err := h.forward(r, body)
	if err != nil {
		var p *engine.Problem
		errors.As(err, &p)
		o.Refused = err
		o.Reply = plain(p.Status, "herald proxy: "+p.Reason)
		writeReply(w, o.Reply)
		return
	}
	o.Reply = reply
	writeReply(w, reply)
}

// verify checks the verification header with the notifier certificate,
// over merchantId ‖ raw body.
func (h *webhook) verify(header http.Header, body []byte) engine.Auth {
	if h.opts.NotifierKey == nil {
		return engine.Auth{Note: "not checked: no notifier certificate (--monnet-notifier-cert, or the target's systems.monnet.params.notifier-cert)"}
	}
	merchant := h.opts.MerchantID
	if merchant == "" {
		var n struct {
			Payout struct {
				MerchantID string `json:"merchantId"`
			} `json:"payout"`
		}
		_ = json.Unmarshal(body, &n)
		merchant = n.Payout.MerchantID
	}
	values := header.Values(wire.HeaderVerification)
	var err error
	switch {
	case len(values) > 1:
		err = fmt.Errorf("%d verification headers, want 1", len(values))
	case merchant == "":
		err = errors.New("no merchantId to verify over: the body has no payout.merchantId (give the target's merchant-id)")
	case len(values) == 0:
		err = wire.ErrNoSignature
	default:
		if e := wire.Verify(h.opts.NotifierKey, merchant, body, values[0]); e != nil {
			err = fmt.Errorf("merchantId %s, the notifier certificate: %w", merchant, e)
		}
	}
	if err != nil {
		return engine.Auth{Checked: true, Err: err, Note: err.Error()}
	}
	return engine.Auth{Checked: true, Note: fmt.Sprintf("the verification header verifies with the notifier certificate over merchantId %s followed by the raw body", merchant)}
}

// pointerLine is a line of specs.Simplify's text: "at /pointer: reason".
var pointerLine = regexp.MustCompile(`^at (/[^:]*): (.*)$`)

// headerLine is kin-openapi's text of a header parameter's error.
var headerLine = regexp.MustCompile(`^parameter "([^"]+)" in header has an error: (.*)$`)

// conform checks the notification against the callback operation, one
// problem per rule broken, each with its pointer.
func (h *webhook) conform(method string, header http.Header, body []byte) []error {
	err := h.checker.Webhook(NotificationOperation, method, header, body)
	if err == nil {
		return nil
	}
	text := strings.TrimPrefix(err.Error(), specs.Monnet+" "+NotificationOperation+": ")
	var out []error
	seen := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line == "" || seen[line] {
			continue
		}
		seen[line] = true
		var p *engine.Problem
		if m := pointerLine.FindStringSubmatch(line); m != nil {
			field, _, _ := strings.Cut(strings.TrimPrefix(m[1], "/"), "/")
			p = &engine.Problem{Kind: engine.Invalid, In: "body", Field: field, Pointer: m[1], Reason: m[2]}
		} else if m := headerLine.FindStringSubmatch(line); m != nil {
			p = &engine.Problem{Kind: engine.Invalid, In: "header", Field: m[1], Reason: m[2]}
		} else {
			p = &engine.Problem{Kind: engine.Invalid, In: "body", Pointer: "/", Reason: line}
		}
		out = append(out, p)
	}
	return out
}

// forward sends the notification's bytes and headers to the receiver and
// returns its answer as it came; a *engine.Problem of Kind Upstream when
// none came.
func (h *webhook) forward(r *http.Request, body []byte) (engine.Reply, error) {
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, h.target(r), bytes.NewReader(body))
	if err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Upstream, Status: http.StatusBadGateway, Reason: "the notification could not be forwarded: " + err.Error()}
	}
	req.Header = r.Header.Clone()
	for _, k := range hopByHop {
		req.Header.Del(k)
	}
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	resp, err := h.opts.Client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || ctx.Err() != nil {
			return engine.Reply{}, &engine.Problem{Kind: engine.Upstream, Status: http.StatusGatewayTimeout,
				Reason: fmt.Sprintf("the merchant's receiver did not answer within %s", h.opts.Timeout)}
		}
		return engine.Reply{}, &engine.Problem{Kind: engine.Upstream, Status: http.StatusBadGateway,
			Reason: "the merchant's receiver could not be reached: " + redactErr(err, h.opts.Receiver)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, h.p.opts.AnswerBytes+1))
	if err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Upstream, Status: http.StatusBadGateway, Reason: "the merchant's receiver's answer could not be read: " + err.Error()}
	}
	if int64(len(b)) > h.p.opts.AnswerBytes {
		return engine.Reply{}, &engine.Problem{Kind: engine.Upstream, Status: http.StatusBadGateway,
			Reason: fmt.Sprintf("the merchant's receiver's answer is larger than the %d bytes the proxy takes", h.p.opts.AnswerBytes)}
	}
	hd := resp.Header.Clone()
	for _, k := range hopByHop {
		hd.Del(k)
	}
	hd.Del("Content-Length")
	return engine.Reply{Status: resp.StatusCode, Header: hd, Body: b}, nil
}

// record journals the notification and adds it to the drift report, on
// its notification side: what Monnet's notifications broke of the schema,
// and a notification that did not verify.
func (h *webhook) record(o engine.Observation) {
	e := h.p.opts.Journal.Record("", time.Now(), o)
	if e == nil {
		return
	}
	// The entry is the journal's now, and others may read it: the drift
	// report gets a copy of what it needs, its sides renamed.
	d := &journal.Entry{}
	d.ID, d.System, d.Operation, d.Time = e.ID, e.System, e.Operation, e.Time
	d.Request = journal.Message{Method: e.Request.Method, Path: e.Request.Path}
	for _, v := range e.Violations {
		if v.Side == "request" {
			v.Side = SideNotification
		}
		d.Violations = append(d.Violations, v)
	}
	if o.Auth.Err != nil {
		d.Violations = append(d.Violations, journal.Rule{Side: SideNotification, Pointer: "/header/" + wire.HeaderVerification,
			Reason: "does not verify: " + authReason(o.Auth.Err)})
	}
	h.p.drift.Add(d)
}

// authReason is why a signature did not verify, without the merchant the
// report would otherwise split its rule by.
func authReason(err error) string {
	for _, known := range []error{wire.ErrNoSignature, wire.ErrNotBase64, wire.ErrBadSignature} {
		if errors.Is(err, known) {
			return known.Error()
		}
	}
	return err.Error()
}

func plain(status int, text string) engine.Reply {
	return engine.Reply{Status: status, Header: http.Header{"Content-Type": {"text/plain; charset=utf-8"}}, Body: []byte(text + "\n")}
}
