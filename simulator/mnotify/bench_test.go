package mnotify

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"herald/fixtures"
)

// leafOf parses a fixtures client certificate.
func leafOf(tb testing.TB, name string) tls.Certificate {
	tb.Helper()
	certPEM, keyPEM, err := fixtures.MNotifyCert(name)
	if err != nil {
		tb.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		tb.Fatal(err)
	}
	return pair
}

// fill gives sender-a n notifications, one Email message each, a
// millisecond apart, straight into the state (sending them through the
// handler would only make the set-up slower).
func fill(tb testing.TB, s *Sim, n int) {
	tb.Helper()
	reg, ok := s.registry.Lookup(leafOf(tb, "sender-a").Leaf.SerialNumber)
	if !ok {
		tb.Fatal("sender-a is not registered")
	}
	snd := &reg.Sender
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.st.sender(snd.ID)
	for i := range n {
		no := &notification{id: s.newID(), seq: s.st.next(), sender: snd, priority: "Low", created: start.Add(time.Duration(i) * time.Millisecond)}
		m := &message{id: s.newID(), seq: s.st.next(), notif: no, channel: ChannelEmail, subject: "Titlu"}
		no.recipients = []*recipient{{value: "x@example.md", typ: "Email", messages: []*message{m}}}
		no.messages = 1
		s.st.add(ss, no)
	}
}

// BenchmarkListPages lists the first and the last page of a sender with
// 100,000 notifications through the whole handler (authentication, request
// and response validation), in both orders. The last page must cost about
// what the first does: no request scans all notifications.
//
//	go test -run '^$' -bench ListPages -benchmem ./simulator/mnotify/
func BenchmarkListPages(b *testing.B) {
	const total = 100_000
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sim, _ := newSim(b)
	fill(b, sim, total)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heapMB := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	state := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leafOf(b, "sender-a").Leaf}}
	h := sim.Handler()
	last := total / 10
	for _, c := range []struct{ name, query string }{
		{"first-by-id", "Page=1&ItemsPerPage=10"},
		{"last-by-id", fmt.Sprintf("Page=%d&ItemsPerPage=10", last)},
		{"first-newest", "Page=1&ItemsPerPage=10&OrderField=createdAt%20desc"},
		{"last-newest", fmt.Sprintf("Page=%d&ItemsPerPage=10&OrderField=createdAt%%20desc", last)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, "/api/Notification?"+c.query, nil)
				r.TLS = state
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, r)
				if rec.Code != 200 || rec.Body.Len() < 100 {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(heapMB, "heap-MB/100k")
		})
	}
}

// BenchmarkMutualTLS serves a listed page over a kept-alive mutual TLS
// connection, through the whole simulator and through a bare handler that
// writes the same bytes on the same kind of listener. Compare the two.
//
//	go test -run '^$' -bench MutualTLS -benchmem ./simulator/mnotify/
func BenchmarkMutualTLS(b *testing.B) {
	sim, _ := newSim(b)
	fill(b, sim, 1000)
	serve := func(h http.Handler) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		cfg, err := ServerTLSConfig()
		if err != nil {
			b.Fatal(err)
		}
		srv.TLS = cfg
		srv.StartTLS()
		b.Cleanup(srv.Close)
		return srv
	}
	roots, err := TestCA()
	if err != nil {
		b.Fatal(err)
	}
	client := func() *http.Client {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost", Certificates: []tls.Certificate{leafOf(b, "sender-a")}}}
		b.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr}
	}
	const target = "/api/Notification?Page=1&ItemsPerPage=10"
	full := serve(sim.Handler())
	get := func(c *http.Client, url string) []byte {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%d %s", resp.StatusCode, body)
		}
		return body
	}
	page := get(client(), full.URL+target)
	bare := serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(page)
	}))
	for _, v := range []struct {
		name string
		url  string
	}{{"herald", full.URL}, {"bare", bare.URL}} {
		b.Run(v.name, func(b *testing.B) {
			c := client()
			b.ReportAllocs()
			for b.Loop() {
				get(c, v.url+target)
			}
		})
	}
}
