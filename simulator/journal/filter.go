package journal

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	wire "herald/specs/wire/journal"
	"herald/specs/wire/redact"
)

// Filter selects entries; a zero field selects all.
type Filter struct {
	// World is the world's id, "" the default world; always applied.
	World     string
	System    string
	Operation string // an operationId, or "none"
	Method    string
	Status    string // "401" or "4xx"
	Verdict   string // accepted, refused, violates
	Text      string // lowercased
	Since     time.Time
	Until     time.Time
	Before    int64 // ids below it; 0 for any
	After     int64 // ids above it; 0 for any
}

// BadFilter names a filter parameter that does not parse.
type BadFilter struct {
	Field  string
	Reason string
}

func (b *BadFilter) Error() string { return b.Field + ": " + b.Reason }

var (
	statusPattern = regexp.MustCompile(`^([1-5][0-9][0-9]|[1-5]xx)$`)
	systemPattern = regexp.MustCompile(`^[a-z][a-z0-9]{0,31}$`)
	methods       = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}
	verdicts      = map[string]bool{Accepted: true, Refused: true, Violates: true}
)

// ParseFilter reads a filter from a query (the control API's parameters:
// system, operation, method, status, verdict, since, until, q, before,
// after), for a world. Each value may be given once.
func ParseFilter(world string, q url.Values) (Filter, error) {
	f := Filter{World: world}
	one := func(name string) (string, error) {
		vs := q[name]
		if len(vs) > 1 {
			return "", &BadFilter{name, "given more than once; send it once"}
		}
		if len(vs) == 0 {
			return "", nil
		}
		return vs[0], nil
	}
	var err error
	get := func(name string) string {
		if err != nil {
			return ""
		}
		var v string
		v, err = one(name)
		return v
	}
	f.System, f.Operation, f.Method, f.Status, f.Verdict = get("system"), get("operation"), get("method"), get("status"), get("verdict")
	text, since, until, before, after := get("q"), get("since"), get("until"), get("before"), get("after")
	if err != nil {
		return Filter{}, err
	}
	switch {
	case f.System != "" && !systemPattern.MatchString(f.System):
		return Filter{}, &BadFilter{"system", "not a system's name (lowercase letters and digits)"}
	case len(f.Operation) > 64:
		return Filter{}, &BadFilter{"operation", "longer than 64 characters"}
	case f.Method != "" && !methods[f.Method]:
		return Filter{}, &BadFilter{"method", "not one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"}
	case f.Status != "" && !statusPattern.MatchString(f.Status):
		return Filter{}, &BadFilter{"status", "not a status (401) or a class (4xx)"}
	case f.Verdict != "" && !verdicts[f.Verdict]:
		return Filter{}, &BadFilter{"verdict", "not one of accepted, refused, violates"}
	case len(text) > 256:
		return Filter{}, &BadFilter{"q", "longer than 256 characters"}
	}
	f.Text = strings.ToLower(text)
	for _, t := range []struct {
		name, raw string
		to        *time.Time
	}{{"since", since, &f.Since}, {"until", until, &f.Until}} {
		if t.raw == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, t.raw)
		if err != nil {
			return Filter{}, &BadFilter{t.name, "not an RFC 3339 date-time, such as 2026-01-01T10:00:00Z"}
		}
		*t.to = v
	}
	for _, n := range []struct {
		name, raw string
		to        *int64
	}{{"before", before, &f.Before}, {"after", after, &f.After}} {
		if n.raw == "" {
			continue
		}
		v, err := strconv.ParseInt(n.raw, 10, 64)
		if err != nil || v < 0 {
			return Filter{}, &BadFilter{n.name, "not an entry id (a whole number, 0 or more)"}
		}
		*n.to = v
	}
	return f, nil
}

// Match reports whether an entry passes the filter.
func (f Filter) Match(e *Entry) bool {
	switch {
	case e.World != f.World,
		f.System != "" && e.System != f.System,
		f.Operation != "" && !operationIs(e, f.Operation),
		f.Method != "" && e.Request.Method != f.Method,
		f.Status != "" && !statusIs(e.Response.Status, f.Status),
		f.Verdict != "" && !verdictIs(e, f.Verdict),
		!f.Since.IsZero() && e.Time.Before(f.Since),
		!f.Until.IsZero() && !e.Time.Before(f.Until),
		f.Before > 0 && e.ID >= f.Before,
		f.After > 0 && e.ID <= f.After,
		f.Text != "" && !hasText(e, f.Text):
		return false
	}
	return true
}

func operationIs(e *Entry, op string) bool {
	if op == "none" {
		return e.Operation == ""
	}
	return e.Operation == op
}

func statusIs(status int, want string) bool {
	if strings.HasSuffix(want, "xx") {
		return status/100 == int(want[0]-'0')
	}
	return strconv.Itoa(status) == want
}

func verdictIs(e *Entry, v string) bool {
	switch v {
	case Violates:
		return e.Verdict.Response == Violates
	default:
		return e.Verdict.Request == v
	}
}

// hasText looks for lowercased text in what a person would search.
func hasText(e *Entry, text string) bool {
	fields := []string{e.Operation, e.Request.Path, e.Request.Query, e.Request.Body, e.Response.Body, e.Auth.Reason}
	if e.Refusal != nil {
		fields = append(fields, e.Refusal.Reason)
	}
	for _, s := range fields {
		if containsFold(s, text) {
			return true
		}
	}
	return false
}

// containsFold is a case-insensitive strings.Contains for a lowercased
// needle, without allocating for ASCII haystacks.
func containsFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), lower)
		}
	}
	n := len(lower)
	for i := 0; i+n <= len(s); i++ {
		ok := true
		for k := 0; k < n; k++ {
			c := s[i+k]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[k] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Criteria is what a count asks of an entry (POST /_herald/v1/journal/count):
// the contract's Match, which the Go helpers (heraldtest, heraldcontainer)
// send, so that there is one definition of the criteria.
type Criteria wire.Match

// Unmet lists the criteria an entry does not meet, each saying what the
// entry has instead; none when it meets them all.
func (c Criteria) Unmet(e *Entry) []string {
	var out []string
	differ := func(name, want, got string) {
		if got == "" {
			got = "none"
		}
		out = append(out, fmt.Sprintf("%s is %s, not %s", name, got, want))
	}
	if c.System != "" && e.System != c.System {
		differ("system", c.System, e.System)
	}
	if c.Operation != "" && !operationIs(e, c.Operation) {
		differ("operation", c.Operation, e.Operation)
	}
	if c.Method != "" && e.Request.Method != c.Method {
		differ("method", c.Method, e.Request.Method)
	}
	if c.Path != "" && e.Request.Path != c.Path {
		differ("path", c.Path, e.Request.Path)
	}
	if c.Status != "" && !statusIs(e.Response.Status, c.Status) {
		differ("status", c.Status, strconv.Itoa(e.Response.Status))
	}
	if c.Verdict != "" && !verdictIs(e, c.Verdict) {
		got := e.Verdict.Request
		if e.Verdict.Response == Violates {
			got += " (answer violates)"
		}
		differ("verdict", c.Verdict, got)
	}
	if c.Auth != "" && e.Auth.Outcome != c.Auth {
		differ("auth", c.Auth, e.Auth.Outcome)
	}
	if len(c.Query) > 0 {
		q, _ := url.ParseQuery(e.Request.Query)
		for _, k := range sortedKeys(c.Query) {
			switch vs, ok := q[k]; {
			case ok && len(vs) == 1 && vs[0] == redact.QueryMark:
				out = append(out, "query "+k+" is redacted, so no value matches it")
			case !ok || len(vs) != 1 || vs[0] != c.Query[k]:
				differ("query "+k, strconv.Quote(c.Query[k]), quoteAll(vs))
			}
		}
	}
	for _, k := range sortedKeys(c.Headers) {
		switch vs := e.Request.Headers.Values(k); {
		case redact.IsSecretHeader(k):
			out = append(out, "header "+k+" is redacted, so no value matches it")
		case len(vs) != 1 || vs[0] != c.Headers[k]:
			differ("header "+k, strconv.Quote(c.Headers[k]), quoteAll(vs))
		}
	}
	if c.BodyContains != "" && !strings.Contains(e.Request.Body, c.BodyContains) {
		out = append(out, "the request body does not contain "+strconv.Quote(clipString(c.BodyContains, 64)))
	}
	return out
}

func quoteAll(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(clipString(v, 64))
	}
	return strings.Join(q, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
