package specs

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"testing"

	"herald/fixtures"
)

// jsonBlocks returns every top-level JSON object of a text: an object opens
// with "{" at the start of a line and ends where its braces balance.
func jsonBlocks(text string) []string {
	var blocks []string
	for i := 0; i < len(text); i++ {
		if text[i] != '{' || (i > 0 && text[i-1] != '\n') {
			continue
		}
		depth, inString, escaped := 0, false, false
		for j := i; j < len(text); j++ {
			c := text[j]
			switch {
			case escaped:
				escaped = false
			case inString && c == '\\':
				escaped = true
			case c == '"':
				inString = !inString
			case !inString && c == '{':
				depth++
			case !inString && c == '}':
				depth--
			}
			if depth == 0 {
				blocks = append(blocks, text[i:j+1])
				i = j
				break
			}
		}
	}
	return blocks
}

// TestMopayVendorExamples checks every JSON example of the vendor's document
// against the operation its ACTION names, at the status it shows.
func TestMopayVendorExamples(t *testing.T) {
	doc, err := Load(Mopay)
	if err != nil {
		t.Fatal(err)
	}
	check := NewChecker(Mopay, doc)
	text, err := fs.ReadFile(fixtures.FS(), "vendor/mopay-notifications-endpoints.txt")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, block := range jsonBlocks(string(text)) {
		var env struct {
			REQUEST struct{ ACTION, STATUS string }
			ERRORS  struct {
				CODE    int
				ID, MSG string
			}
		}
		if err := json.Unmarshal([]byte(block), &env); err != nil {
			t.Errorf("vendor example does not parse: %v\n%s", err, block)
			continue
		}
		if env.REQUEST.ACTION == "" { // a request body, "{}"
			if block != "{}" {
				t.Errorf("vendor example without REQUEST.ACTION:\n%s", block)
			}
			continue
		}
		status := http.StatusOK
		if env.REQUEST.STATUS != "OK" {
			status = env.ERRORS.CODE
		}
		h := http.Header{"Content-Type": {"application/json"}}
		if err := check.Response(env.REQUEST.ACTION, status, h, []byte(block)); err != nil {
			t.Errorf("vendor example for %s (status %d) is rejected by the spec: %v\n%s", env.REQUEST.ACTION, status, err, block)
		}
		if status != http.StatusOK {
			if err := sameAsSpecExample(check, env.REQUEST.ACTION, env.ERRORS.ID, env.ERRORS.MSG, env.ERRORS.CODE); err != nil {
				t.Errorf("vendor example for %s: %v", env.REQUEST.ACTION, err)
			}
		}
		checked++
	}
	// The document has 4 success and 14 error examples; a parser that finds
	// fewer would let examples go unchecked.
	if checked != 18 {
		t.Errorf("checked %d vendor examples, want 18", checked)
	}
}

// sameAsSpecExample checks that the spec documents a vendor error for the
// operation under the same name, the same key (ID or MSG) and the same CODE:
// the schema alone accepts either key and any code.
func sameAsSpecExample(check *Checker, operationID, id, msg string, code int) error {
	key, name := "MSG", msg
	if id != "" {
		key, name = "ID", id
	}
	route := check.Route(operationID)
	for status, resp := range route.Operation.Responses.Map() {
		mt := resp.Value.Content.Get("application/json")
		if mt == nil || mt.Examples[name] == nil {
			continue
		}
		v, _ := mt.Examples[name].Value.Value.(map[string]any)
		errs, _ := v["ERRORS"].(map[string]any)
		if _, ok := errs[key]; !ok {
			return fmt.Errorf("the spec's example %s names the error under the other key than %s", name, key)
		}
		if c, _ := errs["CODE"].(float64); int(c) != code || status != fmt.Sprint(code) {
			return fmt.Errorf("the spec's example %s has CODE %v under status %s, the vendor's %d", name, errs["CODE"], status, code)
		}
		return nil
	}
	return fmt.Errorf("the spec documents no error %s %q", key, name)
}

func TestJSONBlocks(t *testing.T) {
	got := jsonBlocks("x\n{\"a\":\"}\"}\ny\n{}\n{\"b\":{\"c\":1}}")
	want := []string{`{"a":"}"}`, `{}`, `{"b":{"c":1}}`}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("block %d = %q, want %q", i, got[i], want[i])
		}
	}
}
