package mopay

import (
	"crypto/subtle"
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
// On success the principal is the device the key was issued to.
func (s *Sim) authenticate(ex *engine.Exchange) error {
	var values [3]string
	for i, name := range signingHeaders {
		if vs := ex.Request.Header[name.canonical]; len(vs) > 0 {
			values[i] = vs[0]
		}
		if strings.TrimSpace(values[i]) == "" {
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
		return fail("Unauthorized", "header %s is not a key issued by registration or login", wire.HeaderKey)
	}

	now := s.clock.Now()
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 12 || strings.HasPrefix(ts, "+") {
		return fail("timestamp_expired", "header %s must be unix seconds", wire.HeaderTimestamp)
	}
	// In whole seconds, as the header counts them: T-300 to T+300 pass.
	limit := int64(TimestampWindow / time.Second)
	if skew := now.Unix() - unix; skew > limit || skew < -limit {
		return fail("timestamp_expired", "header %s is %d s from the server time; at most %d s are allowed",
			wire.HeaderTimestamp, max(skew, -skew), limit)
	}

	want := d.signer.Sign(ts)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return fail("signature_invalid", "header %s is not the HMAC-SHA512 of {\"timestamp\":\"%s\"} with your secret", wire.HeaderSignature, ts)
	}

	ex.Principal = &d
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
	wait := w.start.Add(RateWindow).Sub(now)
	s.mu.Unlock()
	if over {
		ex.Principal = nil
		e := fail("rate_limited", "more than %d requests within %s with this %s", s.limit, RateWindow, wire.HeaderKey)
		e.RetryAfter = max(1, int(wait.Seconds()+0.999))
		return e
	}
	return nil
}
