package mopay

import (
	"encoding/json"
	"testing"
)

// The envelope writes as the vendor's answers read: REQUEST first, DATA or
// ERRORS, and only the error's ID or MSG.
func TestEnvelopeShape(t *testing.T) {
	name := "signature_invalid"
	failed := Envelope{REQUEST: Request{VERSION: "1.0", ACTION: "user_notice_fetch", STATUS: "FAILED"},
		ERRORS: &Errors{CODE: 401, MSG: &name, DETAILS: "bad"}}
	b, err := json.Marshal(failed)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"REQUEST":{"VERSION":"1.0","ACTION":"user_notice_fetch","STATUS":"FAILED"},"ERRORS":{"CODE":401,"MSG":"signature_invalid","DETAILS":"bad"}}`; string(b) != want {
		t.Fatalf("failure envelope:\n got %s\nwant %s", b, want)
	}
	var back Envelope
	if err := json.Unmarshal([]byte(`{"REQUEST":{"VERSION":"1.0","ACTION":"a","STATUS":"OK"},"DATA":{"x":1}}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.REQUEST.STATUS != "OK" || string(back.DATA) != `{"x":1}` || back.ERRORS != nil {
		t.Fatalf("read back %+v", back)
	}
}
