// Package mnotify is MNotify's module of the conformance suite: its steps,
// which call MNotify over mutual TLS with one client certificate per sender
// role and read its bare JSON answers and ProblemDetails errors, over HTTP
// only. Against a Herald the roles use the certificates of fixtures/mnotify;
// against a real MNotify, those the target configuration names. The roles,
// serial numbers and ProblemDetails are the contract's (specs/wire/mnotify).
package mnotify
