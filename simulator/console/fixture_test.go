package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"herald/simulator/console"
)

// fixtureEntry is a journal entry with every part the detail shows: a
// closest miss, violations on both sides, a truncated body.
const fixtureEntry = `{"id":41,"world":"","system":"mopay","time":"2026-05-01T12:00:00Z","simTime":"2026-05-01T12:00:00Z","durationMs":1.25,
"request":{"method":"get","path":"/mopay/User_Notice_Fetch","query":"pg=1","headers":{"Accept":["*/*"]},"body":"{\"a\":[1,{\"b~c/d\":\"x\"}]}","bodyBytes":22,"bodyTruncated":false},
"response":{"status":200,"headers":{"Content-Type":["application/json"]},"body":"{\"DATA\":[{\"marker\":7}]","bodyBytes":90000,"bodyTruncated":true},
"verdict":{"request":"refused","response":"violates"},
"violations":[{"side":"request","pointer":"/a/1/b~0c~1d","reason":"must be a number"},{"side":"response","pointer":"/DATA/0/marker","reason":"must be a string"}],
"auth":{"outcome":"none"},
"closestMiss":{"operation":"user_notice_fetch","method":"GET","path":"/user_notice_fetch","differences":["the path's case: User_Notice_Fetch, documented user_notice_fetch","the method: get, documented GET","a missing parameter: page"]}}`

// fixtureServer serves the console beside a canned control API.
func fixtureServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(console.Path, console.Handler())
	answer := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}
	}
	mux.Handle("GET /_herald/v1/journal", answer(`{"entries":[`+fixtureEntry+`],"matched":1,"capacity":5,"evicted":3}`))
	mux.Handle("GET /_herald/v1/clock", answer(`{"now":"2026-05-01T12:00:00Z","unix":1777636800,"frozen":false}`))
	mux.Handle("GET /_herald/v1/worlds", answer(`[]`))
	mux.Handle("GET /_herald/v1/info", answer(`{"name":"herald","version":"x","seed":1,"systems":[{"name":"mopay","listener":"http","basePath":"/mopay/"}]}`))
	mux.HandleFunc("GET /_herald/v1/journal/stream", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// The detail shows a closest miss with its differences, each violation's
// pointer marked in its own body (escaped pointer tokens included), and a
// truncated body's full size.
func TestDetailOfEveryPart(t *testing.T) {
	url := fixtureServer(t)
	b := newBrowser(t)
	b.run(chromedp.Navigate(url + console.Path))
	b.until("the entry", `document.querySelector('#journal-list .entry[data-id="41"]')`)
	b.run(chromedp.Click(chromedp.CSS(`#journal-list .entry[data-id="41"]`)))
	b.until("the detail", `document.querySelector('#detail').dataset.id === '41'`)
	miss := b.text("#detail .closest")
	for _, want := range []string{"user_notice_fetch", "GET /user_notice_fetch", "the path's case", "a missing parameter: page"} {
		if !strings.Contains(miss, want) {
			t.Errorf("the closest miss lacks %q: %s", want, miss)
		}
	}
	if got := b.text(`#detail pre.body .hit[data-pointer="/a/1/b~0c~1d"]`); got != `"x"` {
		t.Errorf("the request's pointer marks %q", got)
	}
	if got := b.text(`#detail pre.body .hit[data-pointer="/DATA/0/marker"]`); got != "" {
		t.Errorf("a truncated body that does not parse is marked: %q", got)
	}
	if d := b.text("#detail"); !strings.Contains(d, "truncated: 90000 bytes in all") || !strings.Contains(d, "answer violates spec") || !strings.Contains(d, "/DATA/0/marker") {
		t.Errorf("the detail: %s", d)
	}
	if c := b.text("#journal-count"); !strings.Contains(c, "3 of this world") {
		t.Errorf("the count does not say exchanges were dropped: %s", c)
	}
	if got := b.text("#clock-state"); got != "running" {
		t.Errorf("clock state %q", got)
	}
	b.shot("every-part")
}
