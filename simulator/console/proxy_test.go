package console_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"herald/simulator"
	"herald/simulator/console"
	"herald/simulator/heraldtest"
	"herald/simulator/journal"
	"herald/simulator/proxy"
)

// The console served by herald proxy shows its journal only: no inbox,
// deliveries, worlds or clock, and never asks for them. A request the proxy
// refused and an answer of the deployment that drifted appear with their
// pointers, marked in their bodies.
func TestConsoleOfAProxy(t *testing.T) {
	s := heraldtest.New(t)
	up, _ := url.Parse(s.URLs["mopay"])
	herald := httputil.NewSingleHostReverseProxy(up)
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/user_notice_fetch") { // the deployment drifts here
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"REQUEST":{"VERSION":"1.0","ACTION":"user_notice_fetch","STATUS":"OK"},"DATA":[{"marker":7}]}`)
			return
		}
		herald.ServeHTTP(w, r)
	}))
	t.Cleanup(vendor.Close)
	j := journal.New(journal.Options{Size: 100, Checked: true})
	p, err := proxy.New(proxy.Options{Upstreams: map[string]proxy.Upstream{"mopay": {BaseURL: vendor.URL + "/"}}, Definitions: simulator.Registered(),
		Enforce: true, Journal: j, Timeout: 5 * time.Second, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close) // after the browser, and its live tail, are gone
	t.Cleanup(j.CloseTails)
	key, secret := mopayKeys(t, s)
	if status, body := do(t, srv.Client(), "GET", srv.URL+"/mopay/user_notice_fetch", signedHeaders(key, secret, time.Now().Unix()), ""); status != 200 {
		t.Fatalf("through the proxy: %d %s", status, body)
	}
	status, body := do(t, srv.Client(), "POST", srv.URL+"/mopay/user_profile_create", nil,
		`{"fsnm":"Ion","lsnm":"Popescu","emal":12345,"pswd":"Passw0rdX","devt":"Web","devs":"shop-checkout","devn":"Checkout"}`)
	if status != 400 {
		t.Fatalf("the proxy let a bad request through: %d %s", status, body)
	}

	b := newBrowser(t)
	b.run(chromedp.Navigate(srv.URL + console.Path + "#inbox"))
	b.until("the proxy's mode", `document.body.dataset.mode === 'proxy'`)
	b.until("the live tail", `document.querySelector('#live').dataset.state === 'live'`)
	hidden := eval[[]bool](b, `['tab-inbox', 'tab-deliveries', 'world-box', 'clock', 'view-inbox', 'mode', 'view-journal'].map(function (id) { return document.getElementById(id).hidden })`)
	if want := []bool{true, true, true, true, true, false, false}; fmt.Sprint(hidden) != fmt.Sprint(want) {
		t.Errorf("hidden (inbox tab, deliveries tab, worlds, clock, inbox view, proxy badge, journal view): %v, want %v", hidden, want)
	}

	b.openRow("user_notice_fetch", "200")
	b.until("the drift marked in the answer", `document.querySelector('#detail pre.body .hit')`)
	detail := b.text("#detail")
	if !strings.Contains(detail, "answer violates spec") || !strings.Contains(detail, "response /DATA value must be an object") {
		t.Errorf("the drifting answer's detail: %.1500s", detail)
	}
	if got := b.text(`#detail pre.body .hit[data-pointer="/DATA"]`); !strings.Contains(got, `"marker"`) {
		t.Error("the drift's pointer is not marked in the answer")
	}
	if strings.Contains(detail, "Simulator clock") || strings.Contains(b.text("#journal-count"), "world") {
		t.Errorf("a proxy's console speaks of a simulator clock or worlds: %s | %.300s", b.text("#journal-count"), detail)
	}
	b.shot("proxy-drift")

	b.openRow("user_profile_create", "400")
	b.until("the refusal marked in the request", `document.querySelector('#detail pre.body .hit[data-pointer="/emal"]')`)
	if got := b.text(`#detail pre.body .hit[data-pointer="/emal"]`); got != "12345" {
		t.Errorf("the request's pointer marks %q", got)
	}
	if d := b.text("#detail"); !strings.Contains(d, "spec") {
		t.Errorf("the refusal's detail: %.1500s", d)
	}
	b.shot("proxy-refused")
	for _, u := range b.requested() {
		if strings.Contains(u, "/_herald/v1/clock") || strings.Contains(u, "/_herald/v1/worlds") || strings.Contains(u, "/monnet/deliveries") || strings.Contains(u, "/mnotify/") {
			t.Errorf("the console of a proxy asked for %s", u)
		}
	}
}
