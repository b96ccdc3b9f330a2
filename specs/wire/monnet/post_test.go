package monnet

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Post reads the answer's body to its end: one cut short is an error,
// returned with the status, so that neither the notifier nor the receiver
// check takes it for an acknowledgement.
func TestPostReportsABodyCutShort(t *testing.T) {
	for _, c := range []struct {
		name  string
		whole bool
	}{{"whole", true}, {"cut short", false}} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			body := `{"ok":true}`
			if !c.whole {
				body = `{"ok":`
			}
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n"+body)
		}))
		status, err := Post(context.Background(), srv.Client(), srv.URL, Message{MerchantID: "22", Body: []byte(`{}`)})
		srv.Close()
		if status != 200 || (err == nil) != c.whole {
			t.Errorf("%s: status %d, error %v", c.name, status, err)
		}
	}
}
