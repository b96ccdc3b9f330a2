package specs

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"herald/fixtures"
)

// monnetIndex is fixtures/monnet/vendor/index.json.
type monnetIndex struct {
	Examples []struct {
		File       string            `json:"file"`
		VendorText string            `json:"vendorText"`
		Document   string            `json:"document"`
		Section    string            `json:"section"`
		Operation  string            `json:"operation"`
		Kind       string            `json:"kind"`
		Method     string            `json:"method"`
		Stage      string            `json:"stage"`
		Status     json.RawMessage   `json:"status"`
		Headers    map[string]string `json:"headers"`
		Repairs    []struct {
			Part, Where, How, Old, New string
		} `json:"repairs"`
	} `json:"examples"`
}

// TestMonnetVendorExamples checks every example of the index: that its
// file is the vendor's text with exactly the recorded repairs, that it is
// JSON, and that the spec accepts it for its operation.
func TestMonnetVendorExamples(t *testing.T) {
	doc, err := Load(Monnet)
	if err != nil {
		t.Fatal(err)
	}
	check := NewChecker(Monnet, doc)
	raw, err := fs.ReadFile(fixtures.FS(), "monnet/vendor/index.json")
	if err != nil {
		t.Fatal(err)
	}
	var index monnetIndex
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	checked, notifications := 0, 0
	for _, ex := range index.Examples {
		if ex.Document == "" || ex.Section == "" || ex.Operation == "" {
			t.Errorf("%s: the index must name its document, section and operation", ex.File)
		}
		body, err := fs.ReadFile(fixtures.FS(), "monnet/vendor/"+ex.File)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		header := http.Header{"Content-Type": {"application/json"}}
		if ex.VendorText != "" {
			text, err := fs.ReadFile(fixtures.FS(), "monnet/vendor/"+ex.VendorText)
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			head, rest, ok := strings.Cut(string(text), "body:")
			if !ok {
				t.Errorf("%s: no body: in the vendor's text", ex.VendorText)
				continue
			}
			parts := map[string]string{"headers": head, "body": rest}
			for _, r := range ex.Repairs {
				if n := strings.Count(parts[r.Part], r.Old); n != 1 {
					t.Errorf("%s: repair at %s: its old text occurs %d times in the %s, want once", ex.File, r.Where, n, r.Part)
				}
				if r.Where == "" || r.How == "" {
					t.Errorf("%s: a repair must say where and how", ex.File)
				}
				parts[r.Part] = strings.Replace(parts[r.Part], r.Old, r.New, 1)
			}
			if parts["body"] != string(body) {
				t.Errorf("%s is not %s with the recorded repairs", ex.File, ex.VendorText)
			}
			var h map[string]string
			if err := json.Unmarshal([]byte(parts["headers"]), &h); err != nil {
				t.Errorf("%s: the repaired headers are not JSON: %v", ex.File, err)
			}
			for k, v := range h {
				if ex.Headers[k] != v {
					t.Errorf("%s: header %s is %q in the vendor's text, %q in the index", ex.File, k, v, ex.Headers[k])
				}
			}
		} else if len(ex.Repairs) > 0 {
			t.Errorf("%s: repairs recorded without the vendor's text", ex.File)
		}
		if !json.Valid(body) {
			t.Errorf("%s is not valid JSON", ex.File)
			continue
		}
		for k, v := range ex.Headers {
			header.Set(k, v)
		}
		switch ex.Kind {
		case "request":
			if ex.Operation == "payoutNotification" {
				if ex.Headers["verification"] == "" {
					header.Set("verification", "c2lnbmF0dXJl") // the test vector's is checked in simulator/monnet
				}
				err = check.Webhook(ex.Operation, ex.Method, header, body)
				notifications++
			} else {
				err = checkRequestBody(check, ex.Operation, body)
			}
		case "response":
			var status int
			_ = json.Unmarshal(ex.Status, &status)
			err = check.Response(ex.Operation, status, header, body)
		default:
			t.Errorf("%s: kind %q, want request or response", ex.File, ex.Kind)
			continue
		}
		if err != nil {
			t.Errorf("vendor example %s (%s) is rejected by the spec: %v", ex.File, ex.Section, err)
		}
		checked++
	}
	// The notification page has 5 body examples and the test vector; the
	// payout pages have 3 more. Fewer would let examples go unchecked.
	if checked != 9 || notifications != 6 {
		t.Errorf("checked %d vendor examples (%d notifications), want 9 (6)", checked, notifications)
	}
}

// checkRequestBody checks a request body against an operation's schema.
func checkRequestBody(check *Checker, operationID string, body []byte) error {
	route := check.Route(operationID)
	schema := route.Operation.RequestBody.Value.Content.Get("application/json").Schema.Value
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return Simplify(schema.VisitJSON(v))
}

// TestMonnetNotificationSchemaRefuses proves the notification check can
// fail: each body breaks one documented rule.
func TestMonnetNotificationSchemaRefuses(t *testing.T) {
	doc, err := Load(Monnet)
	if err != nil {
		t.Fatal(err)
	}
	check := NewChecker(Monnet, doc)
	payout := `"payout":{"merchantId":"1","id":"2","orderId":"o","amount":"100","currency":"MXN","bankCode":"072","name":"N"}`
	h := func(sig string) http.Header {
		x := http.Header{"Content-Type": {"application/json"}}
		if sig != "" {
			x.Set("verification", sig)
		}
		return x
	}
	ok := `{` + payout + `,"output":{"stage":"SUCCESS","status":"PROCESSED","statusChangeDateTime":"2024-05-29T13:16:57.267524Z"}}`
	if err := check.Webhook("payoutNotification", "POST", h("c2ln"), []byte(ok)); err != nil {
		t.Fatalf("a valid notification is refused: %v", err)
	}
	cases := map[string]struct {
		sig, body string
	}{
		"no verification header":       {"", ok},
		"verification not base64":      {"not base64!", ok},
		"numeric amount":               {"c2ln", strings.Replace(ok, `"amount":"100"`, `"amount":100`, 1)},
		"SUCCESS with errors":          {"c2ln", strings.Replace(ok, `}}`, `},"errors":[{"code":"4099","message":"x"}]}`, 1)},
		"REJECTED_BANK without errors": {"c2ln", `{` + payout + `,"output":{"stage":"REJECTED","status":"REJECTED_BANK","statusChangeDateTime":"20220110223001"}}`},
		"IN_PROGRESS notified":         {"c2ln", `{` + payout + `,"output":{"stage":"IN_PROGRESS","status":"CREATED","statusChangeDateTime":"20220110223001"}}`},
		"no payout id":                 {"c2ln", strings.Replace(ok, `"id":"2",`, ``, 1)},
		"bad date":                     {"c2ln", strings.Replace(ok, `2024-05-29T13:16:57.267524Z`, `yesterday`, 1)},
	}
	for name, c := range cases {
		if err := check.Webhook("payoutNotification", "POST", h(c.sig), []byte(c.body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := check.Webhook("payoutNotification", "PUT", h("c2ln"), []byte(ok)); err == nil {
		t.Error("PUT accepted")
	}
	if ids := check.WebhookIDs(); len(ids) != 1 || ids[0] != "payoutNotification" {
		t.Errorf("webhooks %v, want [payoutNotification]", ids)
	}
	for _, id := range check.OperationIDs() {
		if id == "payoutNotification" {
			t.Error("the callback is among the served operations")
		}
	}
}
