// Package steps is the conformance suite: the Go side of the Gherkin
// features. It speaks HTTP to a target (an in-process simulator, a Herald in
// another process or container, or a real deployment) whose addresses and
// credentials come from a Target, and checks every answer against the spec.
// It never reaches into the simulator.
package steps
