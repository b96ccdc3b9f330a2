package monnet

import (
	"crypto/subtle"
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
// failure is error 1001; its detail names the field at fault.
func (s *Sim) authenticate(ex *engine.Exchange) error {
	key := strings.TrimSpace(ex.Request.Header.Get(wire.HeaderAPIKey))
	if key == "" {
		return apiFail("1001", "header %s is missing", wire.HeaderAPIKey)
	}
	m := s.merchants[key]
	if m == nil {
		return apiFail("1001", "header %s is not a key issued to a merchant", wire.HeaderAPIKey)
	}
	if ex.PathParams["merchantId"] != m.id {
		return apiFail("1001", "path merchantId is not the merchant of this %s", wire.HeaderAPIKey)
	}
	q := ex.Query()
	ts := q.Get("timestamp")
	if ts == "" {
		return apiFail("1001", "query parameter timestamp is missing")
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || ms < 0 || len(ts) > 16 {
		return apiFail("1001", "query parameter timestamp must be Unix milliseconds")
	}
	now := s.clock.Now().UnixMilli()
	if skew := now - ms; skew > TimestampWindow.Milliseconds() || skew < -TimestampWindow.Milliseconds() {
		return apiFail("1001", "query parameter timestamp is %d s from the server time; at most %d s are allowed",
			max(skew, -skew)/1000, int(TimestampWindow.Seconds()))
	}
	sig := q.Get("signature")
	if sig == "" {
		return apiFail("1001", "query parameter signature is missing")
	}
	want := wire.PayoutSignature(m.secret, ex.Request.Method, ex.Request.URL.EscapedPath(), ts, ex.Body)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return apiFail("1001", "query parameter signature is not the HMAC-SHA256 of {METHOD}:{resourcePath}?timestamp={timestamp}:{sha256hex(body)} with your API secret")
	}
	ex.Principal = m
	return nil
}
