package main

import (
	"crypto/tls"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"herald/simulator"
)

// lines is a log sink that hands each line written to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	l <- string(p)
	return len(p), nil
}

// net/http's own lines (a TLS handshake cut short, say) go through
// herald serve's structured logger, like every other line: a handshake
// ended by EOF (a port probe, a health check) at debug level, the rest as
// warnings. None is written in the standard library's format.
func TestServerErrorsAreStructured(t *testing.T) {
	h, err := simulator.New(simulator.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	var tlsListener simulator.Listener
	for _, l := range h.Listeners() {
		if l.TLS != nil {
			tlsListener = l
		}
	}
	if tlsListener.TLS == nil {
		t.Fatal("no TLS listener")
	}
	got := make(lines, 10)
	logger := slog.New(slog.NewTextHandler(got, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(tlsListener.Handler, readTimeout, logger)
	go func() { _ = srv.Serve(tls.NewListener(ln, tlsListener.TLS)) }()
	t.Cleanup(func() { srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn.Close() // before any handshake: EOF

	next := func() string {
		t.Helper()
		select {
		case l := <-got:
			return l
		case <-time.After(10 * time.Second): // a bound on a failure, not a synchronisation
			t.Fatal("nothing was logged through the logger")
			return ""
		}
	}
	if l := next(); !strings.Contains(l, "level=DEBUG") || !strings.Contains(l, `msg="http server"`) || !strings.Contains(l, "TLS handshake error from 127.0.0.1:") || !strings.HasSuffix(l, "EOF\"\n") {
		t.Errorf("a handshake ended by EOF is logged as %q, want a debug line", l)
	}
	srv.ErrorLog.Printf("http: Accept error: too many open files; retrying in 5ms")
	if l := next(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, `error="http: Accept error: too many open files; retrying in 5ms"`) {
		t.Errorf("another server error is logged as %q, want a warning", l)
	}
}
