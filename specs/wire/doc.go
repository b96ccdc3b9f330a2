// Package wire holds nothing itself: its sub-packages are each system's
// wire rules (signing and verification, header names, message shapes, the
// forgeries a check sends), which the simulator, the conformance suite and
// the command share, so that neither side owns them.
package wire
