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

// secretMembers are JSON members that carry a password or an issued secret.
var secretMembers = regexp.MustCompile(`(?i)^(pswd|password|passwd|secret|apisecret|api_secret|privatekey|private_key)$`)

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

// hints are what a body holding a secret member must contain; a body
// without any is returned as it is, unparsed.
var hints = [][]byte{[]byte(`"pswd"`), []byte(`"pass`), []byte(`"secret"`), []byte(`"api`), []byte(`"private`), []byte(`"Pass`), []byte(`"PSWD"`), []byte(`"SECRET"`), []byte(`"Secret"`), []byte(`"Private`)}

// Body returns a JSON body with the value of every secret member (at any
// depth) replaced by Mark, re-encoded compactly; any other body as it is.
// A body that is not JSON is returned as it is, unless it names a secret
// member, when it is withheld whole: it cannot be redacted reliably.
func Body(b []byte) []byte {
	found := false
	for _, h := range hints {
		if bytes.Contains(b, h) {
			found = true
			break
		}
	}
	if !found {
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
