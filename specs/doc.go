// Package specs embeds the OpenAPI documents of the simulated systems and of
// Herald's control API, and loads and validates them.
//
// The documents are the one source of truth: the simulator routes, validates
// and answers from them, and the conformance steps check every response a
// target sends against them.
package specs
