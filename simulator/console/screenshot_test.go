package console_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"herald/simulator/heraldtest"
)

// TestScreenshot writes console.png, the README's picture of the journal
// with an exchange opened: run it with HERALD_SCREENSHOT_DIR=simulator/console
// to refresh the picture.
func TestScreenshot(t *testing.T) {
	s := heraldtest.New(t, heraldtest.WithClock(start, true))
	key, secret := mopayKeys(t, s)
	if status, body := do(t, s.Client, "GET", s.URLs["mopay"]+"user_notice_fetch", signedHeaders(key, secret, start.Unix()), ""); status != 200 {
		t.Fatalf("a signed request: %d %s", status, body)
	}
	do(t, s.Client, "GET", s.URLs["mopay"]+"user_notice_fetch", signedHeaders(key, "not-the-secret", start.Unix()), "")
	do(t, s.Client, "GET", s.URLs["mopay"]+"user_notice_fecth?page=1", signedHeaders(key, secret, start.Unix()), "")
	mnotify, err := s.MNotifyClient("sender-a")
	if err != nil {
		t.Fatal(err)
	}
	do(t, mnotify, "POST", s.URLs["mnotify"]+"api/Notification", nil,
		`{"subject":{"ro":"Factura nr. 42"},"body":{"ro":"Factura dumneavoastră este gata."},"recipients":[{"value":"2222222222222","type":"IDNP"}],"priority":"Low"}`)
	status, _ := do(t, s.Client, "POST", s.URLs["mopay"]+"user_profile_create", nil,
		`{"fsnm":"Ion","lsnm":"Popescu","emal":12345,"pswd":"Passw0rdX","devt":"Web","devs":"shop-checkout","devn":"Checkout"}`)

	b := newBrowser(t)
	b.open(s, "journal")
	b.until("the live tail", `document.querySelector('#live').dataset.state === 'live'`)
	// The misspelled action names the closest documented one.
	b.openRow("user_notice_fecth", "404")
	b.until("the closest miss", `document.querySelector('#detail .closest')`)
	if miss := b.text("#detail .closest"); !strings.Contains(miss, "user_notice_fetch") || !strings.Contains(miss, "`user_notice_fecth` is not documented") {
		t.Errorf("the closest miss shown: %s", miss)
	}
	b.openRow("user_profile_create", strconv.Itoa(status))
	b.until("the pointer marked in the body", `document.querySelector('#detail pre.body .hit')`)
	file := b.shot("console")
	if file == "" {
		t.Fatal("no screenshot")
	}
	if st, err := os.Stat(file); err != nil || st.Size() < 20000 {
		t.Fatalf("the screenshot %s is missing or blank: %v", file, err)
	}
	if dir := os.Getenv("HERALD_SCREENSHOT_DIR"); dir != "" && !strings.HasSuffix(filepath.ToSlash(filepath.Dir(file)), filepath.ToSlash(filepath.Clean(dir))) {
		t.Errorf("written to %s, not to %s", file, dir)
	}
}
