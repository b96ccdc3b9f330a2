package steps

import (
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cucumber/gherkin/go/v26"
	messages "github.com/cucumber/messages/go/v21"

	"herald/features"
)

var tagTerm = regexp.MustCompile(`^~?@[A-Za-z0-9_.:-]+$`)

// Select checks a godog tag expression against the embedded features and
// returns how many scenarios it selects. It refuses an expression godog
// cannot read, or one naming a tag no scenario has: either would otherwise
// run nothing and pass.
func Select(expr string) (int, error) { return selectIn(features.FS(), expr, true) }

// selectIn counts the scenarios of fsys that expr selects; with known, a tag
// no scenario has is an error.
func selectIn(fsys fs.FS, expr string, known bool) (int, error) {
	pickles, err := allPickles(fsys)
	if err != nil {
		return 0, err
	}
	if strings.TrimSpace(expr) == "" {
		return len(pickles), nil
	}
	tags := map[string]bool{}
	for _, p := range pickles {
		for _, t := range p.Tags {
			tags[t.Name] = true
		}
	}
	var groups [][]string
	for _, group := range strings.Split(expr, "&&") {
		var terms []string
		for _, term := range strings.Split(group, ",") {
			term = strings.TrimSpace(term)
			if !tagTerm.MatchString(term) {
				return 0, fmt.Errorf("tag expression %q: %q is not a tag; write @a && ~@b, @c (&& is and, a comma is or, ~ is not; no parentheses)", expr, term)
			}
			if name := strings.TrimPrefix(term, "~"); known && !tags[name] {
				return 0, fmt.Errorf("tag expression %q: no scenario has the tag %s (tags: %s)", expr, name, strings.Join(sortedKeys(tags), " "))
			}
			terms = append(terms, term)
		}
		groups = append(groups, terms)
	}
	n := 0
	for _, p := range pickles {
		if matches(groups, p.Tags) {
			n++
		}
	}
	return n, nil
}

// matches is godog's rule: every &&-group has a term that holds.
func matches(groups [][]string, tags []*messages.PickleTag) bool {
	has := func(name string) bool {
		for _, t := range tags {
			if t.Name == name {
				return true
			}
		}
		return false
	}
	for _, terms := range groups {
		ok := false
		for _, term := range terms {
			if name, neg := strings.CutPrefix(term, "~"); neg {
				ok = ok || !has(name)
			} else {
				ok = ok || has(term)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func allPickles(fsys fs.FS) ([]*messages.Pickle, error) {
	var pickles []*messages.Pickle
	id := 0
	newID := func() string { id++; return strconv.Itoa(id) }
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".feature") {
			return err
		}
		src, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(src), newID)
		if err != nil {
			return fmt.Errorf("feature %s: %w", path, err)
		}
		pickles = append(pickles, gherkin.Pickles(*doc, path, newID)...)
		return nil
	})
	return pickles, err
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// unit is a scenario, or a scenario outline with all its examples: what a
// feature path "file:line" selects.
type unit struct {
	uri     string
	line    int64
	pickles int
}

// Shards splits the scenarios that expr selects into n parts, as feature
// paths ("mopay/auth.feature:12"). The split depends only on the features:
// units sorted by their number of runs (then by place) go each to the part
// with the fewest runs so far, so the parts are disjoint, complete, stable
// across machines, and balanced within one outline's size.
func Shards(fsys fs.FS, expr string, n int) ([][]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("shards: want at least 1 part, got %d", n)
	}
	units, err := selectedUnits(fsys, expr)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(units, func(i, j int) bool { return units[i].pickles > units[j].pickles })
	parts := make([][]string, n)
	load := make([]int, n)
	for _, u := range units {
		k := 0
		for i := 1; i < n; i++ {
			if load[i] < load[k] {
				k = i
			}
		}
		load[k] += u.pickles
		parts[k] = append(parts[k], fmt.Sprintf("%s:%d", u.uri, u.line))
	}
	for _, p := range parts {
		sort.Strings(p)
	}
	return parts, nil
}

// selectedUnits lists, in place order, the scenarios and outlines that have
// at least one run selected by expr, with the number of such runs.
func selectedUnits(fsys fs.FS, expr string) ([]unit, error) {
	var groups [][]string
	for _, group := range strings.Split(expr, "&&") {
		var terms []string
		for _, term := range strings.Split(group, ",") {
			if term = strings.TrimSpace(term); term != "" {
				terms = append(terms, term)
			}
		}
		if len(terms) > 0 {
			groups = append(groups, terms)
		}
	}
	var units []unit
	id := 0
	newID := func() string { id++; return strconv.Itoa(id) }
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".feature") {
			return err
		}
		src, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(src), newID)
		if err != nil {
			return fmt.Errorf("feature %s: %w", path, err)
		}
		lines := map[string]int64{}
		for _, child := range doc.Feature.Children {
			if child.Scenario != nil {
				lines[child.Scenario.Id] = child.Scenario.Location.Line
			}
			if child.Rule != nil {
				for _, rc := range child.Rule.Children {
					if rc.Scenario != nil {
						lines[rc.Scenario.Id] = rc.Scenario.Location.Line
					}
				}
			}
		}
		counts := map[int64]int{}
		for _, p := range gherkin.Pickles(*doc, path, newID) {
			if matches(groups, p.Tags) {
				counts[lines[p.AstNodeIds[0]]]++
			}
		}
		for line, c := range counts {
			units = append(units, unit{uri: path, line: line, pickles: c})
		}
		return nil
	})
	sort.Slice(units, func(i, j int) bool {
		if units[i].uri != units[j].uri {
			return units[i].uri < units[j].uri
		}
		return units[i].line < units[j].line
	})
	return units, err
}

// place is where a scenario (or outline row) stands in the features.
type place struct {
	feature string
	line    int64
	tags    []string
	steps   []string
}

// pickleKey identifies a scenario run across parses: its file, name and
// step texts (outline rows differ in their texts).
func pickleKey(uri, name string, steps []string) string {
	return uri + "\x00" + name + "\x00" + strings.Join(steps, "\x00")
}

// places indexes every scenario run of fsys by pickleKey.
func places(fsys fs.FS) (map[string]place, []string, error) {
	out := map[string]place{}
	var order []string
	id := 0
	newID := func() string { id++; return strconv.Itoa(id) }
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".feature") {
			return err
		}
		src, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(src), newID)
		if err != nil {
			return fmt.Errorf("feature %s: %w", path, err)
		}
		lines := map[string]int64{}
		for _, child := range doc.Feature.Children {
			if sc := child.Scenario; sc != nil {
				lines[sc.Id] = sc.Location.Line
				for _, ex := range sc.Examples {
					for _, row := range ex.TableBody {
						lines[row.Id] = row.Location.Line
					}
				}
			}
		}
		for _, p := range gherkin.Pickles(*doc, path, newID) {
			var texts []string
			for _, st := range p.Steps {
				texts = append(texts, st.Text)
			}
			line := lines[p.AstNodeIds[0]]
			if len(p.AstNodeIds) > 1 { // an outline row
				line = lines[p.AstNodeIds[1]]
			}
			key := pickleKey(path, p.Name, texts)
			out[key] = place{feature: doc.Feature.Name, line: line, tags: pickleTagNames(p.Tags), steps: texts}
			order = append(order, key)
		}
		return nil
	})
	return out, order, err
}

func pickleTagNames(tags []*messages.PickleTag) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		out = append(out, t.Name)
	}
	return out
}
