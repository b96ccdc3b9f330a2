package engine

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"herald/specs"
)

// The closest miss: when a request matches no operation, the journal names
// the documented operation it comes closest to, and what differs, so that
// the person reading it knows what to change. Each operation's path is
// compiled once per document into segments (shapes); a request is aligned
// with each shape segment by segment (an edit distance over segments, whose
// cost of changing one segment into another is itself an edit distance over
// letters), and the cheapest alignment, method included, wins. The request
// is clipped to as many segments as the document's longest path has, plus
// two, and each segment to clipSegment bytes, so that the cost grows with
// the document alone.

// Costs of the alignment, in units: a changed segment costs less than
// dropping one and adding another, so that segments line up where they can.
// A parameter costs a fraction of a unit, which only breaks ties: a literal
// segment lines up with its literal rather than a parameter.
const (
	unit        = 16
	costParam   = 1         // a parameter's value
	costCase    = 1 * unit  // the same letters in another case
	costMethod  = 5 * unit  // another method
	costSegment = 10 * unit // a segment missing or extra
	costChange  = 5 * unit  // a segment changed (plus its letters' distance): a near spelling lines up before a parameter and a missing segment
	maxLetters  = 9         // at most this many letters' distance counts
	clipSegment = 32        // bytes of a segment the letters' distance compares
	clipShown   = 48        // bytes of a request's segment a difference shows
)

// shapes are a document's operations as the closest-miss search compares
// them, and the distinct literal segments they spell.
type shapes struct {
	ops []shape
	// literals are the distinct lowercase literal segments of every path.
	literals []string
	// longest is the most segments a path has.
	longest int
}

// shape is one operation's method and path, in segments.
type shape struct {
	id, method, path string
	segs             []segment
}

// segment is one segment of a path template: a literal, or a parameter.
type segment struct {
	text    string // as the document spells it
	param   string // the parameter's name; "" for a literal
	literal int    // index in shapes.literals of its lowercase text
}

var methodOrder = map[string]int{http.MethodGet: 0, http.MethodPost: 1, http.MethodPut: 2, http.MethodPatch: 3, http.MethodDelete: 4}

// newShapes compiles the shapes of a document's operations.
func newShapes(check *specs.Checker) *shapes {
	s := &shapes{}
	index := map[string]int{}
	for _, id := range check.OperationIDs() {
		route := check.Route(id)
		sh := shape{id: id, method: route.Method, path: route.Path}
		for _, text := range splitPath(route.Path) {
			seg := segment{text: text, literal: -1}
			if strings.HasPrefix(text, "{") && strings.HasSuffix(text, "}") {
				seg.param = strings.TrimSuffix(strings.TrimPrefix(text, "{"), "}")
			} else {
				low := strings.ToLower(text)
				i, ok := index[low]
				if !ok {
					i = len(s.literals)
					index[low] = i
					s.literals = append(s.literals, low)
				}
				seg.literal = i
			}
			sh.segs = append(sh.segs, seg)
		}
		s.longest = max(s.longest, len(sh.segs))
		s.ops = append(s.ops, sh)
	}
	sort.SliceStable(s.ops, func(i, j int) bool {
		if s.ops[i].path != s.ops[j].path {
			return s.ops[i].path < s.ops[j].path
		}
		return methodOrder[s.ops[i].method] < methodOrder[s.ops[j].method]
	})
	return s
}

// splitPath splits a path into its segments: "/" has none, "/a/" has "a"
// and "".
func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// step is one move of an alignment.
type step uint8

const (
	stepSame    step = iota // a request segment against a template segment
	stepExtra               // a request segment the template lacks
	stepMissing             // a template segment the request lacks
)

// closest finds the operation closest to method and path; asked is the
// method as the request gave it, shown when it differs (HEAD is routed as
// GET). action names the query parameter by which requests name their
// operation, when paths are /<action> (see Config.ActionQuery); ""
// otherwise.
func (s *shapes) closest(method, asked, path, action string) *Miss {
	if len(s.ops) == 0 {
		return nil
	}
	// Only as many segments as the document's longest path, plus two, are
	// split off: the rest cannot line up with anything.
	limit := s.longest + 2
	req := strings.SplitN(strings.TrimPrefix(path, "/"), "/", limit+1)
	if len(req) == 1 && req[0] == "" {
		req = nil
	}
	if len(req) > limit {
		req = req[:limit]
	}
	if action != "" && len(req) == 0 {
		return &Miss{Differences: []string{fmt.Sprintf("no action named: name one with ?%s=<action> or the path /<action>", action)}}
	}
	low := make([]string, len(req))
	for i, r := range req {
		low[i] = strings.ToLower(clip(r, clipSegment))
	}
	// letters[i][k] is the distance between request segment i and literal
	// k, computed when first needed; -1 not yet.
	letters := make([][]int, len(req))
	for i := range letters {
		letters[i] = make([]int, len(s.literals))
		for k := range letters[i] {
			letters[i][k] = -1
		}
	}
	change := func(i int, seg segment) int {
		switch {
		case seg.param != "":
			if req[i] == "" {
				return costSegment
			}
			return costParam
		case req[i] == seg.text:
			return 0
		case low[i] == s.literals[seg.literal] && len(req[i]) <= clipSegment:
			return costCase
		}
		d := letters[i][seg.literal]
		if d < 0 {
			d = letterDistance(low[i], s.literals[seg.literal])
			letters[i][seg.literal] = d
		}
		return costChange + d*unit
	}
	best, bestCost := -1, 0
	var buf []int
	for n, op := range s.ops {
		var cost int
		cost, buf = align(len(req), op.segs, change, buf)
		if op.method != method {
			cost += costMethod
		}
		if best < 0 || cost < bestCost {
			best, bestCost = n, cost
		}
	}
	op := s.ops[best]
	_, buf = align(len(req), op.segs, change, buf)
	steps := alignment(len(req), op.segs, change, buf)
	return &Miss{OperationID: op.id, Method: op.method, Path: op.path, Differences: differences(method, asked, req, op, steps, action)}
}

// align is the cost of the cheapest alignment of n request segments with a
// template's. It fills buf (grown as needed, and returned) with the costs of
// every pair of prefixes, row by row, for alignment.
func align(n int, tmpl []segment, change func(i int, seg segment) int, buf []int) (int, []int) {
	m := len(tmpl)
	if cap(buf) < (n+1)*(m+1) {
		buf = make([]int, (n+1)*(m+1))
	}
	cost := buf[:(n+1)*(m+1)]
	at := func(i, j int) int { return i*(m+1) + j }
	for i := 0; i <= n; i++ {
		for j := 0; j <= m; j++ {
			switch {
			case i == 0 && j == 0:
				cost[0] = 0
			case i == 0:
				cost[at(i, j)] = cost[at(i, j-1)] + costSegment
			case j == 0:
				cost[at(i, j)] = cost[at(i-1, j)] + costSegment
			default:
				cost[at(i, j)] = min(cost[at(i-1, j-1)]+change(i-1, tmpl[j-1]), cost[at(i-1, j)]+costSegment, cost[at(i, j-1)]+costSegment)
			}
		}
	}
	return cost[at(n, m)], buf
}

// alignment walks back the costs align left in buf, and returns the steps
// of the cheapest alignment in order.
func alignment(n int, tmpl []segment, change func(i int, seg segment) int, buf []int) []step {
	m := len(tmpl)
	at := func(i, j int) int { return i*(m+1) + j }
	cost := buf
	// Walking back from the end, an extra or missing segment is preferred
	// to a change of the same cost: the request's first segments line up.
	var steps []step
	for i, j := n, m; i > 0 || j > 0; {
		switch {
		case i > 0 && cost[at(i, j)] == cost[at(i-1, j)]+costSegment:
			steps = append(steps, stepExtra)
			i--
		case j > 0 && cost[at(i, j)] == cost[at(i, j-1)]+costSegment:
			steps = append(steps, stepMissing)
			j--
		default:
			steps = append(steps, stepSame)
			i, j = i-1, j-1
		}
	}
	for a, b := 0, len(steps)-1; a < b; a, b = a+1, b-1 {
		steps[a], steps[b] = steps[b], steps[a]
	}
	return steps
}

// differences says, in short phrases a person acts on, what the request
// would change to be op.
func differences(method, asked string, req []string, op shape, steps []step, action string) []string {
	var out []string
	if method != op.method {
		out = append(out, fmt.Sprintf("method %s; the operation takes %s", asked, op.method))
	}
	if action != "" && len(req) == 1 && len(op.segs) == 1 && op.segs[0].param == "" {
		// One action against another: name it as the request names it.
		switch got, want := req[0], op.segs[0].text; {
		case got == want:
		case strings.EqualFold(got, want):
			out = append(out, "action case: the document spells it "+want)
		default:
			out = append(out, fmt.Sprintf("action `%s` is not documented; the closest is `%s`", shown(got), want))
		}
		return out
	}
	caseOnly := false
	i, j := 0, 0
	for _, st := range steps {
		switch st {
		case stepSame:
			seg, got := op.segs[j], req[i]
			switch {
			case seg.param != "" && got == "":
				out = append(out, "path parameter "+seg.param+" missing")
			case seg.param != "" || got == seg.text:
			case strings.EqualFold(got, seg.text):
				caseOnly = true
			default:
				out = append(out, fmt.Sprintf("segment %d is `%s`, the document has `%s`", i+1, shown(got), seg.text))
			}
			i, j = i+1, j+1
		case stepExtra:
			if req[i] == "" && i == len(req)-1 {
				out = append(out, "trailing slash: the document has "+op.path)
			} else {
				out = append(out, fmt.Sprintf("segment %d `%s` is not in the document", i+1, shown(req[i])))
			}
			i++
		case stepMissing:
			if seg := op.segs[j]; seg.param != "" {
				out = append(out, "path parameter "+seg.param+" missing")
			} else {
				out = append(out, fmt.Sprintf("segment %d `%s` missing", j+1, seg.text))
			}
			j++
		}
	}
	if caseOnly {
		out = append(out, "path case: the document spells it "+op.path)
	}
	return out
}

// letterDistance is the edit distance between a and b, in bytes, of their
// first clipSegment bytes, and at most maxLetters: lengths further apart
// than that need no comparison.
func letterDistance(a, b string) int {
	a, b = clip(a, clipSegment), clip(b, clipSegment)
	if len(a)-len(b) > maxLetters || len(b)-len(a) > maxLetters {
		return maxLetters
	}
	var rows [2][clipSegment + 1]int
	prev, cur := &rows[0], &rows[1]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return min(maxLetters, prev[len(b)])
}

// clip cuts s to at most n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// shown is a request's segment fit for a note: clipped, cut at a "?" (an
// action can smuggle a query into the path, and a query can carry
// credentials), and with what does not print escaped.
func shown(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[:i] + "?…"
	}
	s = strings.ReplaceAll(clipText(s, clipShown), "`", "'")
	for _, r := range s {
		if !unicode.IsPrint(r) {
			q := strconv.QuoteToGraphic(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}
