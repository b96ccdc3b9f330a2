package mopay

import (
	"strings"
	"sync"
	"testing"
)

// The vendor's test vector, computed from its JavaScript sample.
func TestSignatureVector(t *testing.T) {
	const want = "539fbe2e45a3c9bd950e54b436b2487783797d7989b749327241dc30cc0449fc4a56fbf4320cf5a9d6583e49c8ee9637be0166d26ce09333b0c2274f06c34208"
	if got := Signature("your_secret_key", "1700000000"); got != want {
		t.Fatalf("Signature = %s, want %s", got, want)
	}
	if got := SignContent("your_secret_key", Content("1700000000")); got != want {
		t.Fatalf("SignContent over Content = %s, want %s", got, want)
	}
	if got := string(Content("1700000000")); got != `{"timestamp":"1700000000"}` {
		t.Fatalf("Content = %s", got)
	}
}

// The pooled signer signs as the plain HMAC does, again and at once.
func TestSignerIsTheSignature(t *testing.T) {
	s := NewSigner("s3cret")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts := strings.Repeat("1", i+1)
			if got, want := s.Sign(ts), SignContent("s3cret", Content(ts)); got != want {
				t.Errorf("Sign(%s) = %s, want %s", ts, got, want)
			}
		}()
	}
	wg.Wait()
}

// A signature over the spaced content is another signature.
func TestSpacedContentSignsDifferently(t *testing.T) {
	if string(SpacedContent("1")) != `{"timestamp": "1"}` {
		t.Fatalf("SpacedContent = %s", SpacedContent("1"))
	}
	if SignContent("k", SpacedContent("1")) == Signature("k", "1") {
		t.Fatal("the spaced content signs like the documented one")
	}
}
