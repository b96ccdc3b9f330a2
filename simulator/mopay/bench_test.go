package mopay

import (
	"net/http"
	"net/http/httptest"
	"testing"

	wire "herald/specs/wire/mopay"
)

// BenchmarkNoticeFetch serves a signed user_notice_fetch (a full page of 15
// notices) through the whole simulator handler, with request and response
// validation on, beside a bare handler that writes the same bytes.
// Compare the two in one run: go test -run '^$' -bench NoticeFetch -benchmem ./simulator/mopay/
//
// "herald" remembers answers it has already checked (the default); "herald-cold"
// checks every answer in full, as for answers never seen before.
func BenchmarkNoticeFetch(b *testing.B) {
	sim, _ := frozenSim(b, Config{})
	cold, _ := frozenSim(b, Config{CheckCache: -1})
	h := sim.Handler()
	creds := seededLogin(b, h, "bench")
	// The cold simulator has the same seed, so the same login gets the same key pair.
	seededLogin(b, cold.Handler(), "bench")
	ts := "1700000000"
	sig := wire.Signature(creds.Secret, ts)
	newReq := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/user_notice_fetch", nil)
		r.Header.Set(wire.HeaderKey, creds.PbcKey)
		r.Header.Set(wire.HeaderTimestamp, ts)
		r.Header.Set(wire.HeaderSignature, sig)
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newReq())
	if rec.Code != 200 {
		b.Fatalf("notice fetch: %d %s", rec.Code, rec.Body)
	}
	body := append([]byte(nil), rec.Body.Bytes()...)
	rec = httptest.NewRecorder()
	cold.Handler().ServeHTTP(rec, newReq())
	if rec.Code != 200 {
		b.Fatalf("cold notice fetch: %d %s", rec.Code, rec.Body)
	}
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})

	for _, v := range []struct {
		name string
		h    http.Handler
	}{{"herald", h}, {"herald-cold", cold.Handler()}, {"bare", bare}} {
		b.Run(v.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				v.h.ServeHTTP(rec, newReq())
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
