package mopay

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
)

func signatureOver(secret, msg string) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}
