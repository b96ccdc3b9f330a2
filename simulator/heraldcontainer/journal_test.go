package heraldcontainer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/testcontainers/testcontainers-go"

	jwire "herald/specs/wire/journal"
)

// fakeTB captures what an assertion reports.
type fakeTB struct{ errors []string }

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func get(t *testing.T, url string, want int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d, want %d", url, resp.StatusCode, want)
	}
}

// The journal helpers against the container: with its token, in the
// default world and in an isolated one, passing and failing.
func TestJournalHelpers(t *testing.T) {
	needDocker(t)
	buildImage(t)
	ctx := context.Background()
	const token = "heraldcontainer-journal-7d2e"
	c, err := Run(ctx, WithImage(testImage()), WithSeed(1), WithToken(token), WithArgs("--log-level", "warn", "--journal-size", "50"))
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		t.Fatal(err)
	}
	get(t, c.URLs["mopay"]+"user_notice_fetch", http.StatusUnauthorized) // unsigned: refused
	fetch := Match{System: "mopay", Operation: "user_notice_fetch"}
	if !c.Journal().AssertReceived(t, Match{System: "mopay", Operation: "user_notice_fetch", Status: "401", Auth: "refused"}, 1) {
		return
	}
	if n, err := c.Journal().Count(ctx, fetch); err != nil || n != 1 {
		t.Fatalf("count %d, %v", n, err)
	}

	var fake fakeTB
	fetch.Status = "2xx"
	if c.Journal().AssertReceived(&fake, fetch, 1) || len(fake.errors) != 1 {
		t.Fatalf("a refused fetch counted as answered: %q", fake.errors)
	}
	for _, want := range []string{"wanted 1 exchange matching system=mopay operation=user_notice_fetch status=2xx, got 0",
		"GET /mopay/user_notice_fetch → 401", "unmet: status is 401, not 2xx", "auth refused: "} {
		if !strings.Contains(fake.errors[0], want) {
			t.Errorf("the failure does not say %q:\n%s", want, fake.errors[0])
		}
	}

	w, err := c.World(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx)
	w.Journal().AssertReceived(t, Match{}, 0)
	get(t, w.URLs["mopay"]+"user_notice_fetch", http.StatusUnauthorized)
	get(t, w.URLs["mopay"]+"user_notice_fetch", http.StatusUnauthorized)
	w.Journal().AssertReceived(t, Match{Operation: "user_notice_fetch", Verdict: "refused"}, 2)
	c.Journal().AssertReceived(t, Match{Operation: "user_notice_fetch"}, 1)
	entries, err := w.Journal().List(ctx, JournalFilter{System: "mopay", Limit: 1})
	if err != nil || len(entries) != 1 || entries[0].World != w.ID || entries[0].ID != 3 {
		t.Fatalf("the world's newest entry: %+v, %v", entries, err)
	}

	// Without the token, the control API refuses.
	anonymous := &Journal{ControlURL: c.ControlURL}
	var api *jwire.APIError
	if _, err := anonymous.Count(ctx, Match{}); !errors.As(err, &api) || api.Status != http.StatusUnauthorized {
		t.Fatalf("without the token: %v", err)
	}
}
