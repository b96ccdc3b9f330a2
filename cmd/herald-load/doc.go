// Command herald-load measures the throughput of herald serve on a signed
// user_notice_fetch (a full page of 15 notices, validation on), beside a bare
// net/http server that writes the same bytes, with the same load generator,
// and prints the ratio. Both servers run in processes of their own; traffic
// stays on 127.0.0.1.
//
//	go run ./cmd/herald-load -herald bin/herald [-duration 10s] [-connections 32] [-generator wrk|go]
//
// The wrk generator (Debian package wrk) is used when it is installed; the
// built-in Go generator otherwise.
package main
