package mopay

import "encoding/json"

// Envelope is every Mopay answer: REQUEST, then DATA on success or ERRORS
// on failure.
type Envelope struct {
	REQUEST Request
	DATA    json.RawMessage `json:",omitempty"`
	ERRORS  *Errors         `json:",omitempty"`
}

// Request says which action was asked and how it went: STATUS "OK" or
// "FAILED".
type Request struct {
	VERSION string
	ACTION  string
	STATUS  string
}

// Errors is a failure: CODE, the HTTP status; ID or MSG, the error's name
// (the vendor uses one or the other, per error); DETAILS, the text.
type Errors struct {
	CODE    int
	ID      *string `json:",omitempty"`
	MSG     *string `json:",omitempty"`
	DETAILS string
}
