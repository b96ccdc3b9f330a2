package mopay

import (
	"crypto/hmac"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"herald/simulator/engine"
)

// The signing headers, as the vendor names them.
const (
	HeaderKey       = "MPY-SECUREKEY"
	HeaderTimestamp = "MPY-TIMESTAMP"
	HeaderSignature = "MPY-REQSIGNAL"
)

// signingHeaders are the three headers, as the vendor writes them and in
// their canonical form, which net/http stores.
var signingHeaders = [3]struct{ vendor, canonical string }{
	{HeaderKey, http.CanonicalHeaderKey(HeaderKey)},
	{HeaderTimestamp, http.CanonicalHeaderKey(HeaderTimestamp)},
	{HeaderSignature, http.CanonicalHeaderKey(HeaderSignature)},
}

// Limits of the authentication scheme (Herald design, see the spec).
const (
	TimestampWindow = 300 * time.Second
	RateLimit       = 100 // per key per RateWindow, as the vendor's FAQ states
	RateWindow      = time.Minute
)

// Signature is the vendor's request signature: lowercase hex of HMAC-SHA512,
// keyed by the secret, over JSON.stringify({timestamp: ts}).
func Signature(secret, timestamp string) string {
	return newSigner(secret).sign(timestamp)
}

// signer signs with one secret. It keeps HMACs keyed with it, whose Reset
// returns to the state after the key, so that a request pays for the
// message alone; a pool lets concurrent requests with one key sign at once.
type signer struct {
	macs sync.Pool
}

func newSigner(secret string) *signer {
	key := []byte(secret)
	return &signer{macs: sync.Pool{New: func() any { return hmac.New(sha512.New, key) }}}
}

func (s *signer) sign(timestamp string) string {
	var sum [sha512.Size]byte
	mac := s.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write([]byte(`{"timestamp":"`))
	mac.Write([]byte(timestamp))
	mac.Write([]byte(`"}`))
	mac.Sum(sum[:0])
	s.macs.Put(mac)
	return hex.EncodeToString(sum[:])
}

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
		return fail("Unauthorized", "header %s is not a key issued by registration or login", HeaderKey)
	}

	now := s.clock.Now()
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 12 || strings.HasPrefix(ts, "+") {
		return fail("timestamp_expired", "header %s must be unix seconds", HeaderTimestamp)
	}
	// In whole seconds, as the header counts them: T-300 to T+300 pass.
	limit := int64(TimestampWindow / time.Second)
	if skew := now.Unix() - unix; skew > limit || skew < -limit {
		return fail("timestamp_expired", "header %s is %d s from the server time; at most %d s are allowed",
			HeaderTimestamp, max(skew, -skew), limit)
	}

	want := d.signer.sign(ts)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(sig)), []byte(want)) != 1 {
		return fail("signature_invalid", "header %s is not the HMAC-SHA512 of {\"timestamp\":\"%s\"} with your secret", HeaderSignature, ts)
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
		e := fail("rate_limited", "more than %d requests within %s with this %s", s.limit, RateWindow, HeaderKey)
		e.RetryAfter = max(1, int(wait.Seconds()+0.999))
		return e
	}
	return nil
}
