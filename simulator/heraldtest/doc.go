// Package heraldtest starts a Herald inside a Go test, in the style of
// net/http/httptest: one call gives every listener (TLS included) on a free
// loopback port, each system's base URL and the control URL, and closes it
// all when the test ends.
package heraldtest
