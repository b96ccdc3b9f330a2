package main

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"herald/fixtures"
	"herald/simulator"
)

// listen serves a Herald's listener as herald serve does (newServer), with
// a short read timeout, and returns its address.
func listen(t *testing.T, name string, read time.Duration) string {
	t.Helper()
	h, err := simulator.New(simulator.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	for _, l := range h.Listeners() {
		if l.Name != name {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if l.TLS != nil {
			ln = tls.NewListener(ln, l.TLS)
		}
		srv := newServer(l.Handler, read, slog.New(slog.NewTextHandler(io.Discard, nil)))
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { srv.Close() })
		return ln.Addr().String()
	}
	t.Fatalf("no listener %s", name)
	return ""
}

// A body shorter than its Content-Length, on MNotify's TLS listener and on
// the main one: when the read timeout ends the wait, the client gets a
// clean 400 in the system's format naming the body, then a clean close
// (over TLS: a close_notify, never a record it cannot decrypt).
func TestStalledBodyIsAnsweredAndClosedCleanly(t *testing.T) {
	const read = 300 * time.Millisecond
	for _, c := range []struct {
		listener, request string
	}{
		{"mnotify", "POST /api/Notification HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"Recipients\":"},
		{simulator.MainListener, "POST /mopay/user_profile_create HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"fsnm\":"},
	} {
		t.Run(c.listener, func(t *testing.T) {
			addr := listen(t, c.listener, read)
			var conn net.Conn
			var err error
			if c.listener == "mnotify" {
				cfg, cerr := fixtures.MNotifyClientTLS("sender-a")
				if cerr != nil {
					t.Fatal(cerr)
				}
				conn, err = tls.Dial("tcp", addr, cfg)
			} else {
				conn, err = net.Dial("tcp", addr)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, c.request); err != nil {
				t.Fatal(err)
			}
			// Nothing more is sent: the server's read timeout ends the wait.
			rd := bufio.NewReader(conn)
			resp, err := http.ReadResponse(rd, nil)
			if err != nil {
				t.Fatalf("no answer to the stalled body: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("the answer's body: %v", err)
			}
			if resp.StatusCode != http.StatusBadRequest || !json.Valid(body) || !strings.Contains(string(body), "Content-Length") {
				t.Fatalf("answer %d %s; want a 400 in the system's format saying the body fell short of its Content-Length", resp.StatusCode, body)
			}
			if resp.Header.Get("Connection") != "close" && !resp.Close {
				t.Errorf("the answer does not say the connection closes")
			}
			if n, err := rd.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
				t.Fatalf("after the answer: %d bytes, %v; want a clean close (EOF)", n, err)
			}
		})
	}
}

// What net/http answers itself comes before the certificate: headers over
// the server's 1 MiB get its plain-text 431, certificate or not (the
// README says so). Under 1 MiB, MNotify checks the certificate first.
func TestMNotifyHugeHeadersAreNetHTTPs431(t *testing.T) {
	addr := listen(t, "mnotify", readTimeout)
	cfg, err := fixtures.MNotifyClientTLS("")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	defer client.CloseIdleConnections()
	for _, c := range []struct {
		pad         int
		status      int
		contentType string
	}{
		{2 << 20, http.StatusRequestHeaderFieldsTooLarge, "text/plain; charset=utf-8"},
		{40 << 10, http.StatusUnauthorized, "application/problem+json"},
	} {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/api/Notification", nil)
		req.Header.Set("X-Pad", strings.Repeat("a", c.pad))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("headers of %d bytes: %v", c.pad, err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.contentType) {
			t.Fatalf("headers of %d bytes without a certificate: %d %s; want %d %s", c.pad, resp.StatusCode, resp.Header.Get("Content-Type"), c.status, c.contentType)
		}
	}
}
