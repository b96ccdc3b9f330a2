// Package mnotify is MNotify's wire contract, shared by the simulator, the
// conformance suite and herald: the certificate roles a sender presents
// (and what MNotify must answer each), how MPass names a certificate (its
// serial number in lowercase hex), and the ProblemDetails shape of a
// refusal. specs/mnotify.yaml documents each rule.
package mnotify
