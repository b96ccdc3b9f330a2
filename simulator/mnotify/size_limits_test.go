package mnotify

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// TestSizeLimitsAtTheBound pins the documented megabyte limits at the bound
// (accepted) and one byte over (a 400 naming the field): the body in all
// languages without attachments (15 MB) and with them (10 MB), and the
// attachments' decoded bytes in all (10 MB), summed over attachments.
func TestSizeLimitsAtTheBound(t *testing.T) {
	h := newHarness(t)
	notif := func(body string, attachments ...int) string {
		var atts []string
		for _, n := range attachments {
			atts = append(atts, `{"fileName":"a.pdf","base64":"`+base64.StdEncoding.EncodeToString(make([]byte, n))+`"}`)
		}
		s := `{"subject":{"ro":"s"},"body":{"ro":"` + body + `"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"`
		if len(atts) > 0 {
			s += `,"attachments":[` + strings.Join(atts, ",") + `]`
		}
		return s + "}"
	}
	send := func(name, body, field string) {
		t.Helper()
		a := h.do("sender-a", "POST", "/api/Notification", body)
		if field == "" {
			if a.Status != http.StatusOK {
				t.Fatalf("%s: want 200, got %d: %.300s", name, a.Status, a.Body)
			}
			return
		}
		a.problem(t, http.StatusBadRequest, field)
	}
	// The body is counted over all languages.
	half := strings.Repeat("a", MaxBody/2)
	send("body at 15 MB", `{"subject":{"ro":"s"},"body":{"ro":"`+half+`","en":"`+half+strings.Repeat("b", MaxBody%2)+`"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"}`, "")
	send("body one byte over 15 MB", `{"subject":{"ro":"s"},"body":{"ro":"`+half+`","en":"`+half+strings.Repeat("b", MaxBody%2+1)+`"},"recipients":[{"value":"x@y.md","type":"Email"}],"priority":"Low"}`, "Body")
	send("body at 10 MB with an attachment", notif(strings.Repeat("a", MaxBodyWithAttachments), 1), "")
	send("body one byte over 10 MB with an attachment", notif(strings.Repeat("a", MaxBodyWithAttachments+1), 1), "Body")
	send("attachments at 10 MB", notif("b", MaxAttachments/2, MaxAttachments-MaxAttachments/2), "")
	send("attachments one byte over 10 MB", notif("b", MaxAttachments/2, MaxAttachments-MaxAttachments/2+1), "Attachments")
}
