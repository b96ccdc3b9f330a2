// Package heraldcontainer starts Herald's container image for an
// integrator's Go tests, with testcontainers-go: it waits until the control
// API answers, returns each system's base URL, the control URL and token,
// opens isolated worlds, and removes the container when asked.
//
// No image is pulled: build it first with `make image` (FROM scratch). On
// machines whose Docker has no registry, set TESTCONTAINERS_RYUK_DISABLED=true
// (exactly "true"), and where the tests run in a container themselves,
// TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1; Run checks both before a long
// wait, and says which to set. When start-up fails, Run removes what it
// started.
package heraldcontainer
