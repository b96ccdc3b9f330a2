package monnet

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// HeaderAPIKey is the payout API's key header, as the vendor names it.
const HeaderAPIKey = "monnet-api-key"

// PayoutContent is what a payout-API request signs:
// {METHOD}:{resourcePath}?timestamp={timestamp}:{sha256hex(body)}.
func PayoutContent(method, resourcePath, timestamp string, body []byte) string {
	sum := sha256.Sum256(body)
	return method + ":" + resourcePath + "?timestamp=" + timestamp + ":" + hex.EncodeToString(sum[:])
}

// PayoutSignature is the value of the signature query parameter: lowercase
// hex of HMAC-SHA256 keyed by the UTF-8 bytes of the API secret over
// PayoutContent.
func PayoutSignature(secret, method, resourcePath, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(PayoutContent(method, resourcePath, timestamp, body)))
	return hex.EncodeToString(mac.Sum(nil))
}
