// Package console serves Herald's web console at /_herald/ui/: static
// pages, embedded in the binary, that read the control API (the journal,
// MNotify's inbox, Monnet's deliveries, worlds and the clock) from the
// browser, with the control token in a header and a strict
// Content-Security-Policy. It holds no data of its own. Served by herald
// proxy (the info's mode is proxy) it shows the journal alone.
package console
