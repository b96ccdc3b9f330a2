package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"herald/specs/wire/mopay"
)

// BenchmarkCreateWorld opens and deletes an isolated world: what a
// scenario run with --concurrency pays on top of its own requests.
// go test -run '^$' -bench CreateWorld -benchmem ./simulator/
func BenchmarkCreateWorld(b *testing.B) {
	h, err := New(Options{Seed: 1, MaxWorlds: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	for b.Loop() {
		info, err := h.CreateWorld()
		if err != nil {
			b.Fatal(err)
		}
		h.DeleteWorld(info.ID)
	}
}

// BenchmarkJournal serves herald-load's request (a signed Mopay notice
// page) through the whole Herald with the journal off and on: the
// journal's cost per exchange, in process.
// go test -run '^$' -bench Journal -benchmem ./simulator/
func BenchmarkJournal(b *testing.B) {
	for _, v := range []struct {
		name string
		size int
	}{{"off", -1}, {"on", 0}} {
		b.Run(v.name, func(b *testing.B) {
			h, err := New(Options{Seed: 1, JournalSize: v.size, Settings: map[string]string{"mopay.rate-limit": "0"}})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close()
			if err := h.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			var main http.Handler
			for _, l := range h.Listeners() {
				if l.Name == MainListener {
					main = l.Handler
				}
			}
			rec := httptest.NewRecorder()
			login := httptest.NewRequest(http.MethodPost, "/mopay/user_profile_login",
				strings.NewReader(`{"emal":"amara.okafor@example.com","pswd":"Notices2023","devt":"Web","devs":"bench","devn":"bench"}`))
			login.Header.Set("Content-Type", "application/json")
			main.ServeHTTP(rec, login)
			var env struct {
				DATA struct{ PbcKey, Secret string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.DATA.PbcKey == "" {
				b.Fatalf("login: %d %s", rec.Code, rec.Body)
			}
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			sig := mopay.Signature(env.DATA.Secret, ts)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, "/mopay/user_notice_fetch", nil)
				r.Header.Set(mopay.HeaderKey, env.DATA.PbcKey)
				r.Header.Set(mopay.HeaderTimestamp, ts)
				r.Header.Set(mopay.HeaderSignature, sig)
				r.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				main.ServeHTTP(rec, r)
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
