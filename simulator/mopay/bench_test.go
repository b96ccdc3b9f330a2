package mopay

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"herald/simulator/clock"
	"herald/simulator/entropy"
)

// BenchmarkNoticeFetch serves a signed user_notice_fetch (a full page of 15
// notices) through the whole simulator handler, with request and response
// validation on, beside a bare handler that writes the same bytes.
// Compare the two in one run: go test -run '^$' -bench NoticeFetch -benchmem ./simulator/mopay/
//
// "herald" remembers answers it has already checked (the default); "herald-cold"
// checks every answer in full, as for answers never seen before.
func BenchmarkNoticeFetch(b *testing.B) {
	c := clock.NewControlled(nil)
	c.Set(time.Unix(1700000000, 0), true)
	sim, err := New(Config{Clock: c, Random: entropy.New(1), RateLimit: -1})
	if err != nil {
		b.Fatal(err)
	}
	cold, err := New(Config{Clock: c, Random: entropy.New(1), RateLimit: -1, CheckCache: -1})
	if err != nil {
		b.Fatal(err)
	}
	h := sim.Handler()

	login := func(h http.Handler) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/user_profile_login",
			strings.NewReader(`{"emal":"amara.okafor@example.com","pswd":"Notices2023","devt":"Web","devs":"bench","devn":"bench"}`))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	rec := login(h)
	var env struct{ DATA credentials }
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || rec.Code != 200 {
		b.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	ts := "1700000000"
	sig := Signature(env.DATA.Secret, ts)
	newReq := func() *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/user_notice_fetch", nil)
		r.Header.Set(HeaderKey, env.DATA.PbcKey)
		r.Header.Set(HeaderTimestamp, ts)
		r.Header.Set(HeaderSignature, sig)
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, newReq())
	if rec.Code != 200 {
		b.Fatalf("notice fetch: %d %s", rec.Code, rec.Body)
	}
	body := append([]byte(nil), rec.Body.Bytes()...)
	// The cold simulator has the same seed, so the same login gets the same key pair.
	login(cold.Handler())
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
