package journal

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"herald/simulator/engine"
	wire "herald/specs/wire/journal"
	"herald/specs/wire/redact"
)

// Entry is one exchange, as the control API shows it: the contract's entry
// (specs/wire/journal), which the Go helpers read, and what the journal
// keeps beside it.
type Entry struct {
	wire.Entry

	// origin is where the request was sent ("https://127.0.0.1:8443"),
	// for the HAR export.
	origin string
	// rawRequest and rawResponse hold bodies as they came (copies, no
	// larger than the journal's body bytes) until finish redacts them,
	// under the journal's lock, before anyone reads the entry: recording
	// stays cheap, and an entry never read costs no redaction. A larger
	// body is redacted and clipped at once, so what waits is bounded too.
	rawRequest, rawResponse []byte
	bodyBytes               int
}

// finish redacts the bodies kept as they came. Call it with the journal's
// lock held: every entry handed out is finished.
func (e *Entry) finish() {
	if e.rawRequest != nil {
		e.Request.Body, _, e.Request.BodyTruncated = keep(e.rawRequest, e.bodyBytes)
		e.rawRequest = nil
	}
	if e.rawResponse != nil {
		e.Response.Body, _, e.Response.BodyTruncated = keep(e.rawResponse, e.bodyBytes)
		e.rawResponse = nil
	}
}

// keepLater keeps a body of m: as it came, in *raw, when it fits in the
// body bytes; redacted and clipped now when it does not.
func (e *Entry) keepLater(m *Message, b []byte, raw *[]byte) {
	m.BodyBytes = len(b)
	switch {
	case len(b) > e.bodyBytes:
		m.Body, _, m.BodyTruncated = keep(b, e.bodyBytes)
	case len(b) > 0:
		*raw = append([]byte(nil), b...)
	}
}

// The parts of an entry, as the contract (specs/wire/journal) has them.
type (
	// Message is a request or an answer.
	Message = wire.Message
	// Verdict is what the exchange meant against the spec: Request
	// accepted or refused, Response conforms, violates or unchecked.
	Verdict = wire.Verdict
	// Refusal is why a request was refused, and at which stage: route,
	// auth, spec, fault, handler (the system's rules or state) or upstream
	// (herald proxy's vendor).
	Refusal = wire.Refusal
	// Rule is one rule of the spec that a request or an answer broke.
	Rule = wire.Rule
	// AuthResult is the authentication's outcome, with its reason.
	AuthResult = wire.AuthResult
	// Miss is the documented operation closest to a request that matched
	// none.
	Miss = wire.Miss
)

// Verdict and outcome values.
const (
	Accepted  = "accepted"
	Refused   = "refused"
	Violates  = "violates"
	Conforms  = "conforms"
	Unchecked = "unchecked"
	NoAuth    = "none"
)

// build turns an observation into an entry, its bodies clipped to
// bodyBytes. checked says whether answers are checked against the spec.
func build(world string, sim, at time.Time, o engine.Observation, bodyBytes int, checked bool) *Entry {
	r := o.Request
	// The path and query as the client sent them (a world's prefix and the
	// base path included, and Mopay's ?req= before the system moved it into
	// the path), from the request line.
	path, query, _ := strings.Cut(r.RequestURI, "?")
	if !strings.HasPrefix(path, "/") { // an absolute-form target, or none
		path, query = r.URL.Path, r.URL.RawQuery
	}
	e := &Entry{Entry: wire.Entry{
		World: world, System: o.System, Operation: o.OperationID, Time: at.UTC(), SimTime: sim.UTC(),
		DurationMs: float64(o.Duration.Microseconds()) / 1000,
		Request: Message{Method: r.Method, Path: clipString(path, 2048), Query: clipString(redact.Query(query), 4096),
			Headers: clipHeader(redact.Header(r.Header))},
		Response: Message{Status: o.Reply.Status, Headers: clipHeader(redact.Header(o.Reply.Header))},
		Verdict:  Verdict{Request: Accepted, Response: Unchecked},
		Auth:     AuthResult{Outcome: NoAuth, Reason: o.Auth.Note},
	}, origin: "http://" + clipString(r.Host, 256), bodyBytes: bodyBytes}
	if r.TLS != nil {
		e.origin = "https://" + clipString(r.Host, 256)
	}
	e.keepLater(&e.Request, o.Body, &e.rawRequest)
	e.keepLater(&e.Response, o.Reply.Body, &e.rawResponse)
	if o.Auth.Checked {
		e.Auth.Outcome = Accepted
		if o.Auth.Err != nil {
			e.Auth.Outcome = Refused
			if e.Auth.Reason == "" {
				e.Auth.Reason = o.Auth.Err.Error()
			}
		}
	}
	if o.Refused != nil {
		e.Verdict.Request = Refused
		e.Refusal = refusal(o.Refused)
		e.Refusal.Stage = stage(o)
		if e.Refusal.Pointer != "" || e.Refusal.Field != "" {
			ptr := e.Refusal.Pointer
			if ptr == "" {
				ptr = "/" + e.Refusal.In + "/" + escapePointer(e.Refusal.Field)
			}
			e.Violations = append(e.Violations, Rule{Side: "request", Pointer: ptr, Reason: e.Refusal.Reason})
		}
	}
	for _, n := range o.Noted { // a report-only proxy's: what the request broke, forwarded all the same
		r := refusal(n)
		ptr := r.Pointer
		if ptr == "" && r.Field != "" {
			ptr = "/" + r.In + "/" + escapePointer(r.Field)
		}
		if ptr == "" {
			ptr = "/"
		}
		e.Violations = append(e.Violations, Rule{Side: "request", Pointer: ptr, Reason: r.Reason})
	}
	if o.Proxied && o.Refused == nil && o.Reply.Status >= 400 { // the upstream refused it
		e.Verdict.Request = Refused
		e.Refusal = &Refusal{Stage: "upstream", Kind: "vendor", Reason: fmt.Sprintf("the upstream answered %d", o.Reply.Status)}
	}
	if checked {
		e.Verdict.Response = Conforms
	}
	if o.Violation != nil {
		e.Verdict.Response = Violates
		e.Violations = append(e.Violations, responseRules(o.Violation.Error())...)
	}
	if m := o.Miss; m != nil {
		e.ClosestMiss = &Miss{Operation: m.OperationID, Method: m.Method, Path: m.Path, Differences: append([]string{}, m.Differences...)}
	}
	return e
}

// refusal describes a refusal: a *engine.Problem's parts, or the system's
// own error's text.
func refusal(err error) *Refusal {
	var p *engine.Problem
	if errors.As(err, &p) {
		return &Refusal{Kind: p.Kind.String(), In: p.In, Field: p.Field, Pointer: p.Pointer, Reason: p.Reason}
	}
	return &Refusal{Kind: "system", Reason: err.Error()}
}

// stage says where a refused request was refused.
func stage(o engine.Observation) string {
	var p *engine.Problem
	switch {
	case errors.As(o.Refused, &p) && p.Kind == engine.Upstream:
		return "upstream"
	case o.Handled:
		return "handler"
	case o.Auth.Err != nil && errors.Is(o.Refused, o.Auth.Err):
		return "auth"
	case errors.As(o.Refused, &p) && p.Kind == engine.Fault:
		return "fault"
	case o.OperationID == "":
		return "route"
	}
	return "spec"
}

// pointerAt finds the "at /pointer: reason" lines specs.Simplify writes.
var pointerAt = regexp.MustCompile(`(?m)at (/[^:\n]*): ([^\n]*)`)

// responseRules splits an answer's violation into rules with pointers; one
// rule at "/" when the text names none.
func responseRules(text string) []Rule {
	var out []Rule
	for _, m := range pointerAt.FindAllStringSubmatch(text, 16) {
		out = append(out, Rule{Side: "response", Pointer: m[1], Reason: clipString(m[2], 512)})
	}
	if len(out) == 0 {
		out = append(out, Rule{Side: "response", Pointer: "/", Reason: clipString(text, 1024)})
	}
	return out
}

// keep redacts a body and clips it to n bytes, on a rune boundary; invalid
// UTF-8 is replaced.
func keep(b []byte, n int) (body string, size int, truncated bool) {
	size = len(b)
	b = redact.Body(b)
	if len(b) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b, truncated = b[:cut], true
	}
	if utf8.Valid(b) { // the common case, checked far faster than ToValidUTF8 scans
		return string(b), size, truncated
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), size, truncated
}

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Header bounds: a request refused for its headers' size keeps a sample.
const (
	maxHeaderFields = 64
	maxHeaderValue  = 1024
)

// clipHeader bounds a (redacted, so already copied) header in place: at
// most maxHeaderFields fields, and values clipped.
func clipHeader(h http.Header) http.Header {
	n := 0
	for k, vs := range h {
		if n >= maxHeaderFields {
			delete(h, k)
			continue
		}
		n++
		if len(vs) > 8 {
			vs = vs[:8]
			h[k] = vs
		}
		for i, v := range vs {
			if v = clipString(v, maxHeaderValue); !utf8.ValidString(v) {
				v = strings.ToValidUTF8(v, "\uFFFD")
			}
			vs[i] = v
		}
	}
	return h
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
