package mopay

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// markers fetches target with c's signature and returns the markers of the
// records in DATA, in the order served; it fails the test on anything but a
// 200.
func (h *harness) markers(c creds, target string) []string {
	h.t.Helper()
	a := h.do("GET", target, h.signed(c), "")
	var recs []struct {
		Marker string `json:"marker"`
		UserID string `json:"userid"`
	}
	if err := json.Unmarshal(a.Env.DATA, &recs); err != nil || a.Status != 200 {
		h.t.Fatalf("%s: %d %s", target, a.Status, a.Raw)
	}
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Marker
	}
	return out
}

// The seeded notifications are loaded, indexed by user and marker, and
// served newest first (fixtures/mopay/seed.json has five).
func TestSeededNotifications(t *testing.T) {
	h := newHarness(t)
	c := h.login("amara.okafor@example.com", "Notices2023")
	for _, tc := range []struct{ query, want string }{
		{"rqtp=user", "[ntf_500000001 ntf_500000002]"},
		{"rqtp=user&rqvl=usr_chidi00002", "[ntf_600000001]"},
		{"rqtp=user&rqvl=usr_12345abcde", "[ntf_123456789 ntf_987654321]"},
		{"rqtp=mk&rqvl=ntf_987654321", "[ntf_987654321]"},
		{"rqtp=all", "[ntf_500000001 ntf_600000001 ntf_500000002 ntf_123456789 ntf_987654321]"},
	} {
		if got := fmt.Sprint(h.markers(c, "/user_notification_fetch?"+tc.query)); got != tc.want {
			t.Errorf("%s: markers %s, want %s", tc.query, got, tc.want)
		}
	}
	h.do("GET", "/user_notification_fetch?rqtp=mk&rqvl=ntf_000000000", h.signed(c), "").failed(t, "MSG", "response_empty", 401)
	h.do("GET", "/user_notification_fetch?rqtp=mk&rqvl=NTF_987654321", h.signed(c), "").failed(t, "MSG", "response_empty", 401)
	h.do("GET", "/user_notification_fetch?rqtp=mk", h.signed(c), "").failed(t, "MSG", "process_error", 401)
	h.do("GET", "/user_notification_fetch?rqtp=user&rqvl=usr_nobody0000", h.signed(c), "").failed(t, "MSG", "response_empty", 401)
}

// user_location_fetch filters on the country code or name, the region, the
// city (case-insensitively) or the marker (exactly), pages like notices, and
// answers not_found when nothing matches (fixtures/mopay/seed.json has 20
// locations, loc_1234567890 the newest and each one an hour older).
func TestLocationFilters(t *testing.T) {
	h := newHarness(t)
	c := h.login("amara.okafor@example.com", "Notices2023")
	locs := func(from, to int) string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, fmt.Sprintf("loc_%d", 1234567890+i))
		}
		return fmt.Sprint(out)
	}
	for _, tc := range []struct{ query, want string }{
		{"", locs(0, 19)},
		{"rtyp=all", locs(0, 19)},
		{"rtyp=countries", locs(0, 19)},
		{"rtyp=countries&rqvl=false", locs(0, 19)},
		{"rtyp=countries&rqvl=ng", locs(3, 7)},
		{"rtyp=countries&rqvl=Nigeria", locs(3, 7)},
		{"rtyp=countries&rqvl=GB", "[loc_1234567898 loc_1234567899 loc_1234567900]"},
		{"rtyp=states&rqvl=LAGOS", "[loc_1234567893 loc_1234567894]"},
		{"rtyp=states&rqvl=england", "[loc_1234567898 loc_1234567899]"},
		{"rtyp=cities&rqvl=london", "[loc_1234567898]"},
		{"rtyp=cities&rqvl=Lagos", "[loc_1234567893]"},
		{"rqvl=loc_1234567899", "[loc_1234567899]"},
		{"rtyp=mk&rqvl=loc_1234567905", "[loc_1234567905]"},
		{"page=1687330245", locs(4, 18)},
		{"page=1687279845", locs(18, 19)},
		{"rtyp=countries&rqvl=US&page=1687337445", "[loc_1234567892]"},
	} {
		if got := fmt.Sprint(h.markers(c, "/user_location_fetch?"+tc.query)); got != tc.want {
			t.Errorf("%q: markers %s, want %s", tc.query, got, tc.want)
		}
	}
	for _, q := range []string{
		"rtyp=countries&rqvl=XX",
		"rtyp=cities&rqvl=lago",
		"rqvl=LOC_1234567899",
		"rtyp=mk",
		"page=1687272645",
		"rtyp=states&rqvl=england&page=1687308645",
	} {
		h.do("GET", "/user_location_fetch?"+q, h.signed(c), "").failed(t, "MSG", "not_found", 400)
	}
}

var userID = regexp.MustCompile(`^usr_[a-z0-9]{10}$`)

// Every registration gets a user id of its own, in Herald's documented shape
// (usr_ and 10 characters of [a-z0-9]; see Credentials in specs/mopay.yaml),
// and the second one as surely as the first.
func TestRegistrationsGetDistinctUserIDs(t *testing.T) {
	h := newHarness(t)
	seen := map[string]string{}
	for _, email := range []string{"first@example.com", "second@example.com", "third@example.com"} {
		c := h.register(email)
		if !userID.MatchString(c.UserID) {
			t.Fatalf("%s: userid %q, want usr_ and 10 characters of [a-z0-9]", email, c.UserID)
		}
		if other, dup := seen[c.UserID]; dup {
			t.Fatalf("%s: userid %s already belongs to %s", email, c.UserID, other)
		}
		seen[c.UserID] = email
		// The welcome notice is the new user's own.
		a := h.do("GET", "/user_notice_fetch", h.signed(c), "")
		if a.Status != 200 || !strings.Contains(a.Raw, `"userid":"`+c.UserID+`"`) || !strings.Contains(a.Raw, "Welcome to Mopay") {
			t.Fatalf("%s: notices %d %s, want the welcome notice for %s", email, a.Status, a.Raw, c.UserID)
		}
		if got := h.login(email, "Passw0rdX").UserID; got != c.UserID {
			t.Fatalf("%s: login gives userid %q, registration gave %q", email, got, c.UserID)
		}
	}
}

// The spec refuses credentials whose userid is empty: Mopay's own example
// has one, and user_notification_fetch takes it back as rqvl.
func TestSpecRefusesAnEmptyUserID(t *testing.T) {
	sim, _ := frozenSim(t, Config{})
	hd := http.Header{"Content-Type": {"application/json"}}
	body := func(id string) []byte {
		return []byte(`{"REQUEST":{"VERSION":"1.0","ACTION":"user_profile_create","STATUS":"OK"},"DATA":{"userid":"` + id +
			`","pbcKey":"` + strings.Repeat("ab", 32) + `","secret":"` + strings.Repeat("cd", 64) + `","COMMENT":"Operation successful!"}}`)
	}
	if err := sim.Checker().Response("user_profile_create", 200, hd, body("usr_12345abcde")); err != nil {
		t.Fatalf("a userid like the vendor's example is refused: %v", err)
	}
	if err := sim.Checker().Response("user_profile_create", 200, hd, body("")); err == nil {
		t.Fatal("an empty userid passes the spec")
	}
}
