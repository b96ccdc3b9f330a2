package monnet

import "testing"

// TestTamperChangesOneDigit pins tamper: the amount's first digit goes up
// by one, 9 wrapping to 0; without an amount, the body's first digit; a
// body with no digit where it looks is refused, never indexed past its end.
func TestTamperChangesOneDigit(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"amount":"912.50"}`, `{"amount":"012.50"}`},
		{`{"amount":"012"}`, `{"amount":"112"}`},
		{`{"amount":"5"}`, `{"amount":"6"}`},
		{`{"id":"77","amount":"3"}`, `{"id":"77","amount":"4"}`},
		{`"amount":"8"`, `"amount":"9"`},
		{`{"n":"a9"}`, `{"n":"a0"}`},
		{`{"n":"0"}`, `{"n":"1"}`},
		{`7`, `8`},
	} {
		got, err := tamper([]byte(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("tamper(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{`{"n":"x"}`, `{"amount":"x1"}`, `{"amount":"/"}`, `{"amount":":"}`, `{"a":"1","amount":"`, `"amount":"x","n":"1"`, ``} {
		if got, err := tamper([]byte(in)); err == nil {
			t.Errorf("tamper(%s) = %s, want an error", in, got)
		}
	}
}
