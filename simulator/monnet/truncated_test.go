package monnet

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	wire "herald/specs/wire/monnet"
)

// rawReceiver answers each request with what answer writes on the raw
// connection, after reading the request.
func rawReceiver(t *testing.T, answer func(conn net.Conn, rd *bufio.Reader, n int)) *httptest.Server {
	t.Helper()
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		n++
		answer(conn, rw.Reader, n)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A 200 whose body is cut short, or still trickling in when the attempt
// timeout ends, is not an acknowledgement: the attempt fails, with why,
// and the delivery is retried.
func TestTruncatedAnswerIsAFailedAttempt(t *testing.T) {
	for _, c := range []struct {
		name   string
		answer func(conn net.Conn, rd *bufio.Reader)
		error  string
	}{
		{"cut short", func(conn net.Conn, _ *bufio.Reader) {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\":")
		}, "connection error while reading the answer's body: unexpected EOF"},
		{"trickling past the attempt timeout", func(conn net.Conn, rd *bufio.Reader) {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{")
			_, _ = rd.ReadByte() // until the sender hangs up
		}, "timeout: the answer's body did not end within 100ms"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, s := newTestNotifier(t, []time.Duration{0, 10 * time.Second})
			srv := rawReceiver(t, func(conn net.Conn, rd *bufio.Reader, i int) {
				if i > 1 {
					_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
					return
				}
				c.answer(conn, rd)
			})
			n.SetReceiver("22", srv.URL)
			id, _ := n.Notify(t0(), "22", "5", "ORD-5", testBody())
			s.runUntil(t0())
			d, _ := n.Delivery(id)
			if d.State != wire.StatePending || len(d.Attempts) != 1 || d.Attempts[0].Status != 200 || d.Attempts[0].Error != c.error {
				t.Fatalf("after the truncated answer: %+v; want a failed attempt (status 200, error %q), pending", d, c.error)
			}
			s.runUntil(t0().Add(10 * time.Second))
			if d, _ = n.Delivery(id); d.State != wire.StateDelivered || len(d.Attempts) != 2 || d.Attempts[1].Error != "" {
				t.Fatalf("the retry: %+v", d)
			}
		})
	}
}

// An answer with a body that arrives whole is read to its end: a large one
// acknowledges as well as an empty one.
func TestWholeAnswerBodyIsRead(t *testing.T) {
	n, s := newTestNotifier(t, []time.Duration{0})
	big := strings.Repeat("x", 200<<10)
	srv := rawReceiver(t, func(conn net.Conn, _ *bufio.Reader, _ int) {
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 204800\r\n\r\n"+big)
	})
	n.SetReceiver("22", srv.URL)
	id, _ := n.Notify(t0(), "22", "5", "ORD-5", testBody())
	s.runUntil(t0())
	if d, _ := n.Delivery(id); d.State != wire.StateDelivered || d.Attempts[0].Error != "" {
		t.Fatalf("%+v", d)
	}
}
