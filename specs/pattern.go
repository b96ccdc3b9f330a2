package specs

import (
	"regexp"
	"regexp/syntax"
	"unicode/utf8"
)

// A pattern is matched by Go's regexp, as kin-openapi does, except the
// common anchored shape "^" + a few single characters + one repeated
// character class + "$" ("^[0-9]+$", "^[a-z][a-z0-9]{0,31}$"), which a
// direct loop matches several times faster. Both read the text rune by
// rune the same way (an invalid UTF-8 byte is U+FFFD), and the anchored
// shape has one way to match, so their verdicts are the same;
// TestRunMatcher compares them.
type matcher struct {
	re  *regexp.Regexp
	run []runeStep // when the pattern has the anchored shape
}

// runeStep matches between min and max runes (max < 0: no limit) of a
// class, given as inclusive ranges lo, hi, lo, hi…
type runeStep struct {
	ascii    [2]uint64 // the ASCII runes of the class, as bits
	ranges   []rune
	min, max int
}

func newStep(ranges []rune, min, max int) runeStep {
	st := runeStep{ranges: ranges, min: min, max: max}
	for k := 0; k < len(ranges); k += 2 {
		for r := ranges[k]; r <= ranges[k+1] && r < utf8.RuneSelf; r++ {
			st.ascii[r>>6] |= 1 << (r & 63)
		}
	}
	return st
}

func compilePattern(pattern string) (*matcher, error) {
	expr := intoGoRegexp(pattern)
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	return &matcher{re: re, run: runSteps(expr)}, nil
}

// runSteps returns the steps of an anchored pattern, or nil when it has
// another shape. Every step but the last matches a fixed number of runes,
// so matching step by step, each as far as it goes, is the only way.
func runSteps(expr string) []runeStep {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil || re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return nil
	}
	subs := re.Sub
	if subs[0].Op != syntax.OpBeginText || subs[len(subs)-1].Op != syntax.OpEndText {
		return nil
	}
	steps := []runeStep{}
	for _, sub := range subs[1 : len(subs)-1] {
		switch sub.Op {
		case syntax.OpLiteral:
			if sub.Flags&syntax.FoldCase != 0 {
				return nil
			}
			for _, r := range sub.Rune {
				steps = append(steps, newStep([]rune{r, r}, 1, 1))
			}
			continue
		case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
			cls := oneRune(sub.Sub[0])
			if cls == nil {
				return nil
			}
			lo, hi := sub.Min, sub.Max
			switch sub.Op {
			case syntax.OpStar:
				lo, hi = 0, -1
			case syntax.OpPlus:
				lo, hi = 1, -1
			case syntax.OpQuest:
				lo, hi = 0, 1
			}
			steps = append(steps, newStep(cls, lo, hi))
			continue
		}
		cls := oneRune(sub)
		if cls == nil {
			return nil
		}
		steps = append(steps, newStep(cls, 1, 1))
	}
	for _, st := range steps[:max(len(steps)-1, 0)] {
		if st.min != st.max {
			return nil
		}
	}
	return steps
}

// oneRune returns the ranges of an expression that matches exactly one
// rune, or nil.
func oneRune(re *syntax.Regexp) []rune {
	switch re.Op {
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return nil
		}
		return re.Rune
	case syntax.OpLiteral:
		if len(re.Rune) == 1 && re.Flags&syntax.FoldCase == 0 {
			return []rune{re.Rune[0], re.Rune[0]}
		}
	case syntax.OpAnyCharNotNL:
		return []rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune}
	case syntax.OpAnyChar:
		return []rune{0, utf8.MaxRune}
	}
	return nil
}

func (m *matcher) match(b []byte) bool {
	if m.run == nil {
		return m.re.Match(b)
	}
	i := 0
	for k := range m.run {
		st := &m.run[k]
		if k < len(m.run)-1 {
			for range st.min {
				w := st.one(b[i:])
				if w == 0 {
					return false
				}
				i += w
			}
			continue
		}
		n := 0
		for i < len(b) {
			w := st.one(b[i:])
			if w == 0 {
				return false
			}
			i += w
			n++
			if st.max >= 0 && n > st.max {
				return false
			}
		}
		return n >= st.min
	}
	return i == len(b)
}

func (m *matcher) matchString(s string) bool {
	if m.run == nil {
		return m.re.MatchString(s)
	}
	return m.match([]byte(s))
}

// one returns the width of the rune at the start of b when the class has
// it, else 0.
func (st *runeStep) one(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	if c := b[0]; c < utf8.RuneSelf {
		if st.ascii[c>>6]&(1<<(c&63)) != 0 {
			return 1
		}
		return 0
	}
	r, w := utf8.DecodeRune(b)
	for k := 0; k < len(st.ranges); k += 2 {
		if r < st.ranges[k] {
			return 0
		}
		if r <= st.ranges[k+1] {
			return w
		}
	}
	return 0
}
