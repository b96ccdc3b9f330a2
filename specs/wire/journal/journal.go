package journal

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Match is what a count asks of an exchange (POST /_herald/v1/journal/count,
// JournalCriteria): every field given must hold, and none given matches
// every exchange.
type Match struct {
	// System is a system's name: mopay, mnotify, monnet.
	System string `json:"system,omitempty"`
	// Operation is an operationId, or "none" for requests that matched no
	// operation.
	Operation string `json:"operation,omitempty"`
	Method    string `json:"method,omitempty"`
	// Path is the request's path exactly as the client sent it (a world's
	// prefix and the system's base path included), without the query.
	Path string `json:"path,omitempty"`
	// Status is the answer's status ("401") or class ("4xx").
	Status string `json:"status,omitempty"`
	// Verdict is accepted (the request reached its handler), refused or
	// violates (the answer broke the spec).
	Verdict string `json:"verdict,omitempty"`
	// Auth is the authentication's outcome: accepted, refused or none.
	Auth string `json:"auth,omitempty"`
	// Query holds parameters that must have exactly these values.
	Query map[string]string `json:"query,omitempty"`
	// Headers holds request headers that must have exactly these values (a
	// redacted one never matches).
	Headers map[string]string `json:"headers,omitempty"`
	// BodyContains is text the request body must contain.
	BodyContains string `json:"bodyContains,omitempty"`
}

// String is the criteria given, in a stable order:
// `system=mopay operation=user_notice_fetch status=2xx`.
func (m Match) String() string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	add("system", m.System)
	add("operation", m.Operation)
	add("method", m.Method)
	add("path", m.Path)
	add("status", m.Status)
	add("verdict", m.Verdict)
	add("auth", m.Auth)
	for _, k := range sortedKeys(m.Query) {
		parts = append(parts, "query "+k+"="+strconv.Quote(m.Query[k]))
	}
	for _, k := range sortedKeys(m.Headers) {
		parts = append(parts, "header "+k+"="+strconv.Quote(m.Headers[k]))
	}
	if m.BodyContains != "" {
		parts = append(parts, "body contains "+strconv.Quote(m.BodyContains))
	}
	if len(parts) == 0 {
		return "(any exchange)"
	}
	return strings.Join(parts, " ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Filter selects the exchanges List returns (the query of GET
// /_herald/v1/journal); a zero field selects all.
type Filter struct {
	System    string
	Operation string // an operationId, or "none"
	Method    string
	Status    string // "401" or "4xx"
	Verdict   string // accepted, refused, violates
	// Text is found, case-insensitively, in the path, query, bodies,
	// reasons and operation.
	Text  string
	Since time.Time // real time, inclusive
	Until time.Time // real time, exclusive
	// Limit bounds the exchanges returned (1 to 1000; 0: the API's 100).
	Limit  int
	Before int64 // ids below it; 0 for any
	After  int64 // ids above it; 0 for any
}

// Values is the filter as the API's query parameters.
func (f Filter) Values() url.Values {
	q := url.Values{}
	set := func(name, v string) {
		if v != "" {
			q.Set(name, v)
		}
	}
	set("system", f.System)
	set("operation", f.Operation)
	set("method", f.Method)
	set("status", f.Status)
	set("verdict", f.Verdict)
	set("q", f.Text)
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.UTC().Format(time.RFC3339Nano))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Before > 0 {
		q.Set("before", strconv.FormatInt(f.Before, 10))
	}
	if f.After > 0 {
		q.Set("after", strconv.FormatInt(f.After, 10))
	}
	return q
}

// Entry is one exchange as the API shows it (JournalEntry).
type Entry struct {
	ID          int64      `json:"id"`
	World       string     `json:"world"`
	System      string     `json:"system"`
	Operation   string     `json:"operation,omitempty"`
	Time        time.Time  `json:"time"`
	SimTime     time.Time  `json:"simTime"`
	DurationMs  float64    `json:"durationMs"`
	Request     Message    `json:"request"`
	Response    Message    `json:"response"`
	Verdict     Verdict    `json:"verdict"`
	Refusal     *Refusal   `json:"refusal,omitempty"`
	Violations  []Rule     `json:"violations,omitempty"`
	Auth        AuthResult `json:"auth"`
	ClosestMiss *Miss      `json:"closestMiss,omitempty"`
}

// Message is a request or an answer; secrets are redacted and bodies
// clipped to the journal's body bytes.
type Message struct {
	Method        string      `json:"method,omitempty"`
	Path          string      `json:"path,omitempty"`
	Query         string      `json:"query,omitempty"`
	Status        int         `json:"status,omitempty"`
	Headers       http.Header `json:"headers"`
	Body          string      `json:"body"`
	BodyBytes     int         `json:"bodyBytes"`
	BodyTruncated bool        `json:"bodyTruncated"`
}

// Verdict is what the exchange meant against the spec: Request accepted or
// refused; Response conforms, violates or unchecked.
type Verdict struct {
	Request  string `json:"request"`
	Response string `json:"response"`
}

// Refusal is why a request was refused before its handler ran.
type Refusal struct {
	// Stage is where it was refused: route, auth, spec, fault or handler.
	Stage   string `json:"stage"`
	Kind    string `json:"kind"`
	In      string `json:"in,omitempty"`
	Field   string `json:"field,omitempty"`
	Pointer string `json:"pointer,omitempty"`
	Reason  string `json:"reason"`
}

// Rule is one rule of the spec a request or an answer broke.
type Rule struct {
	Side    string `json:"side"` // request, response
	Pointer string `json:"pointer"`
	Reason  string `json:"reason"`
}

// AuthResult is the authentication's outcome (accepted, refused, none) and
// why, never a secret.
type AuthResult struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

// Miss is the documented operation closest to a request that matched none.
type Miss struct {
	Operation   string   `json:"operation,omitempty"`
	Method      string   `json:"method,omitempty"`
	Path        string   `json:"path,omitempty"`
	Differences []string `json:"differences"`
}

// Page is the answer of GET /_herald/v1/journal.
type Page struct {
	Entries  []Entry `json:"entries"`
	Matched  int     `json:"matched"`
	Capacity int     `json:"capacity"`
	Evicted  int64   `json:"evicted"`
}

// CountResult is the answer of POST /_herald/v1/journal/count.
type CountResult struct {
	Count      int        `json:"count"`
	NearMisses []NearMiss `json:"nearMisses"`
}

// NearMiss is an exchange that meets some of the criteria, and the ones it
// does not.
type NearMiss struct {
	Entry Entry    `json:"entry"`
	Unmet []string `json:"unmet"`
}

// Line is an exchange in one line: `GET /mopay/user_notice_fetch → 401
// (operation user_notice_fetch, #12)`.
func (e Entry) Line() string {
	path := e.Request.Path
	if e.Request.Query != "" {
		path += "?" + e.Request.Query
	}
	op := e.Operation
	if op == "" {
		op = "none"
	}
	world := ""
	if e.World != "" {
		world = ", world " + e.World
	}
	return fmt.Sprintf("%s %s → %d (%s operation %s, #%d%s)", e.Request.Method, path, e.Response.Status, e.System, op, e.ID, world)
}
