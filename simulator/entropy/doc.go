// Package entropy provides the simulator's randomness: a seeded source, safe
// for concurrent use, so that a run started with the same seed hands out the
// same keys, codes and references.
package entropy
