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

// secretMembers are JSON members (and form fields) that carry a password
// or an issued key, their names compared case-insensitively: Mopay's
// pbcKey is redacted as its header, MPY-SECUREKEY, is.
var secretMembers = []string{"pswd", "password", "passwd", "secret", "apisecret", "api_secret", "privatekey", "private_key", "pbckey"}

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

// mayHoldSecret reports whether b may hold a secret: a word a secret's name
// starts with (pswd, pass, secret, private, pbckey, api; in any case), a
// JSON escape, which could spell one, or one of the two non-ASCII letters
// that fold to an ASCII one (as encoding/json folds names). One pass over
// b, looking closer only at a p, s, a, backslash or those letters.
func mayHoldSecret(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch c := b[i] | 0x20; {
		case c == 'p':
			if hasPrefixFold(b[i:], "pswd") || hasPrefixFold(b[i:], "pass") || hasPrefixFold(b[i:], "private") || hasPrefixFold(b[i:], "pbckey") {
				return true
			}
		case c == 's':
			if hasPrefixFold(b[i:], "secret") {
				return true
			}
		case c == 'a':
			if hasPrefixFold(b[i:], "api_secret") || hasPrefixFold(b[i:], "apisecret") {
				return true
			}
		case b[i] == '\\':
			if i+1 < len(b) && b[i+1] == 'u' {
				return true
			}
		case b[i] == 0xc5 && i+1 < len(b) && b[i+1] == 0xbf, // ſ, which folds to s
			b[i] == 0xe2 && i+2 < len(b) && b[i+1] == 0x84 && b[i+2] == 0xaa: // the Kelvin sign, which folds to k
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether b starts with the lowercase ASCII prefix,
// whatever the case of b's letters.
func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for k := 0; k < len(prefix); k++ {
		c := b[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[k] {
			return false
		}
	}
	return true
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
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return form(b)
	}
	// A hint is often a value ("Password changed"): one pass tells whether
	// the body is JSON and whether a member's name is a secret's, and when
	// none is, the body is kept as it is, without decoding it.
	valid, secret, escaped := scanJSON(b)
	if !valid {
		return []byte(Mark + " (a body that is not valid JSON and may hold a secret)")
	}
	if !secret && !escaped {
		return b
	}
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

// form redacts a form body's secret fields (those of members' names or the
// query's); a body that is no form, or whose hint is elsewhere, is withheld
// or kept as form() finds.
func form(b []byte) []byte {
	raw := string(b)
	if _, err := url.ParseQuery(raw); err != nil || !strings.Contains(raw, "=") {
		return []byte(Mark + " (a body that may hold a secret)")
	}
	parts := strings.Split(raw, "&")
	for i, pair := range parts {
		rawKey, _, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			key = rawKey
		}
		if isSecretMember([]byte(key)) || secretQuery.MatchString(key) {
			parts[i] = rawKey + "=" + QueryMark
		}
	}
	return []byte(strings.Join(parts, "&"))
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
