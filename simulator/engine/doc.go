// Package engine turns one system's OpenAPI document and its operation
// handlers into a validating http.Handler.
//
// For every request it routes with kin-openapi's gorilla/mux router, checks
// the sizes, the encoding, the parameters, the body, the content type and
// the security requirements against the document, runs the handler of the
// operation, and checks the handler's answer against the document before it
// is sent. Every failure is a Problem (or an error of the system's own), and
// the system's Render function writes it in the system's own error format.
//
// Its observer sees each exchange with what the system's Authenticate
// explained of it (Exchange.Explain) and, for a request that matched no
// operation, the closest documented one and what differs (Miss), found
// from shapes compiled once per document.
package engine
