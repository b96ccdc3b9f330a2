package redact

import (
	"net/http"
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
