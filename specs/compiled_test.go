package specs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// The compiled check must accept and reject exactly what kin-openapi does.
// These tests run both over a corpus of answers built from every operation,
// status and media type of every document: the documents' examples, a value
// generated from each schema, and systematic mutations of those.

// keywordsDoc is a test document using the keywords the embedded documents
// do not use (yet), and some the compiler leaves to kin-openapi.
const keywordsDoc = "testdata/keywords.yaml"

type corpusDoc struct {
	name string
	doc  *openapi3.T
}

func corpusDocs(t testing.TB) []corpusDoc {
	t.Helper()
	var docs []corpusDoc
	for _, name := range Names() {
		doc, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, corpusDoc{name, doc})
	}
	src, err := os.ReadFile(keywordsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse("keywords", src)
	if err != nil {
		t.Fatal(err)
	}
	return append(docs, corpusDoc{"keywords", doc})
}

// answer is one case of the corpus.
type answer struct {
	op     string
	status int
	header http.Header
	body   []byte
	what   string
}

// outcome compares the two paths on one answer. decided is false when the
// compiled check leaves the answer to kin-openapi.
type outcome struct {
	decided, fast, slow bool
	fastErr, slowErr    error
}

func compare(c *Checker, a answer) outcome {
	route := c.routes[a.op]
	serr := c.reference(route, a.op, a.status, a.header, a.body)
	return compareTo(c, a, serr)
}

func compareTo(c *Checker, a answer, serr error) outcome {
	route := c.routes[a.op]
	v, ferr := c.quick(route, a.status, a.header, a.body)
	return outcome{decided: v != undecided, fast: v == accepted, slow: serr == nil, fastErr: ferr, slowErr: serr}
}

// corpus is the answers of one document with kin-openapi's verdicts.
type corpus struct {
	doc     corpusDoc
	answers []answer
	slow    []error
}

func newCorpus(d corpusDoc) *corpus {
	c := NewChecker(d.name, d.doc)
	cp := &corpus{doc: d, answers: buildCorpus(c, d.doc)}
	for _, a := range cp.answers {
		cp.slow = append(cp.slow, c.reference(c.routes[a.op], a.op, a.status, a.header, a.body))
	}
	return cp
}

type corpusStats struct {
	cases, decided, accepted, mismatches int
	examples                             []string
}

// run compares the compiled check of c with kin-openapi over the corpus.
func (cp *corpus) run(c *Checker) corpusStats {
	var st corpusStats
	for i, a := range cp.answers {
		o := compareTo(c, a, cp.slow[i])
		st.cases++
		if !o.decided {
			continue
		}
		st.decided++
		if o.slow {
			st.accepted++
		}
		if o.fast != o.slow {
			st.mismatches++
			if len(st.examples) < 5 {
				st.examples = append(st.examples, fmt.Sprintf("%s %d %s: compiled accepts=%v (%v), kin-openapi accepts=%v (%v)\n  Content-Type %q body %q",
					a.op, a.status, a.what, o.fast, o.fastErr, o.slow, o.slowErr, a.header.Get("Content-Type"), clip(a.body)))
			}
		}
	}
	return st
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// TestCompiledMatchesKinOpenAPI runs both paths over the corpus of each
// document and requires the same verdict on every answer. Then it shows the
// corpus can fail: a compiler that skips any one keyword gives some answer
// another verdict.
func TestCompiledMatchesKinOpenAPI(t *testing.T) {
	var corpora []*corpus
	for _, d := range corpusDocs(t) {
		corpora = append(corpora, newCorpus(d))
	}
	for _, cp := range corpora {
		t.Run(cp.doc.name, func(t *testing.T) {
			st := cp.run(NewChecker(cp.doc.name, cp.doc.doc))
			t.Logf("%d answers, %d decided by the compiled check, %d of them valid", st.cases, st.decided, st.accepted)
			for _, e := range st.examples {
				t.Error(e)
			}
			if st.mismatches > 0 {
				t.Errorf("%d answers get different verdicts", st.mismatches)
			}
			if st.accepted*10 < st.decided {
				t.Errorf("only %d of %d answers are valid: the corpus hardly tests acceptance", st.accepted, st.decided)
			}
		})
	}
	keywords := []string{"type", "nullable", "enum", "not", "allOf", "anyOf", "oneOf",
		"format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
		"minLength", "maxLength", "pattern", "minItems", "maxItems", "items",
		"properties", "required", "additionalProperties", "minProperties", "maxProperties"}
	for _, kw := range keywords {
		t.Run("without "+kw, func(t *testing.T) {
			caught := 0
			for _, cp := range corpora {
				c := newCheckerWith(cp.doc.name, cp.doc.doc, &compiler{nodes: map[*openapi3.Schema]*node{}, ignore: map[string]bool{kw: true}})
				caught += cp.run(c).mismatches
			}
			if caught == 0 {
				t.Errorf("a compiler ignoring %q passes the corpus", kw)
			}
		})
	}
}

func newCheckerWith(name string, doc *openapi3.T, comp *compiler) *Checker {
	c := NewChecker(name, doc)
	c.compileResponses(comp)
	return c
}

// TestEmbeddedDocumentsCompile makes sure the fast path serves the embedded
// documents. A document of another branch that uses a keyword the compiler
// does not handle is still checked (by kin-openapi), and listed here.
func TestEmbeddedDocumentsCompile(t *testing.T) {
	for _, d := range corpusDocs(t) {
		c := NewChecker(d.name, d.doc)
		var left []string
		for _, op := range c.OperationIDs() {
			for status, rref := range c.routes[op].Operation.Responses.Map() {
				for name, mt := range rref.Value.Content {
					if why, ok := c.notCompiled[mt]; ok {
						left = append(left, fmt.Sprintf("%s %s %s: %s", op, status, name, why))
					}
				}
			}
		}
		sort.Strings(left)
		switch d.name {
		case Mopay, MopayControl, Control:
			if len(left) > 0 {
				t.Errorf("%s: %d response bodies are left to kin-openapi: %v", d.name, len(left), left)
			}
		case "keywords":
			// uniqueItems and multipleOf, a discriminator, writeOnly. (The
			// text/plain body is compiled: which decoder reads a body
			// depends on each answer's Content-Type.)
			if len(left) != 3 {
				t.Errorf("keywords: want 3 bodies of /fallback left to kin-openapi, got %v", left)
			}
		default:
			for _, l := range left {
				t.Logf("%s: left to kin-openapi: %s", d.name, l)
			}
		}
	}
}

// TestCompiledErrors: a rejected answer is worded by kin-openapi, as before.
func TestCompiledErrors(t *testing.T) {
	doc, err := Load(Mopay)
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker(Mopay, doc)
	h := http.Header{"Content-Type": {"application/json"}}
	body := `{"REQUEST":{"VERSION":"1.0","ACTION":"user_notice_fetch","STATUS":"OK"},"DATA":{"result":[{"marker":1}],"pagination":"1"}}`
	err = c.Response("user_notice_fetch", 200, h, []byte(body))
	if err == nil {
		t.Fatal("a marker that is a number passes")
	}
	route := c.routes["user_notice_fetch"]
	if want := c.reference(route, "user_notice_fetch", 200, h, []byte(body)); err.Error() != want.Error() {
		t.Errorf("error\n %v\nwant kin-openapi's\n %v", err, want)
	}
	_, f := c.quick(route, 200, h, []byte(body))
	if !strings.HasPrefix(f.Error(), "at /DATA/result/0/") {
		t.Errorf("compiled check's own error %q lacks the JSON pointer", f)
	}
}

// FuzzCompiledBody compares the two paths on arbitrary bodies, for every
// compiled response of every document.
func FuzzCompiledBody(f *testing.F) {
	type target struct {
		c  *Checker
		op string
		st int
		ct string
	}
	var targets []target
	seeds := map[string]bool{}
	for _, d := range corpusDocs(f) {
		c := NewChecker(d.name, d.doc)
		for _, a := range buildCorpus(c, d.doc) {
			if len(seeds) < 400 && len(a.body) < 4096 && !seeds[string(a.body)] {
				seeds[string(a.body)] = true
				f.Add(a.body, uint16(len(targets)))
			}
		}
		for _, op := range c.OperationIDs() {
			route := c.routes[op]
			for _, code := range statusCodes(route) {
				rref := route.Operation.Responses.Status(code)
				if rref == nil {
					rref = route.Operation.Responses.Default()
				}
				for _, mtName := range componentNames(rref.Value.Content) {
					if c.compiled[rref.Value.Content[mtName]] != nil {
						targets = append(targets, target{c, op, code, mtName})
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, pick uint16) {
		tg := targets[int(pick)%len(targets)]
		h := http.Header{"Content-Type": {tg.ct}}
		addHeaders(tg.c.routes[tg.op], tg.st, h)
		o := compare(tg.c, answer{op: tg.op, status: tg.st, header: h, body: body})
		if o.decided && o.fast != o.slow {
			t.Fatalf("%s %d: compiled accepts=%v (%v), kin-openapi accepts=%v (%v)", tg.op, tg.st, o.fast, o.fastErr, o.slow, o.slowErr)
		}
	})
}

// statusCodes lists a status for each documented response of a route:
// the code itself, 299 for 2XX and so on, 599 for default.
func statusCodes(route *routers.Route) []int {
	var codes []int
	for _, key := range componentNames(route.Operation.Responses.Map()) {
		switch {
		case key == "default":
			codes = append(codes, 599)
		case strings.HasSuffix(key, "XX"):
			codes = append(codes, int(key[0]-'0')*100+99)
		default:
			n, _ := strconv.Atoi(key)
			codes = append(codes, n)
		}
	}
	return codes
}

// addHeaders sets a valid value for every header the response documents.
func addHeaders(route *routers.Route, status int, h http.Header) {
	rref := route.Operation.Responses.Status(status)
	if rref == nil {
		rref = route.Operation.Responses.Default()
	}
	if rref == nil {
		return
	}
	for name, href := range rref.Value.Headers {
		if name == "Content-Type" {
			continue
		}
		v := "5"
		if s := href.Value.Schema; s != nil && s.Value.Type.Is("string") {
			v = "ok"
		}
		h.Set(name, v)
	}
}

// buildCorpus builds the answers of one document.
func buildCorpus(c *Checker, doc *openapi3.T) []answer {
	var out []answer
	// Responses sharing a schema (Mopay's error envelope) share its
	// mutations: each schema is mutated from three bases in all.
	mutated := map[*openapi3.Schema]int{}
	for _, op := range c.OperationIDs() {
		route := c.routes[op]
		codes := statusCodes(route)
		for _, code := range codes {
			rref := route.Operation.Responses.Status(code)
			if rref == nil {
				rref = route.Operation.Responses.Default()
			}
			resp := rref.Value
			h := http.Header{}
			addHeaders(route, code, h)
			mtNames := componentNames(resp.Content)
			if len(mtNames) == 0 {
				out = append(out, answer{op, code, h, nil, "no content"})
				out = append(out, answer{op, code, h, []byte("{}"), "no content, a body"})
				out = append(out, headerMutations(op, code, resp, h, nil)...)
				continue
			}
			for _, mtName := range mtNames {
				mt := resp.Content[mtName]
				ct := mtName
				if strings.Contains(ct, "*") {
					ct = "application/json"
				}
				hh := h.Clone()
				hh.Set("Content-Type", ct)
				bases := bodiesOf(mt)
				for i, base := range bases {
					raw := encode(base)
					out = append(out, answer{op, code, hh, raw, "base"})
					if (i >= 2 && i != len(bases)-1) || mutated[mt.Schema.Value] >= 3 {
						continue
					}
					mutated[mt.Schema.Value]++
					for _, m := range mutations(base, mt.Schema.Value) {
						out = append(out, answer{op, code, hh, encode(m.v), m.what})
					}
					for _, m := range rawMutations(raw) {
						out = append(out, answer{op, code, hh, m.v.(rawJSON), m.what})
					}
				}
				if len(bases) > 0 {
					raw := encode(bases[0])
					out = append(out, headerMutations(op, code, resp, hh, raw)...)
				}
			}
		}
		// Undocumented statuses, and those never checked.
		h := http.Header{"Content-Type": {"application/json"}}
		for _, code := range []int{0, 100, 299, 301, 304, 307, 308, 418, 600} {
			out = append(out, answer{op, code, h, []byte(`{}`), "status " + strconv.Itoa(code)})
		}
	}
	return out
}

func headerMutations(op string, code int, resp *openapi3.Response, h http.Header, body []byte) []answer {
	var out []answer
	for _, ct := range []string{"", "text/plain", "application/json; charset=utf-8", "APPLICATION/JSON", " application/json ",
		"application/problem+json", "application/vnd.herald+json", "application/xml", "application", "*/*", "application/json, text/plain"} {
		hh := h.Clone()
		if ct == "" {
			hh.Del("Content-Type")
		} else {
			hh.Set("Content-Type", ct)
		}
		out = append(out, answer{op, code, hh, body, "Content-Type " + ct})
	}
	for name := range resp.Headers {
		for _, v := range []string{"", "0", "1", "99", "100", "-1", "abc", "1.5", "123456"} {
			hh := h.Clone()
			if v == "" {
				hh.Del(name)
			} else {
				hh.Set(name, v)
			}
			out = append(out, answer{op, code, hh, body, "header " + name + "=" + v})
		}
		hh := h.Clone()
		hh[http.CanonicalHeaderKey(name)] = []string{"abc", "5"}
		out = append(out, answer{op, code, hh, body, "header " + name + " twice"})
	}
	return out
}

// bodiesOf returns the examples of a media type and a generated value.
func bodiesOf(mt *openapi3.MediaType) []any {
	var out []any
	if mt.Example != nil {
		out = append(out, jsonValue(mt.Example))
	}
	for _, k := range componentNames(mt.Examples) {
		if ex := mt.Examples[k]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			out = append(out, jsonValue(ex.Value.Value))
		}
	}
	return append(out, generate(mt.Schema.Value, 0))
}

// jsonValue round-trips v through JSON, numbers kept as json.Number.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out any
	if err := d.Decode(&out); err != nil {
		panic(err)
	}
	return out
}

// flat gathers a schema with its allOf, oneOf and anyOf branches.
func flat(s *openapi3.Schema, seen map[*openapi3.Schema]bool) []*openapi3.Schema {
	if s == nil || seen[s] {
		return nil
	}
	seen[s] = true
	out := []*openapi3.Schema{s}
	for _, refs := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, r := range refs {
			out = append(out, flat(r.Value, seen)...)
		}
	}
	return out
}

// generate makes a value meant to satisfy s (best effort: it may not).
func generate(s *openapi3.Schema, depth int) any {
	all := flat(s, map[*openapi3.Schema]bool{})
	for _, x := range all {
		if x.Example != nil {
			return jsonValue(x.Example)
		}
	}
	for _, x := range all {
		if len(x.Enum) > 0 {
			return jsonValue(x.Enum[0])
		}
	}
	typ := ""
	for _, x := range all {
		if x.Type != nil && len(*x.Type) > 0 {
			typ = (*x.Type)[0]
			break
		}
		if len(x.Properties) > 0 || len(x.Required) > 0 {
			typ = "object"
		}
	}
	switch typ {
	case "object":
		obj := map[string]any{}
		if depth > 4 {
			return obj
		}
		for _, x := range all {
			for k, p := range x.Properties {
				if _, ok := obj[k]; !ok {
					obj[k] = generate(p.Value, depth+1)
				}
			}
			for _, k := range x.Required {
				if _, ok := obj[k]; !ok {
					obj[k] = "x"
				}
			}
		}
		return obj
	case "array":
		for _, x := range all {
			if x.Items != nil && depth <= 4 {
				return []any{generate(x.Items.Value, depth+1)}
			}
		}
		return []any{}
	case "integer", "number":
		for _, x := range all {
			if x.Min != nil {
				return json.Number(strconv.FormatFloat(math.Ceil(*x.Min)+1, 'f', -1, 64))
			}
		}
		return json.Number("1")
	case "boolean":
		return true
	case "string":
		for _, x := range all {
			switch x.Format {
			case "email":
				return "a@b.co"
			case "uuid":
				return "2f1a4c3e-8b7d-4e6f-9a0b-1c2d3e4f5a6b"
			case "date-time":
				return "2026-01-01T00:00:00Z"
			case "date":
				return "2026-01-01"
			}
			if x.Pattern != "" {
				re := regexp.MustCompile(intoGoRegexp(x.Pattern))
				for _, cand := range []string{"123456", "1", "abc", "ab", "a", "mopay", "-1s", "1h30m"} {
					if re.MatchString(cand) {
						return cand
					}
				}
			}
		}
		return "text"
	}
	return "x"
}

// rawJSON is a piece of JSON written as is; dupObject an object with its
// members in order, keys maybe repeated.
type rawJSON []byte

type dupObject []struct {
	k string // written as is, quotes included
	v any
}

func encode(v any) []byte {
	var b bytes.Buffer
	encodeTo(&b, v)
	return b.Bytes()
}

func encodeTo(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case rawJSON:
		b.Write(v)
	case dupObject:
		b.WriteByte('{')
		for i, m := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(m.k)
			b.WriteByte(':')
			encodeTo(b, m.v)
		}
		b.WriteByte('}')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range componentNames(v) {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			encodeTo(b, v[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeTo(b, x)
		}
		b.WriteByte(']')
	default:
		x, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		b.Write(x)
	}
}

type mutation struct {
	v    any
	what string
}

// replaceAt returns a copy of root with the value at path replaced by fn's
// result; fn returning nothing-marker removes the member or element.
type removed struct{}

func replaceAt(root any, path []any, fn func(any) any) any {
	if len(path) == 0 {
		return fn(root)
	}
	switch x := root.(type) {
	case map[string]any:
		k := path[0].(string)
		cp := make(map[string]any, len(x))
		for kk, vv := range x {
			cp[kk] = vv
		}
		nv := replaceAt(x[k], path[1:], fn)
		if _, ok := nv.(removed); ok {
			delete(cp, k)
		} else {
			cp[k] = nv
		}
		return cp
	case []any:
		i := path[0].(int)
		var cp []any
		for j, vv := range x {
			if j != i {
				cp = append(cp, vv)
				continue
			}
			nv := replaceAt(vv, path[1:], fn)
			if _, ok := nv.(removed); !ok {
				cp = append(cp, nv)
			}
		}
		if cp == nil {
			cp = []any{}
		}
		return cp
	}
	return root
}

// locations lists the path of every value in v.
func locations(v any, prefix []any, out *[][]any) {
	*out = append(*out, append([]any(nil), prefix...))
	switch x := v.(type) {
	case map[string]any:
		for _, k := range componentNames(x) {
			locations(x[k], append(prefix, k), out)
		}
	case []any:
		for i, e := range x {
			locations(e, append(prefix, i), out)
		}
	}
}

// schemasAt gathers the schemas that apply at a path.
func schemasAt(root *openapi3.Schema, path []any) []*openapi3.Schema {
	cur := flat(root, map[*openapi3.Schema]bool{})
	for _, step := range path {
		var next []*openapi3.Schema
		seen := map[*openapi3.Schema]bool{}
		for _, s := range cur {
			switch step := step.(type) {
			case string:
				if p := s.Properties[step]; p != nil {
					next = append(next, flat(p.Value, seen)...)
				} else if ap := s.AdditionalProperties.Schema; ap != nil {
					next = append(next, flat(ap.Value, seen)...)
				}
			case int:
				if s.Items != nil {
					next = append(next, flat(s.Items.Value, seen)...)
				}
			}
		}
		cur = next
	}
	return cur
}

func num(f float64) json.Number { return json.Number(strconv.FormatFloat(f, 'g', -1, 64)) }

// valuesFor lists replacement values suggested by the schemas at a place:
// each keyword's boundaries, and a few of every type.
func valuesFor(schemas []*openapi3.Schema, cur any) []any {
	vals := []any{nil, true, false, json.Number("0"), json.Number("-1"), json.Number("1.5"), json.Number("1.0"),
		json.Number("1e400"), json.Number("-1e400"), json.Number("1e-400"), json.Number("-0"), json.Number("1E2"),
		"", "x", "1", "é", "😀", "<&>", "a\nb", []any{}, map[string]any{}, []any{"x"}, map[string]any{"zz": json.Number("1")},
		rawJSON(`"\ud800"`), rawJSON(`"\ud83d\ude00"`), rawJSON("\"\xff\""), rawJSON(`"\u0041"`), rawJSON(`"a\/b"`)}
	strs := func(n int) {
		if n < 0 || n > 300 {
			return
		}
		vals = append(vals, strings.Repeat("a", n), strings.Repeat("é", n), strings.Repeat("😀", n))
	}
	for _, s := range schemas {
		for _, e := range s.Enum {
			e = jsonValue(e)
			vals = append(vals, e)
			if str, ok := e.(string); ok {
				vals = append(vals, str+"x", strings.ToLower(str), strings.ToUpper(str), " "+str)
			}
		}
		strs(int(s.MinLength) - 1)
		strs(int(s.MinLength))
		if s.MaxLength != nil {
			strs(int(*s.MaxLength))
			strs(int(*s.MaxLength) + 1)
		}
		for _, b := range []*float64{s.Min, s.Max} {
			if b != nil {
				vals = append(vals, num(*b), num(*b-1), num(*b+1), num(*b-0.5), num(*b+0.5))
			}
		}
		switch s.Format {
		case "email":
			vals = append(vals, "a@b.co", "not-an-email", "a@b", "a b@c.de", "a@b@c.de")
		case "uuid":
			vals = append(vals, "2f1a4c3e-8b7d-4e6f-9a0b-1c2d3e4f5a6b", "2F1A4C3E-8B7D-4E6F-9A0B-1C2D3E4F5A6B", "2f1a4c3e-8b7d-9e6f-9a0b-1c2d3e4f5a6b", "xyz")
		case "date-time":
			vals = append(vals, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.5+01:00", "2026-13-01T00:00:00Z", "2026-01-01", "2026-01-01T00:00:00z")
		case "date":
			vals = append(vals, "2026-01-01", "2026-02-30", "2026-1-1")
		case "byte":
			vals = append(vals, "U3dhZ2dlcg==", "not base64!")
		case "int32":
			vals = append(vals, num(math.MaxInt32), num(math.MaxInt32+1), num(math.MinInt32-1))
		case "int64":
			vals = append(vals, json.Number("9223372036854775807"), json.Number("9223372036854775808"), json.Number("-9.3e18"), json.Number("1e19"))
		}
		if s.Pattern != "" {
			vals = append(vals, "0", "123", "123456", "1234567", "12a", "abc", "ab", "AbC!", "abc!!", "1\n", "123\n", "-1s", "1h30m", "1.5x")
		}
		if s.MaxItems != nil || s.MinItems > 0 {
			if arr, ok := cur.([]any); ok && len(arr) > 0 {
				for _, n := range []int{int(s.MinItems) - 1, int(s.MinItems), 3, 16} {
					if s.MaxItems != nil && n == 16 {
						n = int(*s.MaxItems) + 1
					}
					if n < 0 {
						continue
					}
					rep := make([]any, n)
					for i := range rep {
						rep[i] = arr[i%len(arr)]
					}
					vals = append(vals, rep)
				}
			}
		}
	}
	return vals
}

// mutations of a valid value: at every place, each suggested replacement,
// removal, an extra property, and repeated or escaped keys.
func mutations(base any, schema *openapi3.Schema) []mutation {
	var locs [][]any
	locations(base, nil, &locs)
	var out []mutation
	seen := map[string]bool{}
	add := func(v any, what string) {
		k := string(encode(v))
		if !seen[k] {
			seen[k] = true
			out = append(out, mutation{v, what})
		}
	}
	for _, path := range locs {
		where := fmt.Sprint(path)
		var cur any
		replaceAt(base, path, func(v any) any { cur = v; return v })
		if len(path) > 0 {
			add(replaceAt(base, path, func(any) any { return removed{} }), "remove "+where)
		}
		for _, nv := range valuesFor(schemasAt(schema, path), cur) {
			add(replaceAt(base, path, func(any) any { return nv }), fmt.Sprintf("%s = %s", where, encode(nv)))
		}
		if obj, ok := cur.(map[string]any); ok {
			many := map[string]any{}
			for k, v := range obj {
				many[k] = v
			}
			for i := range 20 {
				many[fmt.Sprintf("zz%02d", i)] = "x"
			}
			add(replaceAt(base, path, func(any) any { return many }), "20 extra properties at "+where)
			for _, extra := range []any{json.Number("1"), "x"} {
				add(replaceAt(base, path, func(any) any {
					cp := map[string]any{"zzextra": extra}
					for k, v := range obj {
						cp[k] = v
					}
					return cp
				}), "extra property at "+where)
			}
			for _, k := range componentNames(obj) {
				kq, _ := json.Marshal(k)
				esc := fmt.Sprintf(`"\u%04x%s`, k[0], string(kq[2:]))
				var good, bad, escaped dupObject
				for _, kk := range componentNames(obj) {
					q, _ := json.Marshal(kk)
					escaped = append(escaped, struct {
						k string
						v any
					}{map[bool]string{true: esc, false: string(q)}[kk == k], obj[kk]})
					if kk == k {
						good = append(good, struct {
							k string
							v any
						}{string(q), rawJSON(`"wrong"`)})
						bad = append(bad, struct {
							k string
							v any
						}{string(q), obj[kk]})
						continue
					}
					good = append(good, struct {
						k string
						v any
					}{string(q), obj[kk]})
					bad = append(bad, struct {
						k string
						v any
					}{string(q), obj[kk]})
				}
				// The decoder keeps the last of repeated keys.
				good = append(good, struct {
					k string
					v any
				}{string(kq), obj[k]})
				bad = append(bad, struct {
					k string
					v any
				}{esc, rawJSON(`{"wrong":[1]}`)})
				add(replaceAt(base, path, func(any) any { return good }), "repeated key, good last "+k+" at "+where)
				add(replaceAt(base, path, func(any) any { return bad }), "repeated key, bad last "+k+" at "+where)
				add(replaceAt(base, path, func(any) any { return escaped }), "escaped key "+k+" at "+where)
			}
		}
	}
	return out
}

// rawMutations break the text of a valid body.
func rawMutations(raw []byte) []mutation {
	out := []mutation{
		{rawJSON(""), "empty"}, {rawJSON(" "), "blank"}, {rawJSON("null"), "null"},
		{rawJSON(append(append([]byte{}, raw...), 'x')), "trailing x"},
		{rawJSON(append(append([]byte{}, raw...), "}}"...)), "trailing braces"},
		{rawJSON(append([]byte(" \n\t\r"), raw...)), "leading space"},
		{rawJSON(append([]byte("\ufeff"), raw...)), "BOM"},
		{rawJSON(append([]byte("\x00"), raw...)), "NUL"},
		{rawJSON(bytes.ReplaceAll(raw, []byte(","), []byte(" , "))), "spaced"},
		{rawJSON(bytes.ReplaceAll(raw, []byte(","), []byte(",,"))), "double commas"},
		{rawJSON(bytes.Replace(raw, []byte("}"), []byte(",}"), 1)), "trailing comma in an object"},
		{rawJSON(bytes.Replace(raw, []byte("]"), []byte(",]"), 1)), "trailing comma in an array"},
		{rawJSON(bytes.Replace(raw, []byte("["), []byte("[,"), 1)), "leading comma in an array"},
		{rawJSON(bytes.Replace(raw, []byte("{"), []byte("{,"), 1)), "leading comma in an object"},
		{rawJSON(bytes.Replace(raw, []byte(":"), []byte(" : "), -1)), "spaced colons"},
		{rawJSON(bytes.Replace(raw, []byte(`"`), []byte(`'`), 1)), "single quote"},
		{rawJSON(strings.Repeat("[", 10001) + strings.Repeat("]", 10001)), "too deep"},
		{rawJSON(strings.Repeat("[", 10000) + strings.Repeat("]", 10000)), "deep"},
	}
	for _, k := range []int{1, 2, len(raw) / 3, len(raw) / 2, len(raw) - 2, len(raw) - 1} {
		if k > 0 && k < len(raw) {
			out = append(out, mutation{rawJSON(raw[:k]), fmt.Sprintf("truncated at %d", k)})
		}
	}
	return out
}

// TestOpenAPI31LeftToKin: kin-openapi checks 3.1 documents with another
// validator (nullable means nothing there), so none of their schemas is
// compiled.
func TestOpenAPI31LeftToKin(t *testing.T) {
	src := `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /x:
    get:
      operationId: x
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {a: {type: string, nullable: true}}}
`
	doc, err := openapi3.NewLoader().LoadFromData([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker("v31", doc)
	if len(c.compiled) != 0 || len(c.notCompiled) != 1 {
		t.Fatalf("compiled %d, left %v", len(c.compiled), c.notCompiled)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	for body, valid := range map[string]bool{`{"a":"x"}`: true, `{"a":null}`: false} {
		if err := c.Response("x", 200, h, []byte(body)); (err == nil) != valid {
			t.Errorf("%s: %v, want valid=%v", body, err, valid)
		}
	}
}
