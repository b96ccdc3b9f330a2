// Package mnotify simulates MNotify, Moldova's e-Government notification
// service, as specs/mnotify.yaml describes it: client-certificate
// authentication against a simulated MPass registry, notifications with a
// lifecycle on the simulator clock, templates, contacts, history, and
// ProblemDetails errors. Definition registers it with Herald's core: it is
// served on an HTTPS listener of its own, and has control routes
// (specs/mnotify-control.yaml) for the MPass registry and the messages a
// notification delivers. MPass's serial spelling and the ProblemDetails
// shape are the contract's (specs/wire/mnotify), which the suite shares.
package mnotify
