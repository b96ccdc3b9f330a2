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

// secretHeaders carry credentials or signatures, whatever their value.
var secretHeaders = regexp.MustCompile(`(?i)^(authorization|proxy-authorization|cookie|set-cookie|mpy-reqsignal|mpy-securekey|signature|monnet-api-key|verification|x-api-key)$`)

// secretQuery are query parameters that carry a signature, a key or a code.
var secretQuery = regexp.MustCompile(`(?i)^(signature|secret|password|pswd|code|token|api[-_]?key)$`)

// secretMembers are JSON members (and form fields) that carry a password
// or an issued key: Mopay's pbcKey is redacted as its header,
// MPY-SECUREKEY, is.
var secretMembers = regexp.MustCompile(`(?i)^(pswd|password|passwd|secret|apisecret|api_secret|privatekey|private_key|pbckey)$`)

// IsSecretHeader reports whether a header's value is always redacted.
func IsSecretHeader(name string) bool { return secretHeaders.MatchString(name) }

// Header returns a copy of h with every secret header's values replaced by
// Mark.
func Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		if secretHeaders.MatchString(k) {
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

// hints are what a body holding a secret must contain, compared without
// regard to case; a body with none of them (and no JSON escape, which could
// spell one) is returned as it is, unparsed.
var hints = []string{"pswd", "pass", "secret", "private", "pbckey"}

// mayHoldSecret says whether b may hold a secret member or field.
func mayHoldSecret(b []byte) bool {
	if bytes.Contains(b, []byte(`\u`)) {
		return true
	}
	for _, h := range hints {
		if containsFold(b, h) {
			return true
		}
	}
	return false
}

// Body returns a body with the value of every secret blanked: in a JSON
// body, each secret member's at any depth (Mark; the body is then
// re-encoded compactly, members in order of name); in a form body
// (a=1&b=2), each secret field's (QueryMark). Any other body is returned as
// it is, unless it may hold a secret, when it is withheld whole: it cannot
// be redacted reliably.
func Body(b []byte) []byte {
	if !mayHoldSecret(b) {
		return b
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil || dec.More() {
			return []byte(Mark + " (a body that is not valid JSON and may hold a secret)")
		}
		if !blank(v) {
			return b
		}
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return []byte(Mark)
		}
		return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
	}
	if form, err := url.ParseQuery(string(b)); err == nil && len(form) > 0 && bytes.IndexByte(b, '=') >= 0 {
		if q := formQuery(string(b)); q != "" {
			return []byte(q)
		}
	}
	return []byte(Mark + " (a body that may hold a secret)")
}

// formQuery redacts a form body's secret fields, those named by members'
// rule or by the query's; "" when none was found (the hint was elsewhere).
func formQuery(raw string) string {
	parts := strings.Split(raw, "&")
	changed := false
	for i, pair := range parts {
		rawKey, _, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			key = rawKey
		}
		if secretMembers.MatchString(key) || secretQuery.MatchString(key) {
			parts[i] = rawKey + "=" + QueryMark
			changed = true
		}
	}
	if !changed {
		return raw
	}
	return strings.Join(parts, "&")
}

// containsFold reports whether b contains the lowercase ASCII needle,
// whatever the case of b's letters.
func containsFold(b []byte, needle string) bool {
	n := len(needle)
	for i := 0; i+n <= len(b); i++ {
		k := 0
		for ; k < n; k++ {
			c := b[i+k]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[k] {
				break
			}
		}
		if k == n {
			return true
		}
	}
	return false
}

// blank replaces secret members in v, and reports whether it did.
func blank(v any) bool {
	changed := false
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if secretMembers.MatchString(k) {
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
