package specs

import (
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"
)

// The compiled checker reads a body once into a tape: a flat list of tokens
// with byte offsets into the body, no values built. It accepts exactly what
// kin-openapi's JSON body decoder accepts (encoding/json's Decoder, one value
// per Decode): leading white space, one value, and then, at the top level,
// anything at all, which Decode leaves for a next call that never comes. So
// "{}x" and "01" (read as 0) pass, while "[01]" and "" do not.

// Kinds of token.
const (
	tokNull uint8 = iota
	tokFalse
	tokTrue
	tokNumber
	tokString
	tokArray
	tokObject
)

// maxTapeBody is the largest body a tape holds: offsets are int32.
const maxTapeBody = 1<<31 - 2

// maxJSONDepth is encoding/json's limit on nesting.
const maxJSONDepth = 10000

// token is one value on the tape. A container is followed by its elements
// (an object by key, value, key, value…), and next is the index of the token
// after the whole value.
type token struct {
	kind uint8
	// plain: a string without escapes whose bytes are valid UTF-8, so the
	// bytes between the quotes are its value. ascii: plain and ASCII only.
	plain, ascii bool
	// start and end delimit a number's literal or a string's bytes between
	// its quotes.
	start, end int32
	next       int32
	// count is the number of elements of an array or members of an object.
	count int32
}

// tape holds a parsed body. It is reused through the checker's pool.
type tape struct {
	body []byte
	toks []token
}

// parse reads body onto the tape and reports whether it is a JSON value as
// the decoder sees it.
func (t *tape) parse(body []byte) bool {
	t.body = body
	t.toks = t.toks[:0]
	if len(body) > maxTapeBody {
		panic("specs: body too large for a tape")
	}
	// In a body that parses, a token takes two bytes or more (a number one,
	// and the comma or bracket after it), so the tape need not grow while
	// parsing it; a broken one ("[[[[0") may need more.
	if need := len(body)/2 + 2; cap(t.toks) < need {
		t.toks = make([]token, need)
	}
	p := parser{b: body, toks: t.toks[:cap(t.toks)]}
	i := p.ws(0)
	if i >= len(body) {
		return false
	}
	_, ok := p.value(i, 1)
	t.toks = p.toks[:p.n]
	return ok
}

type parser struct {
	b    []byte
	toks []token
	n    int // tokens so far
}

func (p *parser) ws(i int) int {
	if i < len(p.b) && p.b[i] > ' ' {
		return i
	}
	for i < len(p.b) {
		switch p.b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value reads the value starting at b[i] (not white space) and returns the
// index just after it.
func (p *parser) value(i, depth int) (int, bool) {
	b := p.b
	switch c := b[i]; {
	case c == '{':
		return p.object(i, depth)
	case c == '[':
		return p.array(i, depth)
	case c == '"':
		return p.str(i)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(i)
	case c == 't':
		return p.literal(i, "true", tokTrue)
	case c == 'f':
		return p.literal(i, "false", tokFalse)
	case c == 'n':
		return p.literal(i, "null", tokNull)
	}
	return 0, false
}

func (p *parser) push(kind uint8, start, end int) int {
	k := p.n
	if k == len(p.toks) { // only in a broken body: see parse
		p.toks = append(p.toks, make([]token, k+1)...)
	}
	p.toks[k] = token{kind: kind, start: int32(start), end: int32(end), next: int32(k + 1)}
	p.n++
	return k
}

func (p *parser) literal(i int, word string, kind uint8) (int, bool) {
	if len(p.b)-i < len(word) || string(p.b[i:i+len(word)]) != word {
		return 0, false
	}
	p.push(kind, i, i+len(word))
	return i + len(word), true
}

func digit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number(i int) (int, bool) {
	b, j := p.b, i
	if b[j] == '-' {
		j++
	}
	switch {
	case j >= len(b):
		return 0, false
	case b[j] == '0':
		j++
	case b[j] >= '1' && b[j] <= '9':
		for j++; j < len(b) && digit(b[j]); j++ {
		}
	default:
		return 0, false
	}
	if j < len(b) && b[j] == '.' {
		j++
		if j >= len(b) || !digit(b[j]) {
			return 0, false
		}
		for j++; j < len(b) && digit(b[j]); j++ {
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		if j >= len(b) || !digit(b[j]) {
			return 0, false
		}
		for j++; j < len(b) && digit(b[j]); j++ {
		}
	}
	p.push(tokNumber, i, j)
	return j, true
}

// strByte classifies string bytes: 0 ordinary, 1 end or escape, 2 control
// character (invalid), 3 non-ASCII.
var strByte = func() (c [256]uint8) {
	for i := range 0x20 {
		c[i] = 2
	}
	c['"'], c['\\'] = 1, 1
	for i := 0x80; i < 0x100; i++ {
		c[i] = 3
	}
	return c
}()

func hex(c byte) bool {
	return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func (p *parser) str(i int) (int, bool) {
	b := p.b
	escaped, nonASCII := false, false
	j := i + 1
	for {
		// Eight bytes at a time while none ends the string, escapes, is a
		// control character or is not ASCII.
		for j+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[j:])
			const ones, highs = 0x0101010101010101, 0x8080808080808080
			quote, backslash := x^(ones*'"'), x^(ones*'\\')
			if ((quote-ones)&^quote|(backslash-ones)&^backslash|(x-ones*0x20)&^x|x)&highs != 0 {
				break
			}
			j += 8
		}
		for j < len(b) && strByte[b[j]] == 0 {
			j++
		}
		if j >= len(b) {
			return 0, false
		}
		switch strByte[b[j]] {
		case 2:
			return 0, false
		case 3:
			nonASCII = true
			j++
			continue
		}
		if b[j] == '"' {
			break
		}
		// An escape.
		escaped = true
		if j+1 >= len(b) {
			return 0, false
		}
		switch b[j+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			j += 2
		case 'u':
			if j+6 > len(b) || !hex(b[j+2]) || !hex(b[j+3]) || !hex(b[j+4]) || !hex(b[j+5]) {
				return 0, false
			}
			j += 6
		default:
			return 0, false
		}
	}
	k := p.push(tokString, i+1, j)
	tok := &p.toks[k]
	tok.plain = !escaped && (!nonASCII || utf8.Valid(b[i+1:j]))
	tok.ascii = !escaped && !nonASCII
	return j + 1, true
}

func (p *parser) array(i, depth int) (int, bool) {
	if depth > maxJSONDepth {
		return 0, false
	}
	k := p.push(tokArray, i, i)
	b := p.b
	j := p.ws(i + 1)
	n := int32(0)
	if j < len(b) && b[j] == ']' {
		j++
	} else {
		for {
			if j >= len(b) {
				return 0, false
			}
			var ok bool
			if j, ok = p.value(j, depth+1); !ok {
				return 0, false
			}
			n++
			j = p.ws(j)
			if j >= len(b) {
				return 0, false
			}
			if b[j] == ']' {
				j++
				break
			}
			if b[j] != ',' {
				return 0, false
			}
			j = p.ws(j + 1)
		}
	}
	tok := &p.toks[k]
	tok.count = n
	tok.next = int32(p.n)
	tok.end = int32(j)
	return j, true
}

func (p *parser) object(i, depth int) (int, bool) {
	if depth > maxJSONDepth {
		return 0, false
	}
	k := p.push(tokObject, i, i)
	b := p.b
	j := p.ws(i + 1)
	n := int32(0)
	if j < len(b) && b[j] == '}' {
		j++
	} else {
		for {
			if j >= len(b) || b[j] != '"' {
				return 0, false
			}
			var ok bool
			if j, ok = p.str(j); !ok {
				return 0, false
			}
			j = p.ws(j)
			if j >= len(b) || b[j] != ':' {
				return 0, false
			}
			j = p.ws(j + 1)
			if j >= len(b) {
				return 0, false
			}
			if j, ok = p.value(j, depth+1); !ok {
				return 0, false
			}
			n++
			j = p.ws(j)
			if j >= len(b) {
				return 0, false
			}
			if b[j] == '}' {
				j++
				break
			}
			if b[j] != ',' {
				return 0, false
			}
			j = p.ws(j + 1)
		}
	}
	tok := &p.toks[k]
	tok.count = n
	tok.next = int32(p.n)
	tok.end = int32(j)
	return j, true
}

// raw returns the bytes of a string's contents or a number's literal.
func (t *tape) raw(i int32) []byte {
	tok := &t.toks[i]
	return t.body[tok.start:tok.end]
}

// text returns the value of a string token as the decoder produces it:
// escapes resolved, each invalid UTF-8 byte replaced by U+FFFD.
func (t *tape) text(i int32) string {
	tok := &t.toks[i]
	if tok.plain {
		return string(t.body[tok.start:tok.end])
	}
	var s string
	// The tape accepted the literal, so this cannot fail.
	_ = json.Unmarshal(t.body[tok.start-1:tok.end+1], &s)
	return s
}

// sameText reports whether two string tokens have the same value.
func (t *tape) sameText(i, j int32) bool {
	if t.toks[i].plain && t.toks[j].plain {
		return string(t.raw(i)) == string(t.raw(j))
	}
	return t.text(i) == t.text(j)
}
