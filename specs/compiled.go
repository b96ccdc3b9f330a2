package specs

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// The compiled check. Each response schema is compiled once into a tree of
// nodes that walk the tape of a body directly, instead of decoding it into
// maps and interfaces and visiting those (kin-openapi's way, which the
// Checker keeps as its reference). Each node does what Schema.visitJSON does
// for an OpenAPI 3.0 document, keyword by keyword and in the same order, for
// the keywords unknownKeywords clears; a schema using any other keyword, or
// a feature whose outcome depends on more than the keyword itself
// (writeOnly, a schema applying to a value it already applies to), is not
// compiled, and the reference path checks its answers.

// Bits of node.types: which JSON types the schema's "type" permits.
const (
	typeBoolean uint8 = 1 << iota
	typeInteger
	typeNumber
	typeString
	typeArray
	typeObject
)

// node is one compiled schema.
type node struct {
	// nullable: null passes before any other keyword (Schema.permitsNull).
	nullable bool
	// anyString: the node accepts every string, and only strings (as
	// {type: string} does), so a parent may skip calling it on a string.
	anyString bool
	// empty: the schema is equivalent to {} (Schema.IsEmpty); null fails it.
	empty bool
	types uint8

	not                 *node
	allOf, anyOf, oneOf []*node

	enum []enumValue

	// numbers, and strings for format
	requireInt       bool
	format           string
	exMin, exMax     bool
	exMinBy, exMaxBy float64
	hasMin, hasMax   bool
	minimum, maximum float64

	// strings
	minLen     uint64
	hasMaxLen  bool
	maxLen     uint64
	pattern    *matcher
	patternSrc string

	// arrays
	minItems    uint64
	hasMaxItems bool
	maxItems    uint64
	items       *node

	// objects
	names       map[string]int // properties and required names, by index
	nameList    []string
	props       []*node // by name index; nil for a required name without a schema
	required    []int
	apForbidden bool  // additionalProperties: false
	apSchema    *node // additionalProperties: {…}
	minProps    uint64
	hasMaxProps bool
	maxProps    uint64
	countProps  bool // minProperties or maxProperties set
}

type enumKind uint8

const (
	enumNull enumKind = iota
	enumBool
	enumNumber
	enumString
)

type enumValue struct {
	kind enumKind
	b    bool
	f    float64
	s    string
}

// compiler compiles the schemas of one document.
type compiler struct {
	nodes map[*openapi3.Schema]*node
	// ignore lists keywords to compile as if absent. Tests set it to prove
	// that the equivalence corpus notices a check that is missing.
	ignore map[string]bool
}

func newCompiler() *compiler {
	return &compiler{nodes: map[*openapi3.Schema]*node{}}
}

// unsupported says why a schema is left to the reference path.
type unsupported struct{ why string }

func (u *unsupported) Error() string { return "not compiled: " + u.why }

// compileRoot compiles a response body's schema. It fails when the schema,
// or one it leads to, uses something the compiler does not handle.
func (c *compiler) compileRoot(ref *openapi3.SchemaRef) (n *node, err error) {
	if ref == nil || ref.Value == nil {
		return nil, &unsupported{"unresolved schema"}
	}
	if err := sameValueCycles(ref.Value); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			u, ok := r.(*unsupported)
			if !ok {
				panic(r)
			}
			n, err = nil, u
		}
	}()
	return c.compile(ref), nil
}

func refuse(format string, args ...any) {
	panic(&unsupported{fmt.Sprintf(format, args...)})
}

// unknownKeywords lists the keywords of a schema the compiler does not
// read. It clears those it reads and reports any other field that is set,
// so a keyword kin-openapi learns later, or one of OpenAPI 3.1, cannot be
// skipped by accident.
func unknownKeywords(s *openapi3.Schema) []string {
	c := *s
	c.Extensions, c.Origin = nil, nil
	c.OneOf, c.AnyOf, c.AllOf, c.Not = nil, nil, nil, nil
	c.Type, c.Format, c.Enum = nil, "", nil
	// Annotations: no effect on validation. ReadOnly only matters when
	// visiting a request; Default is only written back when asked to.
	c.Title, c.Description, c.Default, c.Example, c.ExternalDocs = "", "", nil, nil, nil
	c.ReadOnly, c.Deprecated, c.XML = false, false, nil
	// AllowEmptyValue only makes the schema non-empty, which IsEmpty tells.
	c.AllowEmptyValue = false
	c.ExclusiveMin, c.ExclusiveMax = openapi3.ExclusiveBound{}, openapi3.ExclusiveBound{}
	c.Nullable = false
	c.Min, c.Max = nil, nil
	c.MinLength, c.MaxLength, c.Pattern = 0, nil, ""
	c.MinItems, c.MaxItems, c.Items = 0, nil, nil
	c.Required, c.Properties, c.MinProps, c.MaxProps = nil, nil, 0, nil
	c.AdditionalProperties = openapi3.AdditionalProperties{}
	v := reflect.ValueOf(c)
	var names []string
	for i := range v.NumField() {
		if !v.Field(i).IsZero() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				name = f.Name
			}
			names = append(names, name)
		}
	}
	return names
}

// sameValueCycles refuses a schema graph in which a schema applies to the
// value it is already applied to (through allOf, anyOf, oneOf or not): kin
// then stops and accepts, which the compiled walk does not reproduce.
// Cycles through properties and items (recursive data) are fine.
func sameValueCycles(root *openapi3.Schema) error {
	const (
		white = iota
		grey
		black
	)
	color := map[*openapi3.Schema]int{}
	var all []*openapi3.Schema
	var collect func(s *openapi3.Schema)
	collect = func(s *openapi3.Schema) {
		if s == nil {
			return
		}
		if _, ok := color[s]; ok {
			return
		}
		color[s] = white
		all = append(all, s)
		for _, r := range children(s) {
			collect(r)
		}
	}
	collect(root)
	var visit func(s *openapi3.Schema) bool
	visit = func(s *openapi3.Schema) bool {
		color[s] = grey
		for _, r := range sameValueChildren(s) {
			if r == nil {
				continue
			}
			switch color[r] {
			case grey:
				return false
			case white:
				if !visit(r) {
					return false
				}
			}
		}
		color[s] = black
		return true
	}
	for _, s := range all {
		if color[s] == white && !visit(s) {
			return &unsupported{"a schema applies to a value it already applies to"}
		}
	}
	return nil
}

func refValues(refs openapi3.SchemaRefs) []*openapi3.Schema {
	out := make([]*openapi3.Schema, 0, len(refs))
	for _, r := range refs {
		if r != nil {
			out = append(out, r.Value)
		}
	}
	return out
}

func sameValueChildren(s *openapi3.Schema) []*openapi3.Schema {
	out := refValues(s.AllOf)
	out = append(out, refValues(s.AnyOf)...)
	out = append(out, refValues(s.OneOf)...)
	if s.Not != nil {
		out = append(out, s.Not.Value)
	}
	return out
}

func children(s *openapi3.Schema) []*openapi3.Schema {
	out := sameValueChildren(s)
	if s.Items != nil {
		out = append(out, s.Items.Value)
	}
	for _, r := range s.Properties {
		if r != nil {
			out = append(out, r.Value)
		}
	}
	if r := s.AdditionalProperties.Schema; r != nil {
		out = append(out, r.Value)
	}
	return out
}

func (c *compiler) compile(ref *openapi3.SchemaRef) *node {
	if ref == nil || ref.Value == nil {
		refuse("unresolved reference %q", refName(ref))
	}
	s := ref.Value
	if n := c.nodes[s]; n != nil {
		return n
	}
	if kw := unknownKeywords(s); len(kw) > 0 {
		refuse("schema %s uses %s", refName(ref), strings.Join(kw, ", "))
	}
	for k := range s.Extensions {
		if !strings.HasPrefix(k, "x-") {
			refuse("schema %s has an unknown field %q", refName(ref), k)
		}
	}
	n := &node{nullable: s.Nullable || s.Type.IncludesNull(), empty: s.IsEmpty()}
	c.nodes[s] = n
	ignore := func(k string) bool { return c.ignore[k] }

	if ignore("nullable") {
		n.nullable = false
	}
	for _, t := range []struct {
		name string
		bit  uint8
	}{{"boolean", typeBoolean}, {"integer", typeInteger}, {"number", typeNumber}, {"string", typeString}, {"array", typeArray}, {"object", typeObject}} {
		if s.Type.Permits(t.name) || ignore("type") {
			n.types |= t.bit
		}
	}
	if s.Not != nil && !ignore("not") {
		n.not = c.compile(s.Not)
	}
	if !ignore("allOf") {
		for _, r := range s.AllOf {
			n.allOf = append(n.allOf, c.compile(r))
		}
	}
	if !ignore("anyOf") {
		for _, r := range s.AnyOf {
			n.anyOf = append(n.anyOf, c.compile(r))
		}
	}
	if !ignore("oneOf") {
		for _, r := range s.OneOf {
			n.oneOf = append(n.oneOf, c.compile(r))
		}
	}
	if len(s.Enum) > 0 && !ignore("enum") {
		for _, v := range s.Enum {
			n.enum = append(n.enum, compileEnum(v))
		}
	}

	// numbers
	n.requireInt = s.Type.Permits("integer") && !s.Type.Permits("number") && !ignore("type")
	if !ignore("format") {
		n.format = s.Format
	}
	if !ignore("exclusiveMinimum") {
		n.exMin, n.exMinBy = exclusive(s.ExclusiveMin, s.Min)
	}
	if !ignore("exclusiveMaximum") {
		n.exMax, n.exMaxBy = exclusive(s.ExclusiveMax, s.Max)
	}
	if s.Min != nil && !ignore("minimum") {
		n.hasMin, n.minimum = true, *s.Min
	}
	if s.Max != nil && !ignore("maximum") {
		n.hasMax, n.maximum = true, *s.Max
	}

	// strings
	if !ignore("minLength") {
		n.minLen = s.MinLength
	}
	if s.MaxLength != nil && !ignore("maxLength") {
		n.hasMaxLen, n.maxLen = true, *s.MaxLength
	}
	if s.Pattern != "" && !ignore("pattern") {
		re, err := compilePattern(s.Pattern)
		if err != nil {
			refuse("pattern %q: %v", s.Pattern, err)
		}
		n.pattern, n.patternSrc = re, s.Pattern
	}

	// arrays
	if !ignore("minItems") {
		n.minItems = s.MinItems
	}
	if s.MaxItems != nil && !ignore("maxItems") {
		n.hasMaxItems, n.maxItems = true, *s.MaxItems
	}
	if s.Items != nil && !ignore("items") {
		n.items = c.compile(s.Items)
	}

	// objects
	n.names = map[string]int{}
	addName := func(k string) int {
		if i, ok := n.names[k]; ok {
			return i
		}
		n.names[k] = len(n.nameList)
		n.nameList = append(n.nameList, k)
		n.props = append(n.props, nil)
		return len(n.nameList) - 1
	}
	if !ignore("properties") {
		for _, k := range componentNames(s.Properties) {
			r := s.Properties[k]
			if r == nil || r.Value == nil {
				refuse("property %q: unresolved schema", k)
			}
			if r.Value.WriteOnly {
				refuse("writeOnly property %q", k)
			}
			n.props[addName(k)] = c.compile(r)
		}
	}
	if !ignore("required") {
		for _, k := range s.Required {
			n.required = append(n.required, addName(k))
		}
	}
	if len(n.nameList) > 64 {
		refuse("more than 64 properties and required names")
	}
	if !ignore("additionalProperties") {
		if has := s.AdditionalProperties.Has; has != nil && !*has {
			n.apForbidden = true
		}
		if r := s.AdditionalProperties.Schema; r != nil {
			if r.Value == nil {
				refuse("additionalProperties: unresolved schema")
			}
			n.apSchema = c.compile(r)
		}
	}
	if !ignore("minProperties") {
		n.minProps = s.MinProps
	}
	if s.MaxProps != nil && !ignore("maxProperties") {
		n.hasMaxProps, n.maxProps = true, *s.MaxProps
	}
	n.countProps = n.minProps != 0 || n.hasMaxProps
	n.anyString = !n.empty && n.types == typeString && n.not == nil && len(n.allOf)+len(n.anyOf)+len(n.oneOf) == 0 &&
		len(n.enum) == 0 && n.minLen == 0 && !n.hasMaxLen && n.pattern == nil && n.format == ""
	return n
}

func refName(ref *openapi3.SchemaRef) string {
	if ref != nil && ref.Ref != "" {
		return ref.Ref
	}
	return "(inline)"
}

func componentNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// exclusive reads exclusiveMinimum or exclusiveMaximum: a bound of its own
// (OpenAPI 3.1), or a flag on minimum or maximum (3.0).
func exclusive(eb openapi3.ExclusiveBound, bound *float64) (bool, float64) {
	switch {
	case !eb.IsSet():
		return false, 0
	case eb.Value != nil:
		return true, *eb.Value
	case eb.Bool != nil && *eb.Bool && bound != nil:
		return true, *bound
	}
	return false, 0
}

func compileEnum(v any) enumValue {
	switch v := v.(type) {
	case nil:
		return enumValue{kind: enumNull}
	case bool:
		return enumValue{kind: enumBool, b: v}
	case string:
		return enumValue{kind: enumString, s: v}
	}
	if f, ok := enumFloat(v); ok {
		return enumValue{kind: enumNumber, f: f}
	}
	refuse("enum value of type %T", v)
	return enumValue{}
}

// enumFloat reads a number of the enum as kin-openapi's equalJSONValues
// does.
func enumFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int8:
		return float64(v), true
	case int16:
		return float64(v), true
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint:
		return float64(v), true
	case uint8:
		return float64(v), true
	case uint16:
		return float64(v), true
	case uint32:
		return float64(v), true
	case uint64:
		return float64(v), true
	case interface{ Float64() (float64, error) }: // json.Number
		f, err := v.Float64()
		if err != nil {
			refuse("enum number %v: %v", v, err)
		}
		return f, true
	}
	return 0, false
}

// patRewriteCodepoints and intoGoRegexp are kin-openapi's rewriting of
// \uXXXX escapes in patterns (openapi3/schema_pattern.go), so that a pattern
// compiles to the same expression on both paths.
var patRewriteCodepoints = regexp.MustCompile(`(?P<replaced_with_slash_x>\\u)(?P<code>[0-9A-F]{4})`)

func intoGoRegexp(re string) string {
	return patRewriteCodepoints.ReplaceAllString(re, `\x{${code}}`)
}

// fault is a value that fails a compiled schema: where, and why.
type fault struct {
	path   []string // innermost first
	reason string
}

func (f *fault) Error() string {
	var b strings.Builder
	b.WriteString("at ")
	if len(f.path) == 0 {
		b.WriteString("/")
	}
	for i := len(f.path) - 1; i >= 0; i-- {
		b.WriteString("/")
		b.WriteString(f.path[i])
	}
	b.WriteString(": ")
	b.WriteString(f.reason)
	return b.String()
}

func fail(format string, args ...any) *fault {
	return &fault{reason: fmt.Sprintf(format, args...)}
}

func (f *fault) under(seg string) *fault {
	f.path = append(f.path, seg)
	return f
}

// check applies the node to the value at t.toks[i], as Schema.visitJSON does.
func (n *node) check(t *tape, i int32) *fault {
	tok := &t.toks[i]
	if tok.kind == tokNull && n.nullable {
		return nil
	}
	if n.empty {
		if tok.kind == tokNull {
			return fail("Value is not nullable")
		}
		return nil
	}
	if n.not != nil && n.not.check(t, i) == nil {
		return fail(`value matches the schema in "not"`)
	}
	xof := false
	if len(n.oneOf) > 0 {
		xof = true
		ok := 0
		for _, b := range n.oneOf {
			if b.check(t, i) == nil {
				ok++
			}
		}
		if ok > 1 {
			return fail(`value matches more than one schema from "oneOf"`)
		}
		if ok == 0 {
			return fail(`value doesn't match any schema from "oneOf"`)
		}
	}
	if len(n.anyOf) > 0 {
		xof = true
		ok := false
		for _, b := range n.anyOf {
			if b.check(t, i) == nil {
				ok = true
				break
			}
		}
		if !ok {
			return fail(`doesn't match any schema from "anyOf"`)
		}
	}
	for _, b := range n.allOf {
		xof = true
		if f := b.check(t, i); f != nil {
			return f
		}
	}
	if xof && tok.kind == tokNull {
		return nil
	}
	if len(n.enum) > 0 && !n.inEnum(t, i) {
		return fail("value is not one of the allowed values")
	}
	switch tok.kind {
	case tokNull:
		return fail("Value is not nullable")
	case tokTrue, tokFalse:
		if n.types&typeBoolean == 0 {
			return n.wrongType()
		}
		return nil
	case tokNumber:
		return n.checkNumber(t, i)
	case tokString:
		return n.checkString(t, i)
	case tokArray:
		return n.checkArray(t, i)
	default:
		return n.checkObject(t, i)
	}
}

func (n *node) wrongType() *fault {
	var names []string
	for _, t := range []struct {
		bit  uint8
		name string
	}{{typeBoolean, "boolean"}, {typeInteger, "integer"}, {typeNumber, "number"}, {typeString, "string"}, {typeArray, "array"}, {typeObject, "object"}} {
		if n.types&t.bit != 0 {
			names = append(names, t.name)
		}
	}
	return fail("value must be %s", strings.Join(names, " or "))
}

func (n *node) inEnum(t *tape, i int32) bool {
	tok := &t.toks[i]
	for _, e := range n.enum {
		switch e.kind {
		case enumNull:
			if tok.kind == tokNull {
				return true
			}
		case enumBool:
			if (tok.kind == tokTrue && e.b) || (tok.kind == tokFalse && !e.b) {
				return true
			}
		case enumNumber:
			if tok.kind == tokNumber {
				if f, err := strconv.ParseFloat(string(t.raw(i)), 64); err == nil && f == e.f {
					return true
				}
			}
		case enumString:
			if tok.kind == tokString {
				if tok.plain {
					if string(t.raw(i)) == e.s {
						return true
					}
				} else if t.text(i) == e.s {
					return true
				}
			}
		}
	}
	return false
}

func (n *node) checkNumber(t *tape, i int32) *fault {
	value, err := strconv.ParseFloat(string(t.raw(i)), 64)
	if err != nil {
		return fail("cannot convert json.Number to float64")
	}
	if n.types&(typeInteger|typeNumber) == 0 {
		return n.wrongType()
	}
	if n.requireInt && value != math.Trunc(value) {
		return fail("value must be an integer")
	}
	if n.format != "" {
		if n.requireInt {
			if f, ok := openapi3.SchemaIntegerFormats[n.format]; ok {
				if err := integerFormat(f, value); err != nil {
					return fail(`number doesn't match the format %q: %v`, n.format, err)
				}
			}
		} else if f, ok := openapi3.SchemaNumberFormats[n.format]; ok {
			if err := f.Validate(value); err != nil {
				return fail(`number doesn't match the format %q: %v`, n.format, err)
			}
		}
	}
	if n.exMin && !(value > n.exMinBy) {
		return fail("number must be more than %g", n.exMinBy)
	}
	if n.exMax && !(value < n.exMaxBy) {
		return fail("number must be less than %g", n.exMaxBy)
	}
	if n.hasMin && !(n.minimum <= value) {
		return fail("number must be at least %g", n.minimum)
	}
	if n.hasMax && !(n.maximum >= value) {
		return fail("number must be at most %g", n.maximum)
	}
	return nil
}

// integerFormat is kin-openapi's validateIntegerFormat: a float64 outside the
// int64 range is refused rather than wrapped.
func integerFormat(f openapi3.IntegerFormatValidator, value float64) error {
	switch {
	case value == float64(math.MaxInt64):
		return f.Validate(math.MaxInt64)
	case value >= float64(math.MinInt64) && value < float64(math.MaxInt64):
		return f.Validate(int64(value))
	}
	return fmt.Errorf("value should be between %v and %v", int64(math.MinInt64), int64(math.MaxInt64))
}

func (n *node) checkString(t *tape, i int32) *fault {
	if n.types&typeString == 0 {
		return n.wrongType()
	}
	if n.minLen == 0 && !n.hasMaxLen && n.pattern == nil && n.format == "" {
		return nil
	}
	tok := &t.toks[i]
	var raw []byte
	var text string
	if tok.plain {
		raw = t.raw(i)
	} else {
		text = t.text(i)
	}
	if n.minLen != 0 || n.hasMaxLen {
		// Like kin-openapi, count code points: a decoded Go string holds no
		// surrogates, so its UTF-16 branch never fires.
		var length uint64
		switch {
		case tok.ascii:
			length = uint64(len(raw))
		case tok.plain:
			length = uint64(utf8.RuneCount(raw))
		default:
			length = uint64(utf8.RuneCountInString(text))
		}
		if n.minLen != 0 && length < n.minLen {
			return fail("minimum string length is %d", n.minLen)
		}
		if n.hasMaxLen && length > n.maxLen {
			return fail("maximum string length is %d", n.maxLen)
		}
	}
	if n.pattern != nil {
		var ok bool
		if tok.plain {
			ok = n.pattern.match(raw)
		} else {
			ok = n.pattern.matchString(text)
		}
		if !ok {
			return fail(`string doesn't match the regular expression "%s"`, n.patternSrc)
		}
	}
	if n.format != "" {
		if f, ok := openapi3.SchemaStringFormats[n.format]; ok {
			if tok.plain {
				text = string(raw)
			}
			if err := f.Validate(text); err != nil {
				return fail(`string doesn't match the format %q: %v`, n.format, err)
			}
		}
	}
	return nil
}

func (n *node) checkArray(t *tape, i int32) *fault {
	if n.types&typeArray == 0 {
		return n.wrongType()
	}
	count := uint64(t.toks[i].count)
	if n.minItems != 0 && count < n.minItems {
		return fail("minimum number of items is %d", n.minItems)
	}
	if n.hasMaxItems && count > n.maxItems {
		return fail("maximum number of items is %d", n.maxItems)
	}
	if n.items != nil {
		k := 0
		for j := i + 1; j < t.toks[i].next; j = t.toks[j].next {
			if f := n.items.check(t, j); f != nil {
				return f.under(strconv.Itoa(k))
			}
			k++
		}
	}
	return nil
}

// member is one key of an object: its token and its index among the
// node's names, or -1.
type member struct {
	key  int32
	name int
}

func (n *node) lookup(t *tape, key int32) int {
	var idx int
	var ok bool
	if t.toks[key].plain {
		raw := t.raw(key)
		if len(n.nameList) <= 8 {
			for k, name := range n.nameList {
				if len(name) == len(raw) && (len(raw) == 0 || name[0] == raw[0]) && name == string(raw) {
					return k
				}
			}
			return -1
		}
		idx, ok = n.names[string(raw)]
	} else {
		idx, ok = n.names[t.text(key)]
	}
	if !ok {
		return -1
	}
	return idx
}

func (n *node) checkObject(t *tape, i int32) *fault {
	if n.types&typeObject == 0 {
		return n.wrongType()
	}
	obj := t.toks[i]
	if obj.count == 0 && len(n.required) == 0 && n.minProps == 0 {
		return nil
	}
	var buf [16]member
	members := buf[:0]
	var seen uint64
	unknown := 0
	for key := i + 1; key < obj.next; key = t.toks[key+1].next {
		m := member{key: key, name: n.lookup(t, key)}
		// A name that is required but has no property schema is, for the
		// value, an additional property.
		if (m.name < 0 || n.props[m.name] == nil) && n.apForbidden {
			return fail("property %q is unsupported", t.text(key))
		}
		if m.name < 0 {
			unknown++
		} else {
			seen |= 1 << m.name
		}
		members = append(members, m)
	}
	if n.countProps {
		// Properties are counted once each: a repeated key is one entry of
		// the decoded map, holding the last value.
		distinct := uint64(bits.OnesCount64(seen))
		for a, m := range members {
			if m.name >= 0 {
				continue
			}
			repeated := false
			for _, later := range members[a+1:] {
				if later.name < 0 && t.sameText(m.key, later.key) {
					repeated = true
					break
				}
			}
			if !repeated {
				distinct++
			}
		}
		if n.minProps != 0 && distinct < n.minProps {
			return fail("there must be at least %d properties", n.minProps)
		}
		if n.hasMaxProps && distinct > n.maxProps {
			return fail("there must be at most %d properties", n.maxProps)
		}
	}
	// Values, the last of a repeated key only, as the decoded map keeps it.
	var done uint64
	for a := len(members) - 1; a >= 0; a-- {
		m := members[a]
		var sub *node
		if m.name >= 0 {
			if done&(1<<m.name) != 0 {
				continue
			}
			done |= 1 << m.name
			sub = n.props[m.name]
			if sub == nil { // a required name without a property schema
				sub = n.apSchema
			}
		} else {
			sub = n.apSchema
			if sub != nil && unknown > 1 {
				repeated := false
				for _, later := range members[a+1:] {
					if later.name < 0 && t.sameText(m.key, later.key) {
						repeated = true
						break
					}
				}
				if repeated {
					continue
				}
			}
		}
		if sub == nil || (sub.anyString && t.toks[m.key+1].kind == tokString) {
			continue
		}
		if f := sub.check(t, m.key+1); f != nil {
			return f.under(t.text(m.key))
		}
	}
	for _, r := range n.required {
		if seen&(1<<r) == 0 {
			return fail("property %q is missing", n.nameList[r]).under(n.nameList[r])
		}
	}
	return nil
}

// compileResponses compiles the body schema of every response media type of
// every operation, sharing one node per schema.
func (c *Checker) compileResponses(comp *compiler) {
	c.compiled = map[*openapi3.MediaType]*node{}
	c.notCompiled = map[*openapi3.MediaType]string{}
	// kin-openapi validates OpenAPI 3.1 documents with a JSON Schema 2020-12
	// validator instead, whose rules differ (nullable, type lists, …).
	compile := !c.doc.IsOpenAPI31OrLater()
	for _, route := range c.routes {
		for _, rref := range route.Operation.Responses.Map() {
			if rref == nil || rref.Value == nil {
				continue
			}
			for _, mt := range rref.Value.Content {
				if mt == nil || mt.Schema == nil {
					continue
				}
				if _, done := c.compiled[mt]; done {
					continue
				}
				if _, done := c.notCompiled[mt]; done {
					continue
				}
				if !compile {
					c.notCompiled[mt] = "OpenAPI " + c.doc.OpenAPI
					continue
				}
				if why := bodyUnsupported(mt); why != "" {
					c.notCompiled[mt] = why
					continue
				}
				n, err := comp.compileRoot(mt.Schema)
				if err != nil {
					c.notCompiled[mt] = err.Error()
					continue
				}
				c.compiled[mt] = n
			}
		}
	}
}

// bodyUnsupported tells why a media type's body is not decoded as plain
// JSON by kin-openapi, whatever the answer's Content-Type: a binary string
// is read as bytes, and an encoding may refuse the media type.
func bodyUnsupported(mt *openapi3.MediaType) string {
	if s := mt.Schema.Value; s != nil && s.Type.Is("string") && s.Format == "binary" {
		return "binary body"
	}
	if len(mt.Encoding) > 0 {
		return "encoding"
	}
	return ""
}

type verdict int

const (
	undecided verdict = iota // left to kin-openapi
	accepted
	rejected
)

// quick decides what it can of a response without kin-openapi, in the order
// of openapi3filter.ValidateResponse: status, headers, Content-Type, body.
// The headers of the few responses that document any are checked by
// kin-openapi (that check reads no body).
func (c *Checker) quick(route *routers.Route, status int, header http.Header, body []byte) (verdict, error) {
	if route.Method == http.MethodHead {
		return accepted, nil
	}
	switch status {
	case http.StatusNotModified, http.StatusPermanentRedirect, http.StatusTemporaryRedirect, http.StatusMovedPermanently:
		return accepted, nil
	}
	responses := route.Operation.Responses
	if responses.Len() == 0 {
		return accepted, nil
	}
	rref := responses.Status(status)
	if rref == nil {
		rref = responses.Default()
	}
	if rref == nil {
		return rejected, errors.New("status is not supported")
	}
	resp := rref.Value
	if resp == nil {
		return undecided, nil
	}
	for name := range resp.Headers {
		if name != "Content-Type" {
			if err := c.validate(route, c.headerOpts, status, header, nil); err != nil {
				return rejected, err
			}
			break
		}
	}
	if len(resp.Content) == 0 {
		return accepted, nil
	}
	ct := header.Get("Content-Type")
	mt := resp.Content.Get(ct)
	if mt == nil {
		return rejected, fmt.Errorf("response header Content-Type has unexpected value: %q", ct)
	}
	if mt.Schema == nil {
		return accepted, nil
	}
	n := c.compiled[mt]
	if n == nil || !decodedAsJSON(ct) || len(body) > maxTapeBody {
		return undecided, nil
	}
	t := c.tapes.Get().(*tape)
	defer func() {
		t.body = nil
		if cap(t.toks) <= 1<<16 {
			c.tapes.Put(t)
		}
	}()
	if !t.parse(body) {
		return rejected, errors.New("failed to decode response body: not JSON")
	}
	if f := n.check(t, 0); f != nil {
		return rejected, f
	}
	return accepted, nil
}

var jsonDecoder = reflect.ValueOf(openapi3filter.JSONBodyDecoder).Pointer()

// decodedAsJSON reports whether kin-openapi decodes a body of this
// Content-Type with its JSON decoder (openapi3filter.decodeBody).
func decodedAsJSON(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	mediaType = strings.ToLower(strings.TrimSpace(mediaType))
	d := openapi3filter.RegisteredBodyDecoder(mediaType)
	if d == nil && strings.HasSuffix(mediaType, "+json") {
		d = openapi3filter.RegisteredBodyDecoder("application/json")
	}
	if d == nil {
		d = openapi3filter.RegisteredBodyDecoder("*/*")
	}
	return d != nil && reflect.ValueOf(d).Pointer() == jsonDecoder
}
