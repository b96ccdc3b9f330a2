package monnet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/simulator/engine"
	wire "herald/specs/wire/monnet"
)

// apiError is a payout-API failure with a Monnet error code. Detail says
// exactly what is wrong; it is appended to messages that name no field.
type apiError struct {
	Code   string
	Detail string
	// Field replaces "[field]" in the message of 1035.
	Field string
	// Status is the HTTP status; 0 is 401 for 1001 and 400 for the others.
	Status int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Detail }

func apiFail(code, format string, args ...any) *apiError {
	return &apiError{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// invalidAttribute is error 1035 for a field.
func invalidAttribute(field, format string, args ...any) *apiError {
	return &apiError{Code: "1035", Field: field, Detail: fmt.Sprintf(format, args...)}
}

// catalogue holds the messages of the spec's error codes, from
// components.x-monnet-error-codes and the named error examples.
type catalogue struct {
	messages map[string]string
}

// detailedCodes are the codes whose message names no field: the detail is
// appended to them.
func detailedCodes() []string { return []string{"1001", "1035", "4099"} }

func detailed(code string) bool { return code == "1001" || code == "1035" || code == "4099" }

func newCatalogue(doc *openapi3.T) (*catalogue, error) {
	messages, err := wire.ErrorMessages(doc)
	if err != nil {
		return nil, err
	}
	c := &catalogue{messages: messages}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for status, resp := range op.Responses.Map() {
				n, err := strconv.Atoi(status)
				if err != nil || n < 400 || resp.Value == nil {
					continue
				}
				mt := resp.Value.Content.Get("application/json")
				if mt == nil {
					continue
				}
				for name, ex := range mt.Examples {
					if _, ok := c.messages[name]; ok || detailed(name) {
						continue
					}
					v, _ := ex.Value.Value.(map[string]any)
					list, _ := v["errors"].([]any)
					if len(list) != 1 {
						return nil, fmt.Errorf("monnet spec: %s example %s has %d errors, want 1", op.OperationID, name, len(list))
					}
					first, _ := list[0].(map[string]any)
					if first["code"] != name {
						return nil, fmt.Errorf("monnet spec: %s example %s has code %v", op.OperationID, name, first["code"])
					}
					c.messages[name], _ = first["message"].(string)
				}
			}
		}
	}
	for _, code := range detailedCodes() {
		if c.messages[code] == "" {
			return nil, fmt.Errorf("monnet spec: no message for error %s", code)
		}
	}
	return c, nil
}

// message is the text of an error: the vendor's message, "[field]" filled
// in, and the detail appended where the message names no field.
func (c *catalogue) message(e *apiError) string {
	msg := c.messages[e.Code]
	if e.Field != "" {
		msg = strings.Replace(msg, "[field]", "["+e.Field+"]", 1)
	}
	if detailed(e.Code) && e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

type errorAnswer struct {
	Errors []errorItem `json:"errors"`
}

type errorItem = wire.ErrorItem

// missingCode is the "Missing field" code of a body field (a JSON pointer),
// "" for none.
func missingCode(pointer string) string {
	switch pointer {
	case "/country":
		return "1010"
	case "/amount":
		return "1011"
	case "/currency":
		return "1012"
	case "/orderId":
		return "1013"
	case "/beneficiary":
		return "1014"
	case "/beneficiary/name":
		return "1015"
	case "/beneficiary/lastName":
		return "1016"
	case "/beneficiary/document":
		return "1017"
	case "/beneficiary/document/type":
		return "1019"
	case "/destination":
		return "1020"
	case "/destination/bankAccount":
		return "1021"
	case "/beneficiary/document/number":
		return "1022"
	case "/destination/bankAccount/bankCode":
		return "1023"
	case "/destination/bankAccount/accountType":
		return "1024"
	}
	return ""
}

// invalidCode is the code of a body field's value of the wrong kind, ""
// for none.
func invalidCode(pointer string) string {
	switch pointer {
	case "/country":
		return "1102"
	case "/currency":
		return "1104"
	case "/amount":
		return "1117"
	case "/beneficiary/document/type":
		return "1118"
	case "/destination/bankAccount/accountNumber":
		return "1111"
	case "/destination/bankAccount/cci":
		return "1112"
	case "/destination/bankAccount/cbu":
		return "1113"
	case "/destination/bankAccount/clabe":
		return "1114"
	case "/destination/bankAccount/bankCode":
		return "1115"
	}
	return ""
}

// dotted turns "/a/b" into "a.b", as the vendor's messages name fields.
func dotted(pointer string) string {
	return strings.ReplaceAll(strings.TrimPrefix(pointer, "/"), "/", ".")
}

// classify maps a failure to a Monnet error and its status.
func (s *Sim) classify(ex *engine.Exchange, err error) (*apiError, int) {
	var ae *apiError
	if errors.As(err, &ae) {
		if ae.Status != 0 {
			return ae, ae.Status
		}
		return ae, statusOf(ae.Code)
	}
	var p *engine.Problem
	if !errors.As(err, &p) {
		return apiFail("4099", "unexpected failure"), http.StatusInternalServerError
	}
	switch p.Kind {
	case engine.NotFound:
		return invalidAttribute("path", "no operation at this path; the API is /api/v1/{merchantId}/payouts[/{id}]"), http.StatusNotFound
	case engine.MethodNotAllowed:
		return invalidAttribute("method", "%s", p.Reason), http.StatusMethodNotAllowed
	case engine.BodyTooLarge:
		return invalidAttribute("body", "%s", p.Reason), http.StatusRequestEntityTooLarge
	case engine.HeadersTooLarge:
		return invalidAttribute("header", "%s", p.Reason), http.StatusRequestHeaderFieldsTooLarge
	case engine.ContentType:
		return invalidAttribute(p.Field, "%s", p.Reason), http.StatusUnsupportedMediaType
	case engine.BodyInvalid:
		return invalidAttribute("body", "%s", p.Reason), http.StatusBadRequest
	case engine.Missing, engine.Invalid:
		if p.In == "path" && p.Field == "id" {
			return invalidAttribute("id", "%s", p.Describe()), http.StatusNotFound
		}
		if p.In != "body" {
			return invalidAttribute(p.Field, "%s", p.Describe()), http.StatusBadRequest
		}
		ptr := p.Pointer
		if ptr == "" {
			ptr = "/" + p.Field
		}
		missing := p.Kind == engine.Missing || strings.Contains(p.Reason, "minimum string length") ||
			(strings.HasPrefix(p.Reason, "property ") && strings.HasSuffix(p.Reason, " is missing"))
		if code := missingCode(ptr); code != "" && missing {
			return &apiError{Code: code}, http.StatusBadRequest
		}
		if p.Reason == "this property is not allowed" {
			return invalidAttribute(dotted(ptr), "this property is not allowed"), http.StatusBadRequest
		}
		if ptr == "/orderId" && strings.Contains(p.Reason, "maximum string length") {
			return &apiError{Code: "1031"}, http.StatusBadRequest
		}
		if ptr == "/amount" {
			// A number that is no amount (-0, 1.5, 10^400) is named with
			// what an amount must be; 1117 "must be a number" is for the rest.
			if n, ok := bodyNumber(ex.Body, "amount"); ok {
				if ae := checkAmount(n); ae != nil {
					return ae, http.StatusBadRequest
				}
			}
		}
		if code := invalidCode(ptr); code != "" {
			return &apiError{Code: code}, http.StatusBadRequest
		}
		return invalidAttribute(dotted(ptr), "%s", p.Reason), http.StatusBadRequest
	case engine.Ambiguous:
		return invalidAttribute(p.Field, "%s", p.Describe()), http.StatusBadRequest
	case engine.Credentials: // herald proxy's refusal of a signature it checked
		return apiFail("1001", "%s", p.Reason), http.StatusUnauthorized
	case engine.Upstream: // herald proxy's: the vendor did not answer
		return apiFail("4099", "%s", p.Reason), p.Status
	case engine.Fault:
		code := "4099"
		switch p.Status {
		case http.StatusUnauthorized:
			code = "1001"
		case http.StatusBadRequest, http.StatusNotFound:
			code = "1035"
		}
		return &apiError{Code: code, Field: "request", Detail: p.Reason}, p.Status
	default:
		return apiFail("4099", "the simulator failed: %s", p.Reason), http.StatusInternalServerError
	}
}

// bodyNumber is a top-level member of a JSON body when it is a number, as
// written.
func bodyNumber(body []byte, member string) (json.Number, bool) {
	var v map[string]json.RawMessage
	if json.Unmarshal(body, &v) != nil {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(v[member]))
	dec.UseNumber()
	var x any
	if dec.Decode(&x) != nil {
		return "", false
	}
	n, ok := x.(json.Number)
	return n, ok
}

// statusOf is the status of an error the simulator raises itself.
func statusOf(code string) int {
	if code == "1001" {
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

// render writes a failure as Monnet's {"errors":[…]} answer.
func (s *Sim) render(ex *engine.Exchange, err error) engine.Reply {
	ae, status := s.classify(ex, err)
	b, _ := json.Marshal(errorAnswer{Errors: []errorItem{{Code: ae.Code, Message: s.errors.message(ae)}}})
	return engine.Reply{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: b}
}

// knownCode reports whether the spec documents a code's message.
func (c *catalogue) knownCode(code string) bool { _, ok := c.messages[code]; return ok }

// codes lists the documented codes, sorted.
func (c *catalogue) codes() []string {
	out := make([]string, 0, len(c.messages))
	for code := range c.messages {
		out = append(out, code)
	}
	sort.Strings(out)
	return out
}
