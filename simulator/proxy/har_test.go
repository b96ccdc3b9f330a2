package proxy_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"herald/simulator/journal"
	"herald/simulator/proxy"
	wire "herald/specs/wire/mopay"
)

// The journal exports as HAR through the proxy: each exchange with the
// URL the client used, the upstream's answer as it came, secrets redacted,
// and the proxy's verdicts with their pointers.
func TestJournalAsHAR(t *testing.T) {
	vendor := httptest.NewServer(driftingVendor())
	defer vendor.Close()
	base, _ := front(t, false, map[string]proxy.Upstream{"mopay": {BaseURL: vendor.URL + "/"}})
	ts := fmt.Sprint(time.Now().Unix())
	sig := wire.Signature("the-secret", ts)
	hd := http.Header{wire.HeaderKey: {"pk-1"}, wire.HeaderTimestamp: {ts}, wire.HeaderSignature: {sig}}
	if status, _ := send(t, "GET", base+"/mopay/user_notice_fetch?page=1", "", hd); status != 200 {
		t.Fatalf("status %d", status)
	}
	status, body := send(t, "GET", base+"/_herald/v1/journal/har", "", nil)
	if status != 200 {
		t.Fatalf("HAR: %d %s", status, body)
	}
	var har journal.HAR
	if err := json.Unmarshal([]byte(body), &har); err != nil {
		t.Fatalf("not HAR: %v\n%s", err, body)
	}
	if har.Log.Version != "1.2" || len(har.Log.Entries) != 1 {
		t.Fatalf("HAR log: %+v", har.Log)
	}
	e := har.Log.Entries[0]
	if e.Request.Method != "GET" || e.Request.URL != base+"/mopay/user_notice_fetch?page=1" {
		t.Errorf("request: %s %s", e.Request.Method, e.Request.URL)
	}
	if e.Response.Status != 200 || e.Response.Content.Text != driftAnswer {
		t.Errorf("response: %d %q", e.Response.Status, e.Response.Content.Text)
	}
	if e.Herald.System != "mopay" || e.Herald.Operation != "user_notice_fetch" || e.Herald.Verdict.Response != journal.Violates ||
		len(e.Herald.Violations) == 0 || !strings.HasPrefix(e.Herald.Violations[0].Pointer, "/DATA") {
		t.Errorf("verdicts: %+v", e.Herald)
	}
	for _, h := range e.Request.Headers {
		if strings.Contains(h.Value, "the-secret") || h.Value == sig {
			t.Errorf("a secret in the HAR: %s: %s", h.Name, h.Value)
		}
	}
	if sig == "" || strings.Contains(body, sig) {
		t.Error("the signature is in the HAR")
	}
}
