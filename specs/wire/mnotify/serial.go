package mnotify

import (
	"crypto/x509"
	"fmt"
	"math/big"
	"strings"
)

// Serial is how MPass names a certificate: its serial number in lowercase
// hex without leading zeros.
func Serial(cert *x509.Certificate) string { return SerialText(cert.SerialNumber) }

// SerialText is a serial number as Serial writes it.
func SerialText(n *big.Int) string { return n.Text(16) }

// NormalizeSerial checks a serial number written in hex (colons and a 0x
// prefix allowed) and returns it as Serial writes it.
func NormalizeSerial(hex string) (string, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(strings.ReplaceAll(hex, ":", ""), "0x"), "0X")
	n, ok := new(big.Int).SetString(h, 16)
	if !ok || h == "" || len(h) > 64 || n.Sign() < 0 {
		return "", fmt.Errorf("serial number %q is not a hexadecimal number", hex)
	}
	return SerialText(n), nil
}
