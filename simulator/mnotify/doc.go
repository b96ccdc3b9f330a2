// Package mnotify simulates MNotify, Moldova's e-Government notification
// service, as specs/mnotify.yaml describes it: client-certificate
// authentication against a simulated MPass registry, notifications with a
// lifecycle on the simulator clock, templates, contacts, history, and
// ProblemDetails errors.
package mnotify
