package mnotify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Static variables the service fills itself (vendor-documented names).
const (
	VarDate          = "Date"
	VarTime          = "Time"
	VarIDNP          = "IDNP"
	VarIDNO          = "IDNO"
	VarRecipientName = "RecipientFirstName"
	VarRecipientLast = "RecipientLastName"
)

// parseVariables reads `variables`, a JSON object encoded as a string. Its
// values may be strings, numbers, booleans or null (the empty string).
func parseVariables(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return nil, fmt.Errorf("must be a JSON object encoded as a string, e.g. {\"Name\":\"John\"}")
	}
	if dec.More() {
		return nil, fmt.Errorf("must hold one JSON object only")
	}
	vars := make(map[string]string, len(raw))
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch v := raw[name].(type) {
		case string:
			vars[name] = v
		case json.Number:
			vars[name] = v.String()
		case bool:
			vars[name] = fmt.Sprint(v)
		case nil:
			vars[name] = ""
		default:
			return nil, fmt.Errorf("variable %q must be a string, number, boolean or null", clip(name, 40))
		}
	}
	return vars, nil
}

// render replaces each {{name}} whose name lookup knows; any other
// placeholder is left as written (Herald design).
func render(text string, lookup func(name string) (string, bool)) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	var b bytes.Buffer
	for {
		i := strings.Index(text, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(text[i+2:], "}}")
		if j < 0 {
			break
		}
		name := text[i+2 : i+2+j]
		b.WriteString(text[:i])
		if v, ok := lookup(name); ok && validName(name) {
			b.WriteString(v)
		} else {
			b.WriteString(text[i : i+2+j+2])
		}
		text = text[i+2+j+2:]
	}
	b.WriteString(text)
	return b.String()
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func (c content) render(lookup func(string) (string, bool)) content {
	return content{Ro: render(c.Ro, lookup), Ru: render(c.Ru, lookup), En: render(c.En, lookup)}
}

// lookupIn finds a name in the caller's variables, then in the static ones.
func lookupIn(vars, static map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		v, ok := static[name]
		return v, ok
	}
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
