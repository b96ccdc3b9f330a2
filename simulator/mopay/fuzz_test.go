package mopay

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	wire "herald/specs/wire/mopay"
)

// FuzzRequest sends arbitrary methods, actions, queries, signing headers and
// bodies. Whatever comes in, the answer is a Mopay envelope, and never a 5xx:
// the response check would turn any answer that violates the spec into a
// 500, so this also fuzzes the simulator against its spec.
//
//	go test -run '^$' -fuzz FuzzRequest -fuzztime 60s ./simulator/mopay/
func FuzzRequest(f *testing.F) {
	sim, _ := frozenSim(f, Config{})
	h := sim.Handler()
	// One valid key pair, so that fuzzed requests can get past the signature.
	creds := seededLogin(f, h, "fuzz")
	key, ts := creds.PbcKey, "1700000000"
	sig := wire.Signature(creds.Secret, ts)

	for _, s := range []struct {
		method, action, query, ctype, body string
		signed                             bool
		hname, hvalue                      string
	}{
		{"GET", "user_notice_fetch", "page=1687341045", "", "", true, "", ""},
		{"GET", "user_notice_fetch", "page=%FF", "", "", true, "", ""},
		{"GET", "user_notification_fetch", "rqtp=mk&rqvl=ntf_123456789", "", "", true, "", ""},
		{"GET", "user_location_fetch", "rtyp=countries&rqvl=US&page=1", "", "{}", true, "", ""},
		{"GET", "", "req=user_notice_fetch&page=12", "", "", true, "", ""},
		{"GET", "user_newsletter_create", "emal=a@b.co&code=123456", "", "", false, "", ""},
		{"GET", "user_email_verification_send", "emal=x%40y.z", "", "", false, "", ""},
		{"POST", "user_profile_create", "", "application/json", `{"fsnm":"A","lsnm":"B","emal":"a@b.co","pswd":"Passw0rdX","devt":"iOS","devs":"s","devn":"n"}`, false, "", ""},
		{"POST", "user_profile_login", "", "application/json; charset=utf-8", `{"emal":1}`, false, "", ""},
		{"POST", "user_profile_create", "", "text/plain", "\xff\xfe", false, "", ""},
		{"PUT", "user_notice_fetch", "", "", "", true, "", ""},
		{"GET", "../../etc/passwd", "", "", "", false, "", ""},
		{"GET", "user_notice_fetch", "", "", "{}", true, "Content-Encoding", "gzip"},
		{"POST", "user_profile_login", "", "application/json", `{"emal":"a@b.co"}`, false, "Content-Encoding", "br"},
		{"GET", "user_location_fetch", "rqvl=x", "", "", true, "MPY-TIMESTAMP", "-1"},
	} {
		f.Add(s.method, s.action, s.query, s.ctype, s.body, s.signed, s.hname, s.hvalue)
	}
	f.Fuzz(func(t *testing.T, method, action, query, ctype, body string, signed bool, hname, hvalue string) {
		if !validMethod(method) {
			return // not a request net/http would hand to a handler
		}
		target := "/" + url.PathEscape(action)
		if query != "" {
			target += "?" + query
		}
		req, err := http.NewRequest(method, target, strings.NewReader(body))
		if err != nil {
			return
		}
		req.RequestURI = req.URL.RequestURI()
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if signed {
			req.Header.Set(wire.HeaderKey, key)
			req.Header.Set(wire.HeaderTimestamp, ts)
			req.Header.Set(wire.HeaderSignature, sig)
		}
		if hname != "" && validMethod(hname) { // a token, as header names are
			req.Header.Set(hname, hvalue)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s (%q, body %q): status %d: %s", method, target, ctype, body, rec.Code, rec.Body)
		}
		var got struct {
			REQUEST struct{ STATUS string }
			ERRORS  *struct{ CODE int }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %q", method, target, rec.Body)
		}
		if rec.Code != 200 && (got.ERRORS == nil || got.ERRORS.CODE != rec.Code || got.REQUEST.STATUS != "FAILED") {
			t.Fatalf("%s %s: status %d without a matching envelope: %s", method, target, rec.Code, rec.Body)
		}
	})
}

func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, r := range m {
		if r < '!' || r > '~' || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) {
			return false
		}
	}
	return true
}
