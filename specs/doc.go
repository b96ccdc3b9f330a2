// Package specs embeds the OpenAPI documents of the simulated systems and of
// Herald's control API, and loads and validates them.
//
// The documents are the one source of truth: the simulator routes, validates
// and answers from them, and the conformance steps check every response a
// target sends against them. What a document cannot say (signing and
// verification, header names, message shapes, forgeries) is each system's
// wire contract in specs/wire/<system>, which both sides import.
//
// Responses are checked by a Checker. It compiles each response schema into
// a check that reads the JSON text directly (compiled.go, tape.go,
// pattern.go), proven to give kin-openapi's verdicts (compiled_test.go), and
// keeps kin-openapi for what it does not compile and to word its errors.
package specs
