package steps

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	all, err := Select("")
	if err != nil || all < 50 {
		t.Fatalf("Select(\"\") = %d, %v; want every scenario", all, err)
	}
	auth, err := Select("@auth")
	if err != nil || auth == 0 || auth >= all {
		t.Fatalf("Select(@auth) = %d, %v", auth, err)
	}
	notAuth, err := Select("~@auth")
	if err != nil || notAuth+auth != all {
		t.Fatalf("Select(~@auth) = %d, %v; want %d", notAuth, err, all-auth)
	}
	either, err := Select("@auth,@pagination")
	if err != nil || either <= auth {
		t.Fatalf("Select(@auth,@pagination) = %d, %v", either, err)
	}
	if n, err := Select("@auth && @pagination"); err != nil || n != 0 {
		t.Fatalf("Select(@auth && @pagination) = %d, %v; want 0", n, err)
	}
	for _, bad := range []string{"@@@", "@", "@auth &&", "&&", "not @auth", "@auth and @mopay", "(@auth)", "~"} {
		if _, err := Select(bad); err == nil || !strings.Contains(err.Error(), "is not a tag") {
			t.Errorf("Select(%q): %v, want a syntax error", bad, err)
		}
	}
	if _, err := Select("@atuh"); err == nil || !strings.Contains(err.Error(), "no scenario has the tag @atuh") {
		t.Errorf("Select(@atuh): %v, want an unknown-tag error", err)
	}
}
