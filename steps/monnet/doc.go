// Package monnet is Monnet's part of the conformance suite: its steps, its
// features and the check of its answers and notifications against
// specs/monnet.yaml, over HTTP only. The suite runs a merchant receiver of
// its own, shared by the scenarios of a run, that routes each notification
// to its scenario (by the receiver URL's path on a Herald, by the payout's
// orderId from a real Monnet) and answers as the scenario says. It also
// holds the receiver check behind "herald monnet check-receiver". The
// signature, the notification's shape and the forgeries are the contract's
// (specs/wire/monnet), shared with the simulator, never imported from it.
package monnet
