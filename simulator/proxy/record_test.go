package proxy_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"herald/simulator"
	"herald/simulator/heraldtest"
	"herald/simulator/journal"
	"herald/simulator/proxy"
)

// recordingProxy starts a proxy that records into dir, at most limit files
// per operation.
func recordingProxy(t *testing.T, upstream, dir string, limit int) (string, *proxy.Recorder) {
	t.Helper()
	rec, err := proxy.NewRecorder(dir, limit)
	if err != nil {
		t.Fatal(err)
	}
	j := journal.New(journal.Options{Size: 100, Checked: true})
	p, err := proxy.New(proxy.Options{Upstreams: map[string]proxy.Upstream{"mopay": {BaseURL: upstream}}, Definitions: simulator.Registered(),
		Journal: j, Timeout: 5 * time.Second, Record: rec})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL, rec
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// Each distinct answer that followed the spec is saved once, by system,
// operation and status, with its secrets redacted.
func TestRecordSavesDistinctAnswersRedacted(t *testing.T) {
	h := heraldtest.New(t)
	dir := t.TempDir()
	base, rec := recordingProxy(t, h.URLs["mopay"], dir, 0)
	login := `{"emal":"amara.okafor@example.com","pswd":"Notices2023","devt":"Web","devs":"d1","devn":"n"}`
	var secrets []string
	for range 2 {
		status, body := send(t, "POST", base+"/mopay/user_profile_login", login, nil)
		var v struct {
			DATA struct{ PbcKey, Secret string }
		}
		if status != 200 || json.Unmarshal([]byte(body), &v) != nil || v.DATA.Secret == "" {
			t.Fatalf("login: %d %s", status, body)
		}
		secrets = append(secrets, v.DATA.Secret, v.DATA.PbcKey)
	}
	// A refused request: its answer (a 400 that follows the spec) is an
	// example too.
	send(t, "POST", base+"/mopay/user_profile_create", strings.Replace(register, `"ion@example.com"`, `12345`, 1), nil)

	logins := files(t, filepath.Join(dir, "mopay", "user_profile_login"))
	if len(logins) != 1 || !strings.HasPrefix(logins[0], "200-") || !strings.HasSuffix(logins[0], ".json") {
		t.Fatalf("want one example of the login's answer (the same once redacted), got %v", logins)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "mopay", "user_profile_login", logins[0]))
	for _, s := range secrets {
		if strings.Contains(string(b), s) {
			t.Errorf("a secret was recorded: %s", b)
		}
	}
	if !strings.Contains(string(b), `"<redacted>"`) || !json.Valid(b) {
		t.Errorf("the example: %s", b)
	}
	if got := files(t, filepath.Join(dir, "mopay", "user_profile_create")); len(got) != 1 || !strings.HasPrefix(got[0], "400-") {
		t.Errorf("the refusal's example: %v", got)
	}
	if s := rec.Summary(); s.Saved != 2 || len(s.Full) != 0 || s.Err != nil {
		t.Errorf("summary: %+v", s)
	}
}

// An answer that broke the spec is no example.
func TestRecordSkipsDrift(t *testing.T) {
	vendor := httptest.NewServer(driftingVendor())
	defer vendor.Close()
	dir := t.TempDir()
	base, rec := recordingProxy(t, vendor.URL+"/", dir, 0)
	if status, _ := send(t, "GET", base+"/mopay/user_notice_fetch", "", signed("k", "s")); status != 200 {
		t.Fatalf("status %d", status)
	}
	if got := files(t, dir); len(got) != 0 || rec.Summary().Saved != 0 {
		t.Errorf("a drifting answer was recorded: %v", got)
	}
}

// At most the limit of files per operation, those already there counted;
// the summary names the operation that had more.
func TestRecordIsBounded(t *testing.T) {
	h := heraldtest.New(t)
	dir := t.TempDir()
	folder := filepath.Join(dir, "mopay", "user_profile_create")
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "200-kept.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base, rec := recordingProxy(t, h.URLs["mopay"], dir, 3)
	for i := range 4 {
		body := strings.Replace(register, "ion@example.com", fmt.Sprintf("ion%d@example.com", i), 1)
		body = strings.Replace(body, `"Ion"`, fmt.Sprintf(`"Ion%c"`, 'a'+i), 1)
		if status, got := send(t, "POST", base+"/mopay/user_profile_create", body, nil); status != 200 {
			t.Fatalf("register %d: %d %s", i, status, got)
		}
	}
	if got := files(t, folder); len(got) != 3 {
		t.Errorf("want 3 files (1 there before, 2 new), got %v", got)
	}
	if s := rec.Summary(); s.Saved != 2 || len(s.Full) != 1 || s.Full[0] != "mopay/user_profile_create" || s.Limit != 3 {
		t.Errorf("summary: %+v", s)
	}
}
