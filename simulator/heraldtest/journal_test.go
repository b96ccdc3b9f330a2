package heraldtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	jwire "herald/specs/wire/journal"
)

// fakeTB captures what an assertion reports.
type fakeTB struct{ errors []string }

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

// unsignedFetch asks Mopay for the notices without signing: refused, 401.
func unsignedFetch(t *testing.T, client *http.Client, base string) {
	t.Helper()
	resp, err := client.Get(base + "user_notice_fetch")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an unsigned fetch answered %d", resp.StatusCode)
	}
}

func TestAssertReceivedPasses(t *testing.T) {
	s := New(t, WithSetting("mopay.rate-limit", "0"))
	register(t, s.Client, s.URLs["mopay"])
	unsignedFetch(t, s.Client, s.URLs["mopay"])
	j := s.Journal()
	var fake fakeTB
	if !j.AssertReceived(&fake, Match{System: "mopay", Operation: "user_profile_create", Method: "POST", Status: "2xx", BodyContains: `"emal":"ht@example.com"`}, 1) {
		t.Fatalf("the registration was not counted: %v", fake.errors)
	}
	if !j.AssertReceived(&fake, Match{System: "mopay", Operation: "user_notice_fetch", Status: "401", Auth: "refused", Verdict: "refused"}, 1) ||
		!j.AssertReceived(&fake, Match{System: "mnotify"}, 0) || len(fake.errors) != 0 {
		t.Fatalf("%v", fake.errors)
	}
	// The same through testing.T itself.
	j.AssertReceived(t, Match{Path: "/mopay/user_notice_fetch"}, 1)

	ctx := context.Background()
	if n, err := j.Count(ctx, Match{System: "mopay"}); err != nil || n != 2 {
		t.Fatalf("count %d, %v; want 2", n, err)
	}
	entries, err := j.List(ctx, JournalFilter{System: "mopay", Verdict: "refused"})
	if err != nil || len(entries) != 1 || entries[0].Operation != "user_notice_fetch" || entries[0].Auth.Outcome != "refused" {
		t.Fatalf("list: %+v, %v", entries, err)
	}
	if err := j.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	j.AssertReceived(t, Match{}, 0)
}

// A count that falls short fails with the criteria, both numbers, and the
// closest exchanges: what each was, which criteria it missed, and why it was
// refused.
func TestAssertReceivedFailsWithNearMisses(t *testing.T) {
	s := New(t)
	unsignedFetch(t, s.Client, s.URLs["mopay"])
	resp, err := s.Client.Get(s.URLs["mopay"] + "User_notice_fetch") // no such operation
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	var fake fakeTB
	m := Match{System: "mopay", Operation: "user_notice_fetch", Status: "2xx"}
	if s.Journal().AssertReceived(&fake, m, 1) {
		t.Fatal("a count of 0 passed for 1")
	}
	if len(fake.errors) != 1 {
		t.Fatalf("errors: %q", fake.errors)
	}
	msg := fake.errors[0]
	t.Log(msg)
	for _, want := range []string{
		"wanted 1 exchange matching system=mopay operation=user_notice_fetch status=2xx, got 0",
		"1. GET /mopay/user_notice_fetch → 401 (mopay operation user_notice_fetch, #1)",
		"unmet: status is 401, not 2xx",
		"auth refused: header MPY-SECUREKEY is missing or empty",
		"refused (auth, system): rqat_required: header MPY-SECUREKEY is missing",
		"2. GET /mopay/User_notice_fetch → 404 (mopay operation none, #2)",
		"unmet: operation is none, not user_notice_fetch",
		"refused (route, not found): no operation at /User_notice_fetch",
		"closest GET /user_notice_fetch (user_notice_fetch): action case: the document spells it user_notice_fetch",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure does not say %q:\n%s", want, msg)
		}
	}
	// The closest comes first: one criterion unmet before two.
	if strings.Index(msg, "#1)") > strings.Index(msg, "#2)") {
		t.Errorf("the closest exchange is not first:\n%s", msg)
	}

	// Too many fails too, and an empty journal says why it may be empty.
	fake.errors = nil
	if s.Journal().AssertReceived(&fake, Match{System: "mopay"}, 1) || len(fake.errors) != 1 ||
		!strings.Contains(fake.errors[0], "wanted 1 exchange matching system=mopay, got 2") {
		t.Fatalf("two for one: %q", fake.errors)
	}
	fake.errors = nil
	if s.World(t).Journal().AssertReceived(&fake, Match{}, 3) || len(fake.errors) != 1 ||
		!strings.Contains(fake.errors[0], "wanted 3 exchanges matching (any exchange), got 0\nno exchange of this world is kept") {
		t.Fatalf("an empty world: %q", fake.errors)
	}
}

// A world's journal holds its own exchanges only, at its own paths.
func TestJournalInAWorld(t *testing.T) {
	s := New(t, WithSetting("mopay.rate-limit", "0"))
	w := s.World(t)
	register(t, s.Client, w.URLs["mopay"])
	unsignedFetch(t, s.Client, w.URLs["mopay"])
	create := Match{System: "mopay", Operation: "user_profile_create", Status: "200"}
	w.Journal().AssertReceived(t, create, 1)
	s.Journal().AssertReceived(t, create, 0)
	entries, err := w.Journal().List(context.Background(), JournalFilter{Operation: "user_profile_create"})
	if err != nil || len(entries) != 1 || entries[0].World != w.ID || !strings.HasPrefix(entries[0].Request.Path, "/_herald/worlds/"+w.ID+"/mopay/") {
		t.Fatalf("the world's entries: %+v, %v", entries, err)
	}
	var fake fakeTB
	w.Journal().AssertReceived(&fake, Match{Operation: "user_notice_fetch", Status: "2xx"}, 1)
	if len(fake.errors) != 1 || !strings.Contains(fake.errors[0], "GET /_herald/worlds/"+w.ID+"/mopay/user_notice_fetch → 401") ||
		!strings.Contains(fake.errors[0], "world "+w.ID) {
		t.Fatalf("the world's failure: %q", fake.errors)
	}
}

// With a control token, the helpers send it; without it the control API
// refuses them, and the failure says so without showing the token.
func TestJournalWithToken(t *testing.T) {
	const token = "heraldtest-token-4f1c"
	s := New(t, WithControlToken(token), WithSetting("mopay.rate-limit", "0"))
	register(t, s.Client, s.URLs["mopay"])
	s.Journal().AssertReceived(t, Match{Operation: "user_profile_create"}, 1)
	w := s.World(t)
	register(t, s.Client, w.URLs["mopay"])
	w.Journal().AssertReceived(t, Match{Operation: "user_profile_create"}, 1)

	anonymous := &Journal{ControlURL: s.ControlURL, HTTP: s.Client}
	_, err := anonymous.Count(context.Background(), Match{})
	var api *jwire.APIError
	if !errors.As(err, &api) || api.Status != http.StatusUnauthorized {
		t.Fatalf("without the token: %v", err)
	}
	var fake fakeTB
	if anonymous.AssertReceived(&fake, Match{}, 1) || len(fake.errors) != 1 || !strings.Contains(fake.errors[0], "answered 401") ||
		strings.Contains(fake.errors[0], token) {
		t.Fatalf("without the token: %q", fake.errors)
	}
}

// With the journal off, the helpers fail with the control API's answer.
func TestJournalOff(t *testing.T) {
	s := New(t, WithJournal(-1, 0))
	_, err := s.Journal().Count(context.Background(), Match{})
	var api *jwire.APIError
	if !errors.As(err, &api) || api.Status < 400 || !strings.Contains(err.Error(), "journal") {
		t.Fatalf("count with the journal off: %v", err)
	}
}
