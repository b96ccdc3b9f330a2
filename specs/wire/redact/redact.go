package redact

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Mark replaces a header's or a JSON member's secret value.
const Mark = "<redacted>"

// QueryMark replaces a query parameter's secret value (it must survive
// URL encoding unchanged).
const QueryMark = "REDACTED"

// secretHeaders carry credentials or signatures, whatever their value;
// their names are compared case-insensitively (a header of every request
// the journal records: a comparison, not a regular expression).
var secretHeaders = []string{"authorization", "proxy-authorization", "cookie", "set-cookie", "mpy-reqsignal", "mpy-securekey",
	"signature", "monnet-api-key", "verification", "x-api-key"}

// secretQuery are query parameters that carry a signature, a key or a code.
var secretQuery = regexp.MustCompile(`(?i)^(signature|secret|password|pswd|code|token|api[-_]?key)$`)

// secretMembers are JSON members that carry a password or an issued
// secret, their names compared case-insensitively.
var secretMembers = []string{"pswd", "password", "passwd", "secret", "apisecret", "api_secret", "privatekey", "private_key"}

// secretMemberBytes are secretMembers, for comparing names as bytes.
var secretMemberBytes = func() (out [][]byte) {
	for _, s := range secretMembers {
		out = append(out, []byte(s))
	}
	return out
}()

// isSecretMember reports whether a JSON member's name is a secret's, its
// case folded as Unicode folds it.
func isSecretMember(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	// Every secret's name starts with a, p or s: an ASCII name that does
	// not is no secret's (a non-ASCII first letter may fold to one, as
	// U+017F does to s).
	if c := name[0]; c < 0x80 && c|0x20 != 'a' && c|0x20 != 'p' && c|0x20 != 's' {
		return false
	}
	for _, s := range secretMemberBytes {
		if bytes.EqualFold(name, s) {
			return true
		}
	}
	return false
}

// IsSecretHeader reports whether a header's value is always redacted.
func IsSecretHeader(name string) bool {
	for _, s := range secretHeaders {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}

// Header returns a copy of h with every secret header's values replaced by
// Mark.
func Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if IsSecretHeader(k) {
			out[k] = []string{Mark}
			continue
		}
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// Query returns a raw query with every secret parameter's value replaced
// by QueryMark; the others keep their spelling. An unparseable pair is kept
// only when it names no secret.
func Query(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	changed := false
	for i, pair := range parts {
		rawKey, _, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			key = rawKey
		}
		if secretQuery.MatchString(key) {
			parts[i] = rawKey + "=" + QueryMark
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}

// URL returns raw with its query redacted (Query); raw itself when it does
// not parse.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.RawQuery = Query(u.RawQuery)
	return u.String()
}

// hints are what a body holding a secret member must contain; a body
// without any is returned as it is, unparsed.
var hints = [][]byte{[]byte(`"pswd"`), []byte(`"pass`), []byte(`"secret"`), []byte(`"api`), []byte(`"private`), []byte(`"Pass`), []byte(`"PSWD"`), []byte(`"SECRET"`), []byte(`"Secret"`), []byte(`"Private`)}

// hintSecond holds the bytes that follow the quote of a hint.
var hintSecond = func() (t [256]bool) {
	for _, h := range hints {
		t[h[1]] = true
	}
	return t
}()

// hinted reports whether b contains any of the hints: one pass over its
// quotes, rather than one search per hint (which restarts at every quote
// of a JSON body).
func hinted(b []byte) bool {
	for i := 0; ; i++ {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return false
		}
		i += j
		if i+1 < len(b) && hintSecond[b[i+1]] {
			for _, h := range hints {
				if bytes.HasPrefix(b[i:], h) {
					return true
				}
			}
		}
	}
}

// Body returns a JSON body with the value of every secret member (at any
// depth) replaced by Mark, re-encoded compactly; any other body as it is.
// A body that is not JSON is returned as it is, unless it names a secret
// member, when it is withheld whole: it cannot be redacted reliably.
func Body(b []byte) []byte {
	if !hinted(b) {
		return b
	}
	// A hint is often a value ("Password changed"): one pass tells whether
	// the body is JSON and whether a member's name is a secret's, and when
	// none is, the body is kept as it is, without decoding it.
	valid, secret, escaped := scanJSON(b)
	if !valid {
		return []byte(Mark + " (a body that is not JSON and may hold a secret)")
	}
	if !secret && !escaped {
		return b
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return []byte(Mark + " (a body that is not JSON and may hold a secret)")
	}
	if !blank(v) {
		return b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return []byte(Mark)
	}
	return out
}

// blank replaces secret members in v, and reports whether it did.
func blank(v any) bool {
	changed := false
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if isSecretMember([]byte(k)) {
				t[k] = Mark
				changed = true
				continue
			}
			if blank(x) {
				changed = true
			}
		}
	case []any:
		for _, x := range t {
			if blank(x) {
				changed = true
			}
		}
	}
	return changed
}
