// Package monnet simulates Monnet's payouts as specs/monnet.yaml describes
// them: the HMAC-signed payout API, the stages a payout moves through on the
// simulator clock, and the RSA-signed payout notification, which its
// Notifier delivers to the merchant's receiver with retries, a delivery log
// and, on request, forged copies for testing a receiver's checks. The
// signatures, the notification's shape, the outcomes and the forgeries are
// the contract's (specs/wire/monnet), which the suite shares.
package monnet
