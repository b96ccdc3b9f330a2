package specs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// decodes reports whether kin-openapi's JSON body decoder (one Decode of
// encoding/json's Decoder) reads a value from body.
func decodes(body []byte) bool {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	return d.Decode(&v) == nil
}

var tapeCases = []string{
	"", " ", "{}", "[]", "{}x", "[]]", "01", "[01]", "-", "-0", "-01", "1.", "1.5", "1.e5", "1e", "1e+", "1e+5", "1E-5", ".5",
	"true", "truex", "tru", "nul", "null", "false ", " \t\r\n1", "\ufeff{}", "\x00", "\"a\"x", "\"\\ud800\"", "\"\xff\"",
	"\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\u12aF\"", "\"a\nb\"", "\"\x7f\"", "\"\x1f\"", "[1,]", "[,1]", "{\"a\":1,}",
	"{,\"a\":1}", "{\"a\" : 1 , \"b\" :[ ] }", "{\"a\"}", "{\"a\":}", "{a:1}", "{'a':1}", "[1 2]", "[\"a\",{\"b\":[null,true]}]",
	"[" + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + "]", strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat("{\"a\":", 10000) + "1" + strings.Repeat("}", 10000), strings.Repeat("{\"a\":", 10001) + "1" + strings.Repeat("}", 10001),
	"\"" + strings.Repeat("abcdefgh", 9) + "\\\"" + strings.Repeat("é", 9) + "\"", "\"12345678\x01\"", "\"1234567\"\"",
}

// TestTapeAcceptsWhatTheDecoderAccepts compares the tape with the decoder.
func TestTapeAcceptsWhatTheDecoderAccepts(t *testing.T) {
	var tp tape
	for _, c := range append(tapeCases, "1", "[1,2,3,4]", `{"":1,"":[]}`, "[[[[]]]]", `[1,"",[],{},true,0]`) {
		if got, want := tp.parse([]byte(c)), decodes([]byte(c)); got != want {
			t.Errorf("%.60q: tape %v, decoder %v", c, got, want)
		}
		if tp.parse([]byte(c)) && len(tp.toks) > len(c)/2+2 {
			t.Errorf("%.60q: %d tokens, more than parse provides for", c, len(tp.toks))
		}
	}
}

// TestTapeText: string values come out as the decoder makes them.
func TestTapeText(t *testing.T) {
	var tp tape
	for _, c := range []string{`"abc"`, `"a\"b"`, `"\u00e9\ud83d\ude00"`, `"\ud800x"`, "\"\xff\xfe\"", `"a\/b\n"`, `"é"`} {
		if !tp.parse([]byte(c)) {
			t.Fatalf("%q does not parse", c)
		}
		var want string
		_ = json.Unmarshal([]byte(c), &want)
		if got := tp.text(0); got != want {
			t.Errorf("%q: %q, want %q", c, got, want)
		}
	}
}

func FuzzTape(f *testing.F) {
	for _, c := range tapeCases {
		if len(c) < 1000 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var tp tape
		got, want := tp.parse(body), decodes(body)
		if got != want {
			t.Fatalf("%q: tape %v, decoder %v", body, got, want)
		}
		if got && len(tp.toks) > len(body)/2+2 {
			t.Fatalf("%q: %d tokens, more than parse provides for", body, len(tp.toks))
		}
	})
}
