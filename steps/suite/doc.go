// Package suite lists the suite's modules, one per simulated system: the one
// place a new system's steps are registered.
package suite
