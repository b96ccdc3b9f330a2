package mopay

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"sync"
)

// The signing headers, as the vendor names them.
const (
	HeaderKey       = "MPY-SECUREKEY"
	HeaderTimestamp = "MPY-TIMESTAMP"
	HeaderSignature = "MPY-REQSIGNAL"
)

// Content is what a request signs: JSON.stringify({timestamp: ts}) of the
// vendor's JavaScript sample, {"timestamp":"<ts>"} with no whitespace. The
// timestamp is unix seconds, digits only, so it needs no escaping.
func Content(timestamp string) []byte {
	return append(append([]byte(`{"timestamp":"`), timestamp...), `"}`...)
}

// SpacedContent is Content as an encoder that puts a space after the colon
// writes it, {"timestamp": "<ts>"}: not the documented bytes, so a
// signature over it must be refused.
func SpacedContent(timestamp string) []byte {
	return append(append([]byte(`{"timestamp": "`), timestamp...), `"}`...)
}

// SignContent is lowercase hex of HMAC-SHA512 keyed by the secret's bytes
// over content.
func SignContent(secret string, content []byte) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write(content)
	return hex.EncodeToString(m.Sum(nil))
}

// Signature is the vendor's request signature, the value of
// HeaderSignature: SignContent over Content(timestamp).
func Signature(secret, timestamp string) string {
	return NewSigner(secret).Sign(timestamp)
}

// Signer signs with one secret. It keeps HMACs keyed with it, whose Reset
// returns to the state after the key, so that a request pays for the
// message alone; a pool lets concurrent requests with one key sign at once.
type Signer struct {
	macs sync.Pool
}

// NewSigner returns a Signer for secret.
func NewSigner(secret string) *Signer {
	key := []byte(secret)
	return &Signer{macs: sync.Pool{New: func() any { return hmac.New(sha512.New, key) }}}
}

// Sign is Signature(secret, timestamp).
func (s *Signer) Sign(timestamp string) string {
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
