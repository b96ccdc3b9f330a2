// Package monnet is Monnet's wire contract, shared by the simulator and the
// conformance suite: the RSA signature of payout notifications over
// merchantId followed by the raw body, its header, and the notifier's key
// and certificate parsing; the payout API's key header and HMAC query
// signature; the notification's shape, the outcomes a payout ends with and
// their documented error codes; and the forged notifications a receiver
// must refuse. specs/monnet.yaml documents each rule.
package monnet
