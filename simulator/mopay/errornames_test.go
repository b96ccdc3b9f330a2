package mopay

import (
	"fmt"
	wire "herald/specs/wire/mopay"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/simulator/engine"
	"herald/specs"
)

// An unknown action is named in the envelope's ACTION, as the vendor's
// action_unknown example does.
func TestUnknownActionIsNamedInTheEnvelope(t *testing.T) {
	h := newHarness(t)
	a := h.do("GET", "/user_unknown_fetch", nil, "")
	a.failed(t, "MSG", "action_unknown", 404)
	if a.Env.REQUEST.ACTION != "user_unknown_fetch" {
		t.Fatalf("ACTION %q, want user_unknown_fetch: %s", a.Env.REQUEST.ACTION, a.Raw)
	}
}

// The timestamp header is at most 12 digits: a 12-digit one is read as a
// time (far from now), a 13-digit one is no unix time at all.
func TestTimestampLengthBound(t *testing.T) {
	h := newHarness(t)
	c := h.login("amara.okafor@example.com", "Notices2023")
	for ts, want := range map[string]string{
		"999999999999":  "from the server time",
		"1000000000000": "must be unix seconds",
	} {
		hd := h.signed(c)
		hd.Set(wire.HeaderTimestamp, ts)
		hd.Set(wire.HeaderSignature, wire.Signature(c.Secret, ts))
		a := h.do("GET", "/user_notice_fetch", hd, "")
		a.failed(t, "MSG", "timestamp_expired", 401)
		if !strings.Contains(a.Env.ERRORS.DETAILS, want) {
			t.Errorf("timestamp %s: DETAILS %q, want it to say %q", ts, a.Env.ERRORS.DETAILS, want)
		}
	}
}

func TestErrorText(t *testing.T) {
	if got := (&Error{Name: "rqat_required"}).Error(); got != "rqat_required" {
		t.Errorf("without detail: %q", got)
	}
	if got := fail("emal_invalid", "body field %s", "emal").Error(); got != "emal_invalid: body field emal" {
		t.Errorf("with detail: %q", got)
	}
}

// A body field's x-mopay-invalid extension names its error, as a
// parameter's does; without one the name is <field>_invalid.
func TestBodyFieldErrorExtension(t *testing.T) {
	schema := openapi3.NewObjectSchema().
		WithProperty("amt", openapi3.NewStringSchema()).
		WithProperty("note", openapi3.NewStringSchema())
	schema.Properties["amt"].Value.Extensions = map[string]any{"x-mopay-invalid": "amount_bad"}
	op := &openapi3.Operation{RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithJSONSchema(schema)}}
	for field, want := range map[string]string{"amt": "amount_bad", "note": "note_invalid"} {
		if got := fieldError(op, &engine.Problem{Kind: engine.Invalid, In: "body", Field: field}, "x-mopay-invalid", "_invalid"); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
	if got := fieldExtension(&openapi3.Operation{}, "body", "amt", "x-mopay-invalid"); got != "" {
		t.Errorf("an operation without a body: %q", got)
	}
	noSchema := &openapi3.Operation{RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithContent(openapi3.NewContentWithJSONSchema(nil))}}
	if got := fieldExtension(noSchema, "body", "amt", "x-mopay-invalid"); got != "" {
		t.Errorf("a body without a schema: %q", got)
	}
}

// A property the body may not have (a spec that closes the body) is
// body_invalid, not an error name the spec does not have.
func TestUnexpectedBodyPropertyIsBodyInvalid(t *testing.T) {
	doc, err := specs.Load(specs.Mopay)
	if err != nil {
		t.Fatal(err)
	}
	no := false
	doc.Components.Schemas["ProfileCreateRequest"].Value.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	sim, c := frozenSim(t, Config{Doc: doc})
	h := &harness{t: t, sim: sim, clock: c}
	h.srv = httptest.NewServer(sim.Handler())
	t.Cleanup(h.srv.Close)
	a := h.do("POST", "/user_profile_create", nil, fmt.Sprintf(`{"fsnm":"Ada","lsnm":"Obi","emal":%q,"pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n","zzz":1}`, "extra@example.com"))
	a.failed(t, "MSG", "body_invalid", 400)
}
