// Package mopay is Mopay's module of the conformance suite: its steps, which
// sign requests with the vendor's HMAC-SHA512 headers and read the
// REQUEST/DATA/ERRORS envelope (both the contract's, specs/wire/mopay), over
// HTTP only.
package mopay
