// Package features embeds the conformance suite's Gherkin features, one
// folder per simulated system.
package features
