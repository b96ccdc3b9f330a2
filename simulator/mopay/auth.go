package mopay

import (
	"crypto/sha512"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"herald/simulator/engine"
	wire "herald/specs/wire/mopay"
)

// signingHeaders are the three headers, as the vendor writes them and in
// their canonical form, which net/http stores.
var signingHeaders = [3]struct{ vendor, canonical string }{
	{wire.HeaderKey, http.CanonicalHeaderKey(wire.HeaderKey)},
	{wire.HeaderTimestamp, http.CanonicalHeaderKey(wire.HeaderTimestamp)},
	{wire.HeaderSignature, http.CanonicalHeaderKey(wire.HeaderSignature)},
}

// Limits of the authentication scheme (Herald design, see the spec).
const (
	TimestampWindow = 300 * time.Second
	RateLimit       = 100 // per key per RateWindow, as the vendor's FAQ states
	RateWindow      = time.Minute
)

// authenticate checks the three signing headers in the vendor's order of
// concerns: presence, key, timestamp window, signature, then the rate limit.
// On success the principal is the device the key was issued to. Every
// outcome is explained for the journal (Exchange.Explain): which header,
// which key (by whom and when it was issued, never its value), the exact
// bytes signed; never the secret or a signature.
func (s *Sim) authenticate(ex *engine.Exchange) error {
	var values [3]string
	for i, name := range signingHeaders {
		if vs := ex.Request.Header[name.canonical]; len(vs) > 0 {
			values[i] = vs[0]
		}
		if strings.TrimSpace(values[i]) == "" {
			ex.Explain("header %s is missing or empty", name.vendor)
			return fail("rqat_required", "header %s is missing", name.vendor)
		}
	}
	key, ts, sig := values[0], values[1], values[2]

	s.mu.Lock()
	dev := s.st.keys[key]
	var d device
	if dev != nil {
		d = *dev
	}
	s.mu.Unlock()
	if dev == nil {
		ex.Explain("header %s names no key issued by registration or login in this world (a later login on the same device replaces a key; a reset forgets every key)", wire.HeaderKey)
		return fail("Unauthorized", "header %s is not a key issued by registration or login", wire.HeaderKey)
	}
	which := d.about

	now := s.clock.Now()
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 12 || strings.HasPrefix(ts, "+") {
		ex.Explain("header %s is %s, not unix seconds (at most 12 digits); %s", wire.HeaderTimestamp, shownValue(ts), which)
		return fail("timestamp_expired", "header %s must be unix seconds", wire.HeaderTimestamp)
	}
	// In whole seconds, as the header counts them: T-300 to T+300 pass.
	limit := int64(TimestampWindow / time.Second)
	if skew := now.Unix() - unix; skew > limit || skew < -limit {
		dir := "behind"
		if skew < 0 {
			dir = "ahead of"
		}
		ex.Explain("timestamp %d is %d s %s the server time %d; at most %d s either way are allowed; %s",
			unix, max(skew, -skew), dir, now.Unix(), limit, which)
		return fail("timestamp_expired", "header %s is %d s from the server time; at most %d s are allowed",
			wire.HeaderTimestamp, max(skew, -skew), limit)
	}

	want := d.signer.Sign(ts)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		ex.Explain("signature is over `%s` with %s, and the request's does not match%s", wire.Content(ts), which, signatureHint(d.secret, ts, sig))
		return fail("signature_invalid", "header %s is not the HMAC-SHA512 of {\"timestamp\":\"%s\"} with your secret", wire.HeaderSignature, ts)
	}

	ex.Principal = &d
	// Every request pays for this note: one format, of what is at hand.
	const valid = "signed over `{\"timestamp\":\"%s\"}` with %s (valid); timestamp %d s from the server time"
	skew := max(now.Unix()-unix, unix-now.Unix())
	ex.Explain(valid, ts, which, skew)
	if s.limit == 0 {
		return nil
	}
	s.mu.Lock()
	w := s.st.rate[key]
	if w == nil || now.Sub(w.start) >= RateWindow || now.Before(w.start) {
		w = &window{start: now}
		s.st.rate[key] = w
	}
	w.count++
	over := w.count > s.limit
	count := w.count
	wait := w.start.Add(RateWindow).Sub(now)
	s.mu.Unlock()
	if over {
		ex.Principal = nil
		ex.Explain(valid+", but request %d within %s with this key is over the limit of %d; the window ends in %s", ts, which, skew, count, RateWindow, s.limit, wait)
		e := fail("rate_limited", "more than %d requests within %s with this %s", s.limit, RateWindow, wire.HeaderKey)
		e.RetryAfter = max(1, int(wait.Seconds()+0.999))
		return e
	}
	return nil
}

// keyAbout names a key for the journal by how, to whom, for which device
// and when it was issued, never by its value.
func keyAbout(how string, u *user, serial string, issued time.Time) string {
	return fmt.Sprintf("the key issued at %s to %s (%s) on device %s at %s", how, u.email, u.id, shownValue(serial), issued.UTC().Format(time.RFC3339))
}

// signatureHint says what a refused signature looks like, when it has a
// common fault, without showing it: the wrong length or alphabet for an
// HMAC-SHA512 in hex, or the signing input written with a space after the
// colon.
func signatureHint(secret, ts, sig string) string {
	const hexLen = 2 * sha512.Size
	switch {
	case strings.ContainsFunc(strings.ToLower(sig), func(r rune) bool { return !strings.ContainsRune("0123456789abcdef", r) }):
		return "; the request's is not hexadecimal"
	case len(sig) != hexLen:
		return fmt.Sprintf("; the request's has %d hex digits, where HMAC-SHA512 has %d", len(sig), hexLen)
	case subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(wire.SignContent(secret, wire.SpacedContent(ts)))) == 1:
		return fmt.Sprintf("; the request's is over `%s`, with a space after each colon", wire.SpacedContent(ts))
	}
	return "; check the secret (the one issued with this key) and the signed bytes"
}

// shownValue is a header value fit for a note: quoted, and clipped.
func shownValue(v string) string {
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return strconv.QuoteToGraphic(v)
}
