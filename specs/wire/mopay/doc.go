// Package mopay is Mopay's wire contract, shared by the simulator, the
// conformance suite and herald-load: the three signing headers, the
// HMAC-SHA512 request signature over the documented bytes, and the
// REQUEST/DATA/ERRORS envelope of every answer. specs/mopay.yaml documents
// each rule.
package mopay
