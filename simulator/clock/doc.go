// Package clock provides the simulator's clock: the real time by default,
// which a test can set, freeze and advance so that a run is reproducible.
package clock
