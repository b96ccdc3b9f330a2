package monnet

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
)

// Forgery names a way a notification is wrong. A correct receiver refuses
// each with a non-2xx answer.
type Forgery string

// The negative fixtures.
const (
	// ForgeTamperedBody changes one digit of the body after signing.
	ForgeTamperedBody Forgery = "tampered-body"
	// ForgeNoMerchantPrefix signs the body alone, without the merchantId.
	ForgeNoMerchantPrefix Forgery = "no-merchant-prefix"
	// ForgeOtherMerchant signs for another merchantId.
	ForgeOtherMerchant Forgery = "other-merchant"
	// ForgeOtherKey signs with a key other than the notifier's.
	ForgeOtherKey Forgery = "other-key"
	// ForgeMissingHeader sends no verification header.
	ForgeMissingHeader Forgery = "missing-header"
	// ForgeEmptyHeader sends an empty verification header.
	ForgeEmptyHeader Forgery = "empty-header"
	// ForgeReserialised sends the body re-serialised with other whitespace
	// under the signature of the original bytes: a receiver that verifies a
	// re-encoding instead of the raw bytes accepts it.
	ForgeReserialised Forgery = "reserialised"
)

// Describe says what is wrong with a notification forged this way, as in
// "the receiver accepts a notification <Describe>".
func (f Forgery) Describe() string {
	switch f {
	case ForgeTamperedBody:
		return "whose body was changed after signing"
	case ForgeNoMerchantPrefix:
		return "signed over the body alone, without the merchantId"
	case ForgeOtherMerchant:
		return "signed for another merchantId"
	case ForgeOtherKey:
		return "signed by a key other than the notifier's"
	case ForgeMissingHeader:
		return "without a verification header"
	case ForgeEmptyHeader:
		return "with an empty verification header"
	case ForgeReserialised:
		return "whose body was re-serialised with other whitespace (verify the raw bytes, not a re-encoding)"
	}
	return "forged in an unknown way"
}

// Forgeries lists every negative fixture, in a fixed order.
func Forgeries() []Forgery {
	return []Forgery{ForgeTamperedBody, ForgeNoMerchantPrefix, ForgeOtherMerchant, ForgeOtherKey,
		ForgeMissingHeader, ForgeEmptyHeader, ForgeReserialised}
}

// Forge builds the negative fixture kind from a correctly signed message.
// key is the notifier's key, other a different one (for ForgeOtherKey).
func Forge(kind Forgery, valid Message, key, other *rsa.PrivateKey) (Message, error) {
	m := Message{MerchantID: valid.MerchantID, Body: bytes.Clone(valid.Body), Verification: valid.Verification}
	var err error
	switch kind {
	case ForgeTamperedBody:
		m.Body, err = tamper(m.Body)
	case ForgeNoMerchantPrefix:
		m.Verification, err = Sign(key, "", m.Body)
	case ForgeOtherMerchant:
		m.Verification, err = Sign(key, OtherMerchant(m.MerchantID), m.Body)
	case ForgeOtherKey:
		if other == nil || other.PublicKey.Equal(&key.PublicKey) {
			return Message{}, fmt.Errorf("monnet: forgery %s needs a key other than the notifier's", kind)
		}
		m.Verification, err = Sign(other, m.MerchantID, m.Body)
	case ForgeMissingHeader:
		m.OmitHeader, m.Verification = true, ""
	case ForgeEmptyHeader:
		m.Verification = ""
	case ForgeReserialised:
		var buf bytes.Buffer
		if err = json.Indent(&buf, m.Body, "", "  "); err == nil {
			m.Body = buf.Bytes()
		}
	default:
		return Message{}, fmt.Errorf("monnet: unknown forgery %q", kind)
	}
	if err != nil {
		return Message{}, fmt.Errorf("monnet: forgery %s: %w", kind, err)
	}
	return m, nil
}

// OtherMerchant is the merchantId ForgeOtherMerchant signs for: the real
// one with a digit appended, so a prefix check alone does not catch it.
func OtherMerchant(merchantID string) string { return merchantID + "9" }

// tamper changes the first digit of the body's first string value that is
// all digits (the amount, in Monnet's bodies), keeping the body valid JSON.
func tamper(body []byte) ([]byte, error) {
	i := bytes.Index(body, []byte(`"amount":"`))
	if i >= 0 {
		i += len(`"amount":"`)
	} else {
		i = bytes.IndexAny(body, "0123456789")
	}
	if i < 0 || i >= len(body) || body[i] < '0' || body[i] > '9' {
		return nil, fmt.Errorf("no digit to change in the body")
	}
	body[i] = '0' + (body[i]-'0'+1)%10
	return body, nil
}
