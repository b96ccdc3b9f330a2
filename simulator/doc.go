// Package simulator assembles Herald from the registered systems: it builds
// each one from an environment (the shared clock and scheduler, its own
// random stream, faults, logger, settings), mounts it under its base path on
// the main listener or on a listener of its own, serves the control API
// under /_herald/, and owns the lifecycle: start, atomic reset, close.
package simulator
