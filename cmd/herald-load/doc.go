// Command herald-load measures the throughput of herald serve on a signed
// user_notice_fetch (a full page of 15 notices, validation on), beside a bare
// net/http server that writes the same bytes, with the same load generator,
// and prints the ratio. Both servers run in processes of their own; traffic
// stays on 127.0.0.1.
//
//	go run ./cmd/herald-load -herald bin/herald [-duration 10s] [-connections 32] [-generator wrk|go]
//
// With -journal it measures the journal's cost instead: herald serve with
// --journal-size 0 beside herald serve with the journal on (the defaults,
// or -serve-args), the same load alternated in one run, and prints both
// req/s and their ratio. -sample 5s prints each Herald's resident memory
// (VmRSS, from /proc on Linux) every 5 s of its measurements, to see that
// the journal's stays flat once its ring is full.
//
// The wrk generator (Debian package wrk) is used when it is installed; the
// built-in Go generator otherwise.
package main
