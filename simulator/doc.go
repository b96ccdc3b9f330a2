// Package simulator assembles Herald: every simulated system, each mounted
// under its own base path, and the control API under /_herald/, into one
// http.Handler with one clock, one seeded random source and one fault list.
package simulator
