// Package consumer is an integrator's test suite, written against Herald's
// public packages only, as a team would after `go get`.
package consumer

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"herald/simulator/heraldcontainer"
	"herald/simulator/heraldtest"
)

func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !ok {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	os.Exit(m.Run())
}

// register is the integrator's code under test: it signs up a Mopay user.
func register(t *testing.T, client *http.Client, mopayURL string) {
	t.Helper()
	resp, err := client.Post(mopayURL+"user_profile_create", "application/json",
		strings.NewReader(`{"fsnm":"Ada","lsnm":"Obi","emal":"ada@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d1","devn":"Phone"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("register: %d", resp.StatusCode)
	}
}

func TestWithContainer(t *testing.T) {
	ctx := context.Background()
	image := os.Getenv("HERALD_IMAGE")
	if image == "" {
		image = heraldcontainer.DefaultImage
	}
	herald, err := heraldcontainer.Run(ctx, heraldcontainer.WithImage(image), heraldcontainer.WithSeed(1),
		heraldcontainer.WithClock(time.Now(), false))
	testcontainers.CleanupContainer(t, herald)
	if err != nil {
		t.Fatal(err)
	}
	// What the integrator's receiver verifies Monnet's notifications with.
	if cert, err := herald.MonnetNotifierCert(ctx); err != nil || !strings.HasPrefix(string(cert), "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("notifier certificate: %q, %v", cert, err)
	}
	register(t, http.DefaultClient, herald.URLs["mopay"])
	world, err := herald.World(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer world.Close(ctx)
	register(t, http.DefaultClient, world.URLs["mopay"]) // the same user again: a world of its own
	signUp := heraldcontainer.Match{System: "mopay", Operation: "user_profile_create", Status: "2xx"}
	herald.Journal().AssertReceived(t, signUp, 1)
	world.Journal().AssertReceived(t, signUp, 1)

	// MNotify, on its own TLS listener, with a test sender's certificate.
	sender, err := herald.MNotifyClient("sender-a")
	if err != nil {
		t.Fatal(err)
	}
	listNotifications(t, sender, herald.URLs["mnotify"])
	listNotifications(t, sender, world.URLs["mnotify"])
}

// listNotifications is the integrator's MNotify code under test.
func listNotifications(t *testing.T, client *http.Client, mnotifyURL string) {
	t.Helper()
	resp, err := client.Get(mnotifyURL + "api/Notification")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("MNotify at %s: %d", mnotifyURL, resp.StatusCode)
	}
}

func TestInProcess(t *testing.T) {
	herald := heraldtest.New(t, heraldtest.WithClock(time.Now(), false))
	if cert := herald.MonnetNotifierCert(t); !strings.HasPrefix(string(cert), "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("notifier certificate: %q", cert)
	}
	register(t, herald.Client, herald.URLs["mopay"])
	world := herald.World(t)
	register(t, herald.Client, world.URLs["mopay"])
	signUp := heraldtest.Match{System: "mopay", Operation: "user_profile_create", Status: "2xx"}
	herald.Journal().AssertReceived(t, signUp, 1)
	world.Journal().AssertReceived(t, signUp, 1)
	sender, err := herald.MNotifyClient("sender-a")
	if err != nil {
		t.Fatal(err)
	}
	listNotifications(t, sender, herald.URLs["mnotify"])
}
