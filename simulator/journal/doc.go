// Package journal keeps the exchanges Herald's simulated systems answered,
// every world's in one ring bounded in entries and in body bytes: each with
// its request and answer (secrets redacted), its verdicts against the spec
// with their JSON pointers, its authentication's outcome and reason, and
// the closest documented operation when it matched none. It answers
// filtered queries, WireMock-style counts with near misses, HAR exports and
// live tails.
package journal
