package mnotify

import "testing"

// TestPlaceholderNameCharacters pins the characters a placeholder name may
// hold, at each edge of each range: letters, digits, '_', '.', '-'.
func TestPlaceholderNameCharacters(t *testing.T) {
	for _, ok := range []string{"0", "9", "a", "z", "A", "Z", "_", ".", "-", "Recipient_First.Name-2"} {
		if !validName(ok) {
			t.Errorf("%q is not a valid name", ok)
		}
		if got := render("x {{"+ok+"}} y", func(string) (string, bool) { return "V", true }); got != "x V y" {
			t.Errorf("{{%s}} renders %q", ok, got)
		}
	}
	for _, bad := range []string{"", "/", ":", "@", "[", "`", "{", " ", "a b", "é", "a,"} {
		if validName(bad) {
			t.Errorf("%q is a valid name", bad)
		}
	}
	if got := render("x {{a b}} y", func(string) (string, bool) { return "V", true }); got != "x {{a b}} y" {
		t.Errorf("an invalid name renders %q, want it left as written", got)
	}
}
