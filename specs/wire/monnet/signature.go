package monnet

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// HeaderVerification is the notification header that carries the signature.
const HeaderVerification = "verification"

// SignedContent is what Monnet signs: the UTF-8 bytes of merchantID
// immediately followed by the raw body, with no separator.
func SignedContent(merchantID string, body []byte) []byte {
	c := make([]byte, 0, len(merchantID)+len(body))
	return append(append(c, merchantID...), body...)
}

// digest is SHA-256 of merchantID ‖ body, without building the concatenation.
func digest(merchantID string, body []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(merchantID))
	h.Write(body)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Sign returns the verification header value for a notification body:
// base64 (standard, padded) of the RSASSA-PKCS1-v1_5 SHA-256 signature over
// merchantID ‖ body.
func Sign(key *rsa.PrivateKey, merchantID string, body []byte) (string, error) {
	sum := digest(merchantID, body)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("monnet: signing: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Errors of Verify.
var (
	ErrNoSignature  = errors.New("the verification header is missing or empty")
	ErrNotBase64    = errors.New("the verification header is not standard base64")
	ErrBadSignature = errors.New("the signature does not verify over merchantId followed by the body")
)

// Verify checks a verification header value against merchantID ‖ body.
func Verify(pub *rsa.PublicKey, merchantID string, body []byte, signature string) error {
	if signature == "" {
		return ErrNoSignature
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return ErrNotBase64
	}
	sum := digest(merchantID, body)
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return ErrBadSignature
	}
	return nil
}

// ParsePublicKey reads the notifier's RSA public key from a PEM certificate
// (as Monnet hands it over), a PEM public key (as openssl x509 -pubkey
// extracts it), or the bare base64 SubjectPublicKeyInfo of the vendor's Java
// sample.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	var der []byte
	switch {
	case block == nil:
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, errors.New("monnet: not a PEM certificate, a PEM public key, or base64 of one")
		}
		der = b
	case block.Type == "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("monnet: certificate: %w", err)
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, errors.New("monnet: the certificate's key is not RSA")
		}
		return pub, nil
	case block.Type == "PUBLIC KEY":
		der = block.Bytes
	case block.Type == "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, fmt.Errorf("monnet: PEM block %q is neither a CERTIFICATE nor a PUBLIC KEY", block.Type)
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("monnet: public key: %w", err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("monnet: the public key is not RSA")
	}
	return pub, nil
}

// ParsePrivateKey reads an RSA private key from PEM (PKCS#8 or PKCS#1).
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("monnet: the private key is not PEM")
	}
	if block.Type == "RSA PRIVATE KEY" {
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("monnet: private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("monnet: the private key is not RSA")
	}
	return rk, nil
}

// CertificateMatches checks that a PEM certificate holds the public half of
// key.
func CertificateMatches(certPEM []byte, key *rsa.PrivateKey) error {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return errors.New("the certificate is not a PEM CERTIFICATE")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return errors.New("the certificate is not for the notifier key")
	}
	return nil
}
