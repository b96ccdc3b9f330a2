package monnet

import (
	"crypto/rsa"
	"testing"

	"herald/fixtures"
)

type fixtureKeys struct {
	notifier, forger *rsa.PrivateKey
	certPEM, pubPEM  []byte
}

func testKeys(t testing.TB) fixtureKeys {
	t.Helper()
	var k fixtureKeys
	var err error
	read := func(p string) []byte {
		b, err := fixtures.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if k.notifier, err = ParsePrivateKey(read(fixtures.MonnetNotifierKey)); err != nil {
		t.Fatal(err)
	}
	if k.forger, err = ParsePrivateKey(read(fixtures.MonnetForgerKey)); err != nil {
		t.Fatal(err)
	}
	k.certPEM, k.pubPEM = read(fixtures.MonnetNotifierCert), read(fixtures.MonnetNotifierPub)
	return k
}
