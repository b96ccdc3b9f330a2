package specs

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"herald/fixtures"
)

// TestMopayVendorExamples checks every JSON example of the vendor's document,
// extracted to fixtures/mopay/vendor/ with its section, against the
// operation its ACTION names, at the status it shows.
func TestMopayVendorExamples(t *testing.T) {
	doc, err := Load(Mopay)
	if err != nil {
		t.Fatal(err)
	}
	check := NewChecker(Mopay, doc)
	raw, err := fs.ReadFile(fixtures.FS(), "mopay/vendor/index.json")
	if err != nil {
		t.Fatal(err)
	}
	var index struct {
		Examples []struct {
			File      string
			Operation string
			Status    int
			Source    struct{ Document, Section string }
		}
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, ex := range index.Examples {
		b, err := fs.ReadFile(fixtures.FS(), "mopay/vendor/"+ex.File)
		if err != nil {
			t.Fatal(err)
		}
		block := strings.TrimSpace(string(b))
		if ex.Source.Document == "" || ex.Source.Section == "" {
			t.Errorf("%s: the index names no source", ex.File)
		}
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
		status := http.StatusOK
		if env.REQUEST.STATUS != "OK" {
			status = env.ERRORS.CODE
		}
		if env.REQUEST.ACTION != ex.Operation || status != ex.Status {
			t.Errorf("%s: the example is %s %d, the index says %s %d", ex.File, env.REQUEST.ACTION, status, ex.Operation, ex.Status)
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
	// The document has 4 success and 14 error examples (and two empty
	// request bodies, not kept); an index that lists fewer would let
	// examples go unchecked.
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
