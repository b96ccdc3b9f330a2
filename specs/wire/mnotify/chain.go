package mnotify

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"time"
)

// chainCacheSize bounds the chains a ChainCache remembers; past it, it
// forgets them all rather than grow.
const chainCacheSize = 1024

// ChainCache checks that a sender's certificate chain leads to the trusted
// authorities, and remembers each chain's verdict, so that a request on a
// kept-alive connection does not verify its chain again. The check is
// about the issuer alone: it is made as of a time within the leaf's
// validity, and the caller checks the dates (MNotify against its clock; a
// proxy leaves them to the vendor). Safe for concurrent use.
type ChainCache struct {
	mu   sync.Mutex
	seen map[[sha256.Size]byte]error
}

// NewChainCache makes an empty cache.
func NewChainCache() *ChainCache { return &ChainCache{seen: map[[sha256.Size]byte]error{}} }

// Verify checks certs (the leaf first) against roots for usage, as of now
// when it falls within the leaf's validity, else as of the leaf's start.
func (c *ChainCache) Verify(roots *x509.CertPool, certs []*x509.Certificate, now time.Time, usage x509.ExtKeyUsage) error {
	h := sha256.New()
	for _, cert := range certs {
		h.Write(cert.Raw)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	c.mu.Lock()
	err, ok := c.seen[key]
	c.mu.Unlock()
	if ok {
		return err
	}
	leaf := certs[0]
	inter := x509.NewCertPool()
	for _, cert := range certs[1:] {
		inter.AddCert(cert)
	}
	at := now
	if at.Before(leaf.NotBefore) || at.After(leaf.NotAfter) {
		at = leaf.NotBefore
	}
	_, err = leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{usage}})
	c.mu.Lock()
	if len(c.seen) >= chainCacheSize {
		clear(c.seen)
	}
	c.seen[key] = err
	c.mu.Unlock()
	return err
}
