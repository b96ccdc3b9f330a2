package monnet

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
	"time"

	"herald/simulator/engine"
	wire "herald/specs/wire/monnet"
)

// TimestampWindow is how far the timestamp query parameter may be from the
// simulator clock, either way (Herald design).
const TimestampWindow = 5 * time.Minute

// authenticate checks the HMAC signature of a payout-API request. Every
// failure is error 1001; its detail names the field at fault. Every outcome
// is explained for the journal (Exchange.Explain): the merchant, the exact
// text signed, the timestamp window; never the API key, its secret, nor a
// signature.
func (s *Sim) authenticate(ex *engine.Exchange) error {
	key := strings.TrimSpace(ex.Request.Header.Get(wire.HeaderAPIKey))
	if key == "" {
		ex.Explain("header %s is missing or empty", wire.HeaderAPIKey)
		return apiFail("1001", "header %s is missing", wire.HeaderAPIKey)
	}
	m := s.merchants[key]
	if m == nil {
		ex.Explain("unknown API key: header %s is not a key issued to any merchant", wire.HeaderAPIKey)
		return apiFail("1001", "header %s is not a key issued to a merchant", wire.HeaderAPIKey)
	}
	if ex.PathParams["merchantId"] != m.id {
		ex.Explain("merchant mismatch: the API key is merchant %s's, and the path names merchant %s", m.id, noteText(ex.PathParams["merchantId"]))
		return apiFail("1001", "path merchantId is not the merchant of this %s", wire.HeaderAPIKey)
	}
	q := ex.Query()
	ts := q.Get("timestamp")
	if ts == "" {
		ex.Explain("query timestamp missing (merchant %s)", m.id)
		return apiFail("1001", "query parameter timestamp is missing")
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ms < 0 || len(ts) > 16 {
		ex.Explain("query timestamp is %s, not Unix milliseconds (merchant %s)", noteText(ts), m.id)
		return apiFail("1001", "query parameter timestamp must be Unix milliseconds")
	}
	now := s.clock.Now().UnixMilli()
	if skew := now - ms; skew > TimestampWindow.Milliseconds() || skew < -TimestampWindow.Milliseconds() {
		dir := "behind"
		if skew < 0 {
			dir = "ahead of"
		}
		ex.Explain("query timestamp %d is %d ms %s the server time %d; at most %d s either way are allowed (merchant %s)",
			ms, max(skew, -skew), dir, now, int(TimestampWindow.Seconds()), m.id)
		return apiFail("1001", "query parameter timestamp is %d s from the server time; at most %d s are allowed",
			max(skew, -skew)/1000, int(TimestampWindow.Seconds()))
	}
	sig := q.Get("signature")
	if sig == "" {
		ex.Explain("query signature missing (merchant %s)", m.id)
		return apiFail("1001", "query parameter signature is missing")
	}
	method, path := ex.Request.Method, ex.Request.URL.EscapedPath()
	want := wire.PayoutSignature(m.secret, method, path, ts, ex.Body)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		ex.Explain("signature does not match: computed over `%s` with merchant %s's API secret%s",
			wire.PayoutContent(method, path, ts, ex.Body), m.id, s.signatureHint(ex, m, ts, sig))
		return apiFail("1001", "query parameter signature is not the HMAC-SHA256 of {METHOD}:{resourcePath}?timestamp={timestamp}:{sha256hex(body)} with your API secret")
	}
	ex.Principal = m
	// Every request pays for this note: one format, of what is at hand.
	ex.Explain("signed with merchant %s's API key and secret (valid); timestamp %d ms from the server time", m.id, max(now-ms, ms-now))
	return nil
}

// signatureHint says what a refused signature looks like, when it has a
// common fault, without showing it: the wrong length or alphabet for an
// HMAC-SHA256 in hex, a path signed unescaped, or a body left out.
func (s *Sim) signatureHint(ex *engine.Exchange, m *merchant, ts, sig string) string {
	const hexLen = 2 * sha256.Size
	low := strings.ToLower(sig)
	r := ex.Request
	switch {
	case strings.ContainsFunc(low, func(c rune) bool { return !strings.ContainsRune("0123456789abcdef", c) }):
		return "; the request's is not hexadecimal"
	case len(sig) != hexLen:
		return fmt.Sprintf("; the request's has %d hex digits, where HMAC-SHA256 has %d", len(sig), hexLen)
	case r.URL.Path != r.URL.EscapedPath() && low == wire.PayoutSignature(m.secret, r.Method, r.URL.Path, ts, ex.Body):
		return fmt.Sprintf("; the request's is over the path unescaped, `%s`: sign the path as sent", noteText(r.URL.Path))
	case len(ex.Body) > 0 && low == wire.PayoutSignature(m.secret, r.Method, r.URL.EscapedPath(), ts, nil):
		return fmt.Sprintf("; the request's is over an empty body: sign the SHA-256 of the %d bytes sent", len(ex.Body))
	}
	return fmt.Sprintf("; check the API secret and the signed text (the body is %d bytes)", len(ex.Body))
}

// noteText is what a request sent, fit for a note: quoted, and clipped.
func noteText(v string) string {
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return strconv.QuoteToGraphic(v)
}
