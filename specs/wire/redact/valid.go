package redact

import (
	"bytes"
	"encoding/binary"
)

// maxDepth bounds the nesting validJSON follows; deeper is "not JSON"
// (withheld), as encoding/json's decoder refuses beyond 10,000 too.
const maxDepth = 10000

// validJSON is json.Valid, faster: Body checks every body that holds a hint
// (a notice that says "password", say), on every exchange the journal
// records. FuzzValidJSON holds it to json.Valid.
func validJSON(b []byte) bool {
	valid, _, _ := scanJSON(b)
	return valid
}

// scanJSON checks that b is JSON, as json.Valid, and looks at its members'
// names on the way, at any depth: secret when one is a secret's, escaped
// when one holds an escape (only decoding tells what it names).
func scanJSON(b []byte) (valid, secret, escaped bool) {
	s := scan{b: b}
	s.space()
	if !s.value(0) {
		return false, false, false
	}
	s.space()
	return s.i == len(b), s.secret, s.escaped
}

type scan struct {
	b               []byte
	i               int
	secret, escaped bool
}

func (s *scan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// is reports whether the next byte is c, and takes it.
func (s *scan) is(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scan) value(depth int) bool {
	if s.i >= len(s.b) || depth >= maxDepth {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		s.i++
		s.space()
		if s.is('}') {
			return true
		}
		for {
			start := s.i + 1
			if s.i >= len(s.b) || s.b[s.i] != '"' || !s.str() {
				return false
			}
			switch name := s.b[start : s.i-1]; {
			case bytes.IndexByte(name, '\\') >= 0:
				s.escaped = true
			case isSecretMember(name):
				s.secret = true
			}
			s.space()
			if !s.is(':') {
				return false
			}
			s.space()
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.is('}') {
				return true
			}
			if !s.is(',') {
				return false
			}
			s.space()
		}
	case c == '[':
		s.i++
		s.space()
		if s.is(']') {
			return true
		}
		for {
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.is(']') {
				return true
			}
			if !s.is(',') {
				return false
			}
			s.space()
		}
	case c == '"':
		return s.str()
	case c == 't':
		return s.word("true")
	case c == 'f':
		return s.word("false")
	case c == 'n':
		return s.word("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	}
	return false
}

func (s *scan) word(w string) bool {
	if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return true
	}
	return false
}

// ones and highs are a word's bytes' lowest and highest bits.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// str takes a string, at its opening quote. Bytes from 0x80 up pass as
// they are, as json.Valid lets them.
func (s *scan) str() bool {
	s.i++
	for {
		// Eight bytes at a time while none is a quote, a backslash or a
		// control character (the words' usual bit tricks), then one by one.
		for s.i+8 <= len(s.b) {
			x := binary.LittleEndian.Uint64(s.b[s.i:])
			q, bs := x^(ones*'"'), x^(ones*'\\')
			if ((q-ones)&^q|(bs-ones)&^bs|(x-ones*0x20)&^x)&highs != 0 {
				break
			}
			s.i += 8
		}
		for s.i < len(s.b) {
			c := s.b[s.i]
			if c == '"' || c == '\\' || c < 0x20 {
				break
			}
			s.i++
		}
		if s.i >= len(s.b) {
			return false
		}
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return true
		case c < 0x20:
			return false
		}
		s.i++ // a backslash
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			s.i++
		case 'u':
			if len(s.b)-s.i < 5 {
				return false
			}
			for _, h := range s.b[s.i+1 : s.i+5] {
				if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
					return false
				}
			}
			s.i += 5
		default:
			return false
		}
	}
}

func (s *scan) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

// number takes -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func (s *scan) number() bool {
	s.is('-')
	switch {
	case s.is('0'):
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		s.digits()
	default:
		return false
	}
	if s.is('.') && s.digits() == 0 {
		return false
	}
	if s.is('e') || s.is('E') {
		if !s.is('+') {
			s.is('-')
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}
