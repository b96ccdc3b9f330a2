package steps

import (
	"fmt"
	"strings"
)

// BoolParam reads a boolean parameter of a target: "true" or "false", in
// any case, or "" (not given: false). Any other value (1, yes, on…) is an
// error rather than false: YAML versions disagree on yes and on, and a
// value that silently meant false hid mistakes. The error is "%q: want true
// or false"; the caller names the key.
func BoolParam(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, fmt.Errorf("%q: want true or false", v)
}
