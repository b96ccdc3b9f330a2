// Package redact names the secrets that travel in the three systems'
// messages (credential headers, signed or secret query parameters, JSON
// members such as a password or an issued secret) and blanks them, for
// every place that shows an exchange: the suite's reports and the
// simulator's journal. It keeps what a reader needs to see that a secret
// was there.
package redact
