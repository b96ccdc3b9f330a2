// Package system is the seam between Herald's core and each simulated
// system: what the core gives a system when it builds it (Env), what every
// system gives back (System), and the capabilities a system may add
// (Listener, Runner, Controller), discovered the way net/http discovers a
// Flusher. A system answers its control routes' misses with NotFound, so
// that it never imports the control API.
package system
