package heraldcontainer

import (
	"errors"
	"strings"
	"testing"

	"github.com/testcontainers/testcontainers-go"
)

// Before anything starts, a setup that cannot work is one error saying
// what to set or run, instead of a registry DNS error or a pull.
func TestSetupErrorsNameTheFix(t *testing.T) {
	local := func(images ...string) func(string) (bool, error) {
		return func(ref string) (bool, error) {
			for _, i := range images {
				if i == ref {
					return true, nil
				}
			}
			return false, nil
		}
	}
	for _, tc := range []struct {
		name         string
		has          func(string) (bool, error)
		ryukDisabled bool
		want         string // "" is no error
	}{
		{"no image", local(), true, "make image"},
		{"Ryuk on, its image absent", local(DefaultImage), false, "TESTCONTAINERS_RYUK_DISABLED=true"},
		{"Ryuk on, its image there", local(DefaultImage, testcontainers.ReaperDefaultImage), false, ""}, //lint:ignore SA1019 the image testcontainers still starts
		{"Ryuk off", local(DefaultImage), true, ""},
		{"no Docker", func(string) (bool, error) { return false, errors.New("connection refused") }, true, "Docker does not answer"},
	} {
		err := checkSetup(DefaultImage, tc.has, tc.ryukDisabled)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}
