package journal

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"herald/simulator/engine"
)

// loadObservation is what herald-load sends and Herald answers: a signed
// GET of Mopay's notice page and its 15 notices (about 2.2 kB).
func loadObservation() engine.Observation {
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/mopay/user_notice_fetch", nil)
	r.Header.Set("Mpy-Securekey", "pk-0123456789abcdef")
	r.Header.Set("Mpy-Reqtime", "1700000000")
	r.Header.Set("Mpy-Reqsignal", strings.Repeat("ab", 64))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "Go-http-client/1.1")
	r.Header.Set("Accept-Encoding", "gzip")
	var notices []string
	for i := 0; i < 15; i++ {
		notices = append(notices, fmt.Sprintf(`{"ntid":"NT%06d","ttle":"Your payment of 1,250.00 XAF was received","date":"2023-11-14 22:13:20","read":false,"type":"payment"}`, i))
	}
	// A title that starts with "Password" makes the redaction look closer,
	// as the seeded notices do.
	notices[3] = `{"ntid":"NT000003","ttle":"Password changed","date":"2023-11-14 22:13:20","read":true,"type":"security"}`
	body := []byte(`{"REQUEST":{"VERSION":"1.0","ACTION":"user_notice_fetch","STATUS":"SUCCESS"},"DATA":{"notices":[` + strings.Join(notices, ",") + `]}}`)
	return engine.Observation{
		System: "mopay", Request: r, OperationID: "user_notice_fetch",
		Reply:    engine.Reply{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: body},
		Auth:     engine.Auth{Checked: true, Note: "signature is over the timestamp with the key issued at login"},
		Duration: 100 * time.Microsecond,
	}
}

// BenchmarkRecord is the journal's cost on each exchange of herald-load's.
func BenchmarkRecord(b *testing.B) {
	j := New(Options{Size: DefaultSize, Checked: true})
	o := loadObservation()
	sim := time.Unix(1700000000, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j.Record("", sim, o)
	}
}

// BenchmarkRecordParallel is the same from every core at once, as a
// server's connections record.
func BenchmarkRecordParallel(b *testing.B) {
	j := New(Options{Size: DefaultSize, Checked: true})
	o := loadObservation()
	sim := time.Unix(1700000000, 0)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			j.Record("", sim, o)
		}
	})
}
