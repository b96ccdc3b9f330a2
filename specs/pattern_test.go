package specs

import (
	"regexp"
	"testing"
)

var matcherPatterns = []string{
	"^[0-9]+$", "^[0-9]{6}$", "^[a-z][a-z0-9]{0,31}$", "^[0-9]{1,12}$", "^ntc_[0-9]*$", "^.?$", "^a.b$",
	"^[^a]+$", "^(?i)[a-z]{2,3}$", "^[\\x{00e9}-\\x{00ff}]{2}$", "^\\u00E9+$", "^[a-z]{2,}$", "^$", "^x$",
	"^(?i)ab$", "^[a-z]+[0-9]$", "[0-9]+", "^[0-9]+", "^(ab)+$", "^a|b$", "^-?([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$",
	"^(?s).{2}$", "^[\\s\\S]{0,3}$", "^\\d+$",
}

var matcherTexts = []string{
	"", "0", "123", "123456", "1234567", "abc", "aBc", "ABC", "a", "ab", "a1", "ntc_", "ntc_12", "ntc_x", "\n", "1\n", "12\n",
	"é", "éé", "ééé", "\xff", "\xff\xff", "1\xff", "ä", "a\nb", "axb", "a\u00e9b", "😀", "😀😀", "-1s", "1h30m", "1.5x",
	"abcdefghijklmnopqrstuvwxyzabcdef", "abcdefghijklmnopqrstuvwxyzabcdefg", "K", "ſ",
}

// TestRunMatcher: the direct loop gives regexp's verdict.
func TestRunMatcher(t *testing.T) {
	direct := 0
	for _, p := range matcherPatterns {
		m, err := compilePattern(p)
		if err != nil {
			t.Fatalf("%q: %v", p, err)
		}
		if m.run != nil {
			direct++
		}
		re := regexp.MustCompile(intoGoRegexp(p))
		for _, s := range matcherTexts {
			if got, want := m.match([]byte(s)), re.MatchString(s); got != want {
				t.Errorf("pattern %q, text %q: %v, regexp says %v", p, s, got, want)
			}
			if got, want := m.matchString(s), re.MatchString(s); got != want {
				t.Errorf("pattern %q, text %q (string): %v, regexp says %v", p, s, got, want)
			}
		}
	}
	if direct < 10 {
		t.Errorf("only %d patterns matched directly", direct)
	}
	for _, p := range []string{"^[0-9]+$", "^[0-9]{6}$", "^[a-z][a-z0-9]{0,31}$"} {
		if m, _ := compilePattern(p); m.run == nil {
			t.Errorf("the documents' pattern %q is not matched directly", p)
		}
	}
}

func FuzzRunMatcher(f *testing.F) {
	for i, p := range matcherPatterns {
		f.Add(p, matcherTexts[i%len(matcherTexts)])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		m, err := compilePattern(p)
		if err != nil || m.run == nil {
			return
		}
		if got, want := m.match([]byte(s)), m.re.MatchString(s); got != want {
			t.Fatalf("pattern %q, text %q: %v, regexp says %v", p, s, got, want)
		}
	})
}
