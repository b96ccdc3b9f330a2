package entropy

import (
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"sync"
)

// Source is a seeded random source. Its methods are safe for concurrent use.
type Source struct {
	mu   sync.Mutex
	seed uint64
	rng  *rand.ChaCha8
}

// New returns a source seeded with seed.
func New(seed uint64) *Source {
	return &Source{seed: seed, rng: chacha(seed)}
}

func chacha(seed uint64) *rand.ChaCha8 {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return rand.NewChaCha8(key)
}

// Derive returns a source of its own for name, seeded from this source's
// seed and the name: each system draws from its own stream, so what one hands
// out never depends on how many values another drew, or when.
func (s *Source) Derive(name string) *Source {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], s.seed)
	sum := sha256.Sum256(append(append(b[:], 0), name...))
	return New(binary.LittleEndian.Uint64(sum[:8]))
}

// Restart starts the sequence over from the seed, as a new source would.
func (s *Source) Restart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rng = chacha(s.seed)
}

// MaxSeed is the largest seed: 2^53-1, so that a seed survives JSON
// numbers in every client (JavaScript's among them).
const MaxSeed = 1<<53 - 1

// RandomSeed returns a seed from the operating system, for runs that need not
// be reproduced; print it so that they can be.
func RandomSeed() uint64 {
	var b [8]byte
	_, _ = crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) & MaxSeed
}

// Read fills p with random bytes. It never fails.
func (s *Source) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Read(p)
}

// Digits returns n random decimal digits.
func (s *Source) Digits(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + s.rng.Uint64()%10)
	}
	return string(b)
}

// Alnum returns n random characters from [a-z0-9].
func (s *Source) Alnum(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.rng.Uint64()%uint64(len(alphabet))]
	}
	return string(b)
}

// Hex returns the hex encoding of n random bytes.
func (s *Source) Hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	_, _ = s.Read(b)
	out := make([]byte, 2*n)
	for i, v := range b {
		out[2*i], out[2*i+1] = digits[v>>4], digits[v&15]
	}
	return string(out)
}
