package redact

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestHeader(t *testing.T) {
	h := http.Header{"Mpy-Securekey": {"k1"}, "Authorization": {"Bearer t0ken"}, "Content-Type": {"application/json"}, "Monnet-Api-Key": {"abc"}}
	got := Header(h)
	for _, k := range []string{"Mpy-Securekey", "Authorization", "Monnet-Api-Key"} {
		if got.Get(k) != Mark {
			t.Errorf("%s = %q, want redacted", k, got.Get(k))
		}
	}
	if got.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type changed: %q", got.Get("Content-Type"))
	}
	if h.Get("Authorization") != "Bearer t0ken" {
		t.Error("the original header was changed")
	}
}

func TestQuery(t *testing.T) {
	cases := map[string]string{
		"":                                 "",
		"a=1&b=2":                          "a=1&b=2",
		"timestamp=1&signature=abc%3D&x=1": "timestamp=1&signature=REDACTED&x=1",
		"Code=123456":                      "Code=REDACTED",
		"api_key=zz&%zz=1":                 "api_key=REDACTED&%zz=1",
		"sig%6eature=abc":                  "sig%6eature=REDACTED",
	}
	for in, want := range cases {
		if got := Query(in); got != want {
			t.Errorf("Query(%q) = %q, want %q", in, got, want)
		}
	}
	if got := URL("https://h/p?signature=s3cret&ts=1"); strings.Contains(got, "s3cret") {
		t.Errorf("URL kept the signature: %s", got)
	}
}

func TestBody(t *testing.T) {
	in := `{"emal":"a@b.c","pswd":"SecureP@ss1","DATA":{"pbcKey":"pk","secret":"0a1b"},"list":[{"password":"x"}],"n":12345678901234567890}`
	got := string(Body([]byte(in)))
	for _, s := range []string{"SecureP@ss1", "0a1b", `"password":"x"`} {
		if strings.Contains(got, s) {
			t.Errorf("body kept %q: %s", s, got)
		}
	}
	for _, s := range []string{`"emal":"a@b.c"`, "12345678901234567890"} {
		if !strings.Contains(got, s) {
			t.Errorf("body lost %q: %s", s, got)
		}
	}
	plain := `{"subject":"hello"}`
	if got := string(Body([]byte(plain))); got != plain {
		t.Errorf("a body without secrets changed: %s", got)
	}
	if got := string(Body([]byte(`pswd="x" "pswd"`))); strings.Contains(got, `"x"`) {
		t.Errorf("a non-JSON body naming a secret was kept: %s", got)
	}
	spaced := `{ "title": "the secret garden" }`
	if got := string(Body([]byte(spaced))); got != spaced {
		t.Errorf("a value that merely mentions a secret changed: %s", got)
	}
}

// A header's name is secret whatever its case; others are not, however
// close.
func TestIsSecretHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "AUTHORIZATION": true, "mpy-reqsignal": true, "Mpy-Securekey": true, "X-Api-Key": true,
		"Set-Cookie": true, "Monnet-Api-Key": true, "Verification": true, "Signature": true, "Proxy-Authorization": true,
		"Authorizations": false, "X-Authorization": false, "Content-Type": false, "Mpy-Reqtime": false, "": false, "Api-Key": false,
	} {
		if got := IsSecretHeader(name); got != want {
			t.Errorf("IsSecretHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

// mayHoldSecret is a case-insensitive search for each word, in one pass.
func TestMayHoldSecret(t *testing.T) {
	naive := func(b string) bool {
		low := strings.ToLower(b)
		for _, w := range []string{"pswd", "pass", "secret", "private", "pbckey", "api_secret", "apisecret", `\u`, "ſ", "\u212a"} {
			if strings.Contains(low, w) || strings.Contains(b, w) {
				return true
			}
		}
		return false
	}
	for _, b := range []string{"", `"`, `""`, `"p`, `{"pswd":1}`, `{"a":"b","passwordX":2}`, `x"api`, `"Private`, `"PRIVATE`,
		`{"notices":[{"ttle":"a","read":false}]}`, `"s"s"secret"`, `"SECRET`, `"Secre`, `"apx`, `""pass`, "PSWD=x", `{"p\u0073wd":1}`,
		"pſwd=1", "pbc\u212aey", "pbcKEY", "ps", "secre", "API_SECRET"} {
		if got, want := mayHoldSecret([]byte(b)), naive(b); got != want {
			t.Errorf("mayHoldSecret(%q) = %v, want %v", b, got, want)
		}
	}
}

// referenceBody is Body without its shortcut: every body that may hold a
// secret and looks like JSON is decoded.
func referenceBody(b []byte) []byte {
	if !mayHoldSecret(b) {
		return b
	}
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		return form(b)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return []byte(Mark + " (a body that is not valid JSON and may hold a secret)")
	}
	if !blank(v) {
		return b
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(Mark)
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

// Body answers as the decoding it skips would have.
func TestBodyAsDecoded(t *testing.T) {
	bodies := []string{
		`{"ttle":"Password changed","read":false}`,
		`{"notices":[{"ttle":"your secret","x":"api"},{"pswd":"p"}]}`,
		`{"a":"x\"pswd\":1","b":"\\"}`,
		`{"a":"x\\","pswd":"y"}`,
		`{"ps\u0077d":"hidden","note":"pass"}`,
		`{"note":"pass","PSWD" : "x"}`,
		`{"note":"pass","PaSsWoRd"	:"x"}`,
		`{"DATA":{"Secret":"s","pbcKey":"k"}}`,
		`{"private_key":{"n":1},"x":["secret"]}`,
		`["pass", "apisecret", {"apisecret": 1}]`,
		`"password"`,
		`{"note":"pass"} trailing`,
		`{"note":"pass"`,
		`pswd="x" "pswd"`,
		`{"note":"pass","n":12345678901234567890}`,
		`{"note": "api", "list": [1, 2, {"passwd": null}]}`,
		`{"key":"value"}`,
		`{"passwordHint":"pass"}`,
	}
	for _, b := range bodies {
		if got, want := string(Body([]byte(b))), string(referenceBody([]byte(b))); got != want {
			t.Errorf("Body(%s) = %s, decoding gives %s", b, got, want)
		}
	}
}

// validJSON is json.Valid.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{``, ` `, `{}`, `[]`, `{"a":1}`, `{"a":[1,2,{"b":null}]}`, ` "x" `, `"\u00e9\n"`, `"\u00g9"`, `"\x"`,
		`-0.5e+10`, `01`, `-`, `1.`, `1e`, `.5`, `true`, `tru`, `nulll`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{1:2}`, "\"\x01\"", "\"\xff\"",
		`[[[[]]]]`, `{"a":"b"} {"c":1}`, `{"a":"b"}]`, `"\\"`, `"\\\""`, `1E-3`, `-01`, `[-]`,
		`{"abcdefghijklmnop":"qrstuvwx\"yz0123456789abcdef\u0041ghijklmnopqrst\\"}`, "\"abcdefghijk\x1flmnop\"", "\"abcdefgh\xc3\xa9ijklmnopq\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid %v", b, got, want)
		}
	})
}

// validJSON refuses nesting where json.Valid does.
func TestValidJSONDepth(t *testing.T) {
	for _, n := range []int{9999, 10000, 10001, 10002} {
		b := []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("%d deep: validJSON %v, json.Valid %v", n, got, want)
		}
	}
}

// Body answers as decoding every hinted body did, but that it withholds a
// body the decoder took though it is not JSON (a stray ] or } after it).
func FuzzBodyAsDecoded(f *testing.F) {
	for _, s := range []string{`{"ttle":"Password changed"}`, `{"pswd":"x"}`, `{"a":"x\"pswd\":1"}`, `{"ps\u0077d":"h","n":"pass"}`,
		`["secret",{"Secret":1}]`, `pswd="x" "pswd"`, `{"note":"pass"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := Body(b), referenceBody(b)
		if bytes.Equal(got, want) {
			return
		}
		if !json.Valid(b) && bytes.HasPrefix(got, []byte(Mark)) {
			return
		}
		t.Errorf("Body(%q) = %q, decoding gives %q", b, got, want)
	})
}

// Member names fold as the regular expression (?i) folds them.
func TestIsSecretMemberFolds(t *testing.T) {
	re := regexp.MustCompile(`(?i)^(pswd|password|passwd|secret|apisecret|api_secret|privatekey|private_key|pbckey)$`)
	for _, name := range []string{"pswd", "PSWD", "Password", "paſſword", "ſecret", "privateKey", "private\u212aey", "api_secret", "apiSecret",
		"", "p", "pswd ", "secrets", "Xsecret", "notice", "_secret", "APISECRET", "Ѕecret"} {
		if got, want := isSecretMember([]byte(name)), re.MatchString(name); got != want {
			t.Errorf("isSecretMember(%q) = %v, the expression says %v", name, got, want)
		}
	}
}

// What an integrator's mistakes send still has its secrets blanked: a form
// body, a member in another case, an escaped name.
func TestBodyMistakes(t *testing.T) {
	for in, secret := range map[string]string{
		"pswd=Notices2023&emal=a%40b.c":            "Notices2023",
		`{"Pswd":"LeakOne1","emal":"a@b.c"}`:       "LeakOne1",
		`{"p\u0073wd":"LeakTwo2","emal":"a@b.c"}`:  "LeakTwo2",
		`{"DATA":{"pbcKey":"k3y","secret":"s3c"}}`: "k3y",
		`{"pswd":"x", "pswd":"Dup1icate"}`:         "Dup1icate",
		`pswd: NotJson1`:                           "NotJson1",
		`{"pswd":"Half1"`:                          "Half1",
	} {
		got := string(Body([]byte(in)))
		if strings.Contains(got, secret) {
			t.Errorf("%s: kept %q: %s", in, secret, got)
		}
	}
	if got := string(Body([]byte("pswd=Notices2023&emal=a%40b.c"))); got != "pswd=REDACTED&emal=a%40b.c" {
		t.Errorf("form body: %s", got)
	}
	if got := string(Body([]byte(`{"pswd":"x","note":"<b>"}`))); got != `{"note":"<b>","pswd":"<redacted>"}` {
		t.Errorf("re-encoded body: %s", got)
	}
}
