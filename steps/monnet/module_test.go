package monnet

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"herald/fixtures"
	monnetsim "herald/simulator/monnet"
	"herald/specs"
)

// The module's name is the spec's: the one place it is written.
func TestSystemNameIsTheSpecs(t *testing.T) {
	doc, err := specs.Load(specs.Monnet)
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := doc.Info.Extensions["x-herald-system"].(string); name != System {
		t.Fatalf("steps call the system %q, its spec %q", System, name)
	}
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func note(order, id string) string {
	return `{"payout":{"id":"` + id + `","orderId":"` + order + `"},"output":{"stage":"SUCCESS","status":"PROCESSED"}}`
}

// The receiver routes by the URL's token on a Herald and by orderId from a
// real Monnet, acknowledges what is not its scenario's, and stops with the
// last scenario.
func TestReceiverRoutesEachNotificationToItsScenario(t *testing.T) {
	h := newReceiverHost()
	a, err := h.open("127.0.0.1:0", "", "22")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.open("", "", "22")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(a.url, "http://"+h.address+"/"+pathMarker) || a.url == b.url {
		t.Fatalf("URLs %s and %s", a.url, b.url)
	}
	h.expect(a, "A-1")
	h.expect(b, "B-1")
	b.setMode(answerWith{statuses: []int{500, 204}})

	if s := post(t, a.url, note("A-1", "1")); s != 200 {
		t.Errorf("a's own notification: %d", s)
	}
	if s := post(t, a.url, note("B-1", "2")); s != 200 || len(a.about("2")) != 0 || len(b.about("2")) != 0 {
		t.Errorf("another scenario's notification at a's URL: %d, recorded", s)
	}
	base := "http://" + h.address + "/"
	if s := post(t, base, note("B-1", "2")); s != 500 { // by orderId, as from a real Monnet
		t.Errorf("b by orderId: %d", s)
	}
	if s := post(t, base+"hook", note("B-1", "2")); s != 204 {
		t.Errorf("b again: %d", s)
	}
	if s := post(t, base, note("nobody", "3")); s != 200 || len(a.about("3"))+len(b.about("3")) != 0 {
		t.Errorf("an orderId no scenario expects: %d, or recorded", s)
	}
	if got := b.about("2"); len(got) != 2 || got[0].answered != 500 || got[1].answered != 204 || got[0].stage != "SUCCESS" {
		t.Errorf("b got %+v", got)
	}

	// The verifying mode refuses what does not verify.
	cert, _ := fixtures.Read(fixtures.MonnetNotifierCert)
	pub, err := monnetsim.ParsePublicKey(cert)
	if err != nil {
		t.Fatal(err)
	}
	a.setMode(verifying{pub: pub})
	if s := post(t, a.url, note("A-1", "1")); s != http.StatusUnauthorized {
		t.Errorf("an unsigned notification to the verifying receiver: %d", s)
	}

	// A held request is let go when its scenario ends.
	a.setMode(answerWith{statuses: []int{200}, hangFirst: true})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Post(a.url, "application/json", strings.NewReader(note("A-1", "1")))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); len(a.about("1")) < 3; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the held request never arrived")
		}
	}
	h.close(a)
	if err := <-done; err == nil {
		t.Error("a held request got an answer; the receiver should drop it")
	}
	if s := post(t, base, note("A-1", "1")); s != 200 || len(a.about("1")) != 3 {
		t.Errorf("after a's end its orderIds still route to it: %d", s)
	}
	h.close(b)
	if _, err := http.Post(base, "application/json", strings.NewReader("{}")); err == nil {
		t.Error("the receiver still listens after the last scenario ended")
	}
}
