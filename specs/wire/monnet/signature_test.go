package monnet

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"herald/fixtures"
)

// vector is Monnet's published test vector (fixtures/monnet/vendor).
type vector struct {
	merchantID string
	body       []byte
	signature  string
	pubPEM     []byte
}

func officialVector(t testing.TB) vector {
	t.Helper()
	read := func(name string) []byte {
		b, err := fixtures.Read("monnet/vendor/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return vector{merchantID: "234", body: read("test-vector-body.json"),
		signature: strings.TrimSpace(string(read("test-vector-signature.txt"))), pubPEM: read("test-vector-pubkey.pem")}
}

func TestOfficialVectorVerifies(t *testing.T) {
	v := officialVector(t)
	pub, err := ParsePublicKey(v.pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(v.body, []byte(`{"payout":{"id":"29"`)) || len(v.body) != 406 {
		t.Fatalf("the vector's body is not the published bytes (%d bytes)", len(v.body))
	}
	if err := Verify(pub, v.merchantID, v.body, v.signature); err != nil {
		t.Fatalf("the official vector does not verify: %v", err)
	}
	// The Java sample's bare base64 key is the same key.
	bare := strings.Join(strings.Split(strings.TrimSpace(string(v.pubPEM)), "\n")[1:8], "")
	pub2, err := ParsePublicKey([]byte(bare))
	if err != nil || !pub2.Equal(pub) {
		t.Fatalf("the bare base64 key does not parse to the PEM's key: %v", err)
	}

	sig, _ := base64.StdEncoding.DecodeString(v.signature)
	for i := range v.body {
		altered := bytes.Clone(v.body)
		altered[i] ^= 0x01
		if Verify(pub, v.merchantID, altered, v.signature) == nil {
			t.Fatalf("the vector verifies with byte %d of the body altered", i)
		}
	}
	for _, m := range []string{"", "23", "2340", "235", " 234"} {
		if Verify(pub, m, v.body, v.signature) == nil {
			t.Errorf("the vector verifies for merchantId %q", m)
		}
	}
	if Verify(pub, "", append([]byte("234"), v.body...), v.signature) != nil {
		t.Error("merchantId folded into the body should verify: the content is a plain concatenation")
	}
	for _, i := range []int{0, 100, len(sig) - 1} {
		altered := bytes.Clone(sig)
		altered[i] ^= 0x80
		if Verify(pub, v.merchantID, v.body, base64.StdEncoding.EncodeToString(altered)) == nil {
			t.Errorf("the vector verifies with signature byte %d altered", i)
		}
	}
	if err := Verify(pub, v.merchantID, v.body, ""); !errors.Is(err, ErrNoSignature) {
		t.Errorf("empty signature: %v", err)
	}
	if err := Verify(pub, v.merchantID, v.body, "not*base64"); !errors.Is(err, ErrNotBase64) {
		t.Errorf("bad base64: %v", err)
	}
}

func TestSignVerifyWithFixtureKeys(t *testing.T) {
	keys := testKeys(t)
	body := []byte(`{"payout":{"id":"1"}}`)
	sig, err := Sign(keys.notifier, "22", body)
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != 344 {
		t.Errorf("signature is %d base64 characters, want 344 (RSA-2048)", len(sig))
	}
	again, _ := Sign(keys.notifier, "22", body)
	if again != sig {
		t.Error("PKCS#1 v1.5 signing is deterministic; two signatures differ")
	}
	for _, src := range [][]byte{keys.certPEM, keys.pubPEM} {
		pub, err := ParsePublicKey(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(pub, "22", body, sig); err != nil {
			t.Errorf("does not verify: %v", err)
		}
		if Verify(pub, "2", body, sig) == nil || Verify(pub, "22", body[1:], sig) == nil {
			t.Error("verifies altered content")
		}
	}
}

func TestForgeriesFailAndValidPasses(t *testing.T) {
	keys := testKeys(t)
	pub := &keys.notifier.PublicKey
	body := []byte(`{"payout":{"id":"7","amount":"100","merchantId":"22"},"output":{"stage":"SUCCESS"}}`)
	sig, _ := Sign(keys.notifier, "22", body)
	valid := Message{MerchantID: "22", Body: body, Verification: sig}
	if Verify(pub, valid.MerchantID, valid.Body, valid.Verification) != nil {
		t.Fatal("the valid message does not verify")
	}
	seen := map[string]bool{}
	for _, kind := range Forgeries() {
		m, err := Forge(kind, valid, keys.notifier, keys.forger)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if Verify(pub, m.MerchantID, m.Body, m.Verification) == nil {
			t.Errorf("forgery %s verifies", kind)
		}
		if m.MerchantID != "22" {
			t.Errorf("forgery %s is addressed to merchant %s", kind, m.MerchantID)
		}
		// The header keeps the vendor's lower-case name, not the canonical one.
		_, has := map[string][]string(m.Header())[HeaderVerification]
		if has == m.OmitHeader {
			t.Errorf("forgery %s: header present %v, OmitHeader %v", kind, has, m.OmitHeader)
		}
		key := string(m.Body) + "|" + m.Verification + "|" + map[bool]string{true: "omit"}[m.OmitHeader]
		if seen[key] {
			t.Errorf("forgery %s is the same as another", kind)
		}
		seen[key] = true
	}
	if !bytes.Equal(valid.Body, body) {
		t.Error("Forge changed the valid message's body")
	}
	m, _ := Forge(ForgeReserialised, valid, keys.notifier, keys.forger)
	if bytes.Equal(m.Body, body) || !bytes.Contains(m.Body, []byte("\n  ")) {
		t.Error("the re-serialised body has the same whitespace")
	}
	m, _ = Forge(ForgeTamperedBody, valid, keys.notifier, keys.forger)
	if !bytes.Contains(m.Body, []byte(`"amount":"200"`)) {
		t.Errorf("tampered body: %s", m.Body)
	}
	if _, err := Forge("nonsense", valid, keys.notifier, keys.forger); err == nil {
		t.Error("an unknown forgery is accepted")
	}
	if _, err := Forge(ForgeOtherKey, valid, keys.notifier, keys.notifier); err == nil {
		t.Error("other-key with the notifier's own key is accepted")
	}
}

// The vendor's HMAC example: both published signatures.
func TestPayoutSignatureVendorVectors(t *testing.T) {
	body, err := fixtures.Read("monnet/vendor/hmac-create-payout-body.json")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "P5yjICOFoE0kmJVMALeBRmoxuWXz0BJKuoSaIXEHTgE="
	if got := PayoutContent("POST", "/api/v1/22/payouts", "1687543238010", body); got != "POST:/api/v1/22/payouts?timestamp=1687543238010:7c7b333e31a0f1f9fab0222a97e0366e8327749732132d17934f51d6738e4c2e" {
		t.Errorf("content %s", got)
	}
	if got := PayoutSignature(secret, "POST", "/api/v1/22/payouts", "1687543238010", body); got != "d6895bccdff72b95cb1d134037edadfa87cff1f0a543209efa356c889db97cb9" {
		t.Errorf("POST signature %s", got)
	}
	if got := PayoutSignature(secret, "GET", "/api/v1/22/payouts/73", "1687543425203", nil); got != "14cbc221c52bf588f439f86894ab1ebed9aa4867c2d79a1b159bd94a1df2c0d7" {
		t.Errorf("GET signature %s", got)
	}
}
