package specs

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"testing"

	"herald/fixtures"
)

// mnotifyVendorExamples is how many examples were lifted from MNotify's
// documentation into fixtures/mnotify/vendor/.
const mnotifyVendorExamples = 9

type vendorExample struct {
	File   string `json:"file"`
	Source struct {
		Document string `json:"document"`
		Section  string `json:"section"`
	} `json:"source"`
	Operation string `json:"operation"`
	In        string `json:"in"`
	Status    int    `json:"status"`
	Fragment  bool   `json:"fragment"`
	Item      bool   `json:"item"`
}

// TestMNotifyVendorExamples checks every example lifted from the vendor's
// documentation against the operation its index entry names.
func TestMNotifyVendorExamples(t *testing.T) {
	doc, err := Load(Mnotify)
	if err != nil {
		t.Fatal(err)
	}
	check := NewChecker(Mnotify, doc)
	const dir = "mnotify/vendor"
	raw, err := fs.ReadFile(fixtures.FS(), path.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index struct{ Examples []vendorExample }
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	listed := map[string]bool{}
	checked := 0
	for _, ex := range index.Examples {
		listed[ex.File] = true
		if ex.Source.Document == "" || ex.Source.Section == "" {
			t.Errorf("%s: the index does not name its source document and section", ex.File)
		}
		b, err := fs.ReadFile(fixtures.FS(), path.Join(dir, ex.File))
		if err != nil {
			t.Errorf("%s: %v", ex.File, err)
			continue
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("%s is not valid JSON: %v", ex.File, err)
			continue
		}
		route := check.Route(ex.Operation)
		if route == nil {
			t.Errorf("%s: the spec has no operation %s", ex.File, ex.Operation)
			continue
		}
		switch ex.In {
		case "response":
			body := b
			if ex.Item {
				body = append(append([]byte("["), b...), ']')
			}
			h := http.Header{"Content-Type": {"application/json"}}
			if err := check.Response(ex.Operation, ex.Status, h, body); err != nil {
				t.Errorf("%s is rejected by the spec: %v", ex.File, err)
				continue
			}
		case "requestBody":
			mt := route.Operation.RequestBody.Value.Content.Get("application/json")
			schema := mt.Schema.Value
			if !ex.Fragment {
				if err := schema.VisitJSON(v); err != nil {
					t.Errorf("%s is rejected by the spec: %v", ex.File, Simplify(err))
					continue
				}
				break
			}
			obj, _ := v.(map[string]any)
			if len(obj) == 0 {
				t.Errorf("%s: a fragment must be an object of request-body properties", ex.File)
				continue
			}
			bad := false
			for name, value := range obj {
				prop := schema.Properties[name]
				if prop == nil {
					t.Errorf("%s: %s has no property %q", ex.File, ex.Operation, name)
					bad = true
					continue
				}
				if err := prop.Value.VisitJSON(value); err != nil {
					t.Errorf("%s: property %s is rejected by the spec: %v", ex.File, name, Simplify(err))
					bad = true
				}
			}
			if bad {
				continue
			}
		default:
			t.Errorf("%s: 'in' is %q, want requestBody or response", ex.File, ex.In)
			continue
		}
		checked++
	}
	entries, err := fs.ReadDir(fixtures.FS(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "index.json" && strings.HasSuffix(e.Name(), ".json") && !listed[e.Name()] {
			t.Errorf("%s is not in index.json", e.Name())
		}
	}
	if checked < mnotifyVendorExamples {
		t.Errorf("checked %d vendor examples, want %d", checked, mnotifyVendorExamples)
	}
}
