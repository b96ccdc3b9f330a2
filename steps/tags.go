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

// scenarioRun is one run of a scenario (an outline has one per example
// row), as the features give it.
type scenarioRun struct {
	uri     string
	feature string
	name    string
	unit    int64 // the line of its Scenario or Scenario Outline
	line    int64 // its own line: the example row's, or the scenario's
	tags    []string
	steps   []string
}

// key identifies the run across parses: its file, name and step texts
// (outline rows differ in their texts).
func (r scenarioRun) key() string { return pickleKey(r.uri, r.name, r.steps) }

func pickleKey(uri, name string, steps []string) string {
	return uri + "\x00" + name + "\x00" + strings.Join(steps, "\x00")
}

// scenarioRuns reads every run of the features of fsys, in place order.
func scenarioRuns(fsys fs.FS) ([]scenarioRun, error) {
	var runs []scenarioRun
	err := walkFeatures(fsys, func(path string, doc *messages.GherkinDocument, newID func() string) error {
		lines := map[string]int64{}
		addScenario := func(sc *messages.Scenario) {
			lines[sc.Id] = sc.Location.Line
			for _, ex := range sc.Examples {
				for _, row := range ex.TableBody {
					lines[row.Id] = row.Location.Line
				}
			}
		}
		for _, child := range doc.Feature.Children {
			if child.Scenario != nil {
				addScenario(child.Scenario)
			}
			if child.Rule != nil {
				for _, rc := range child.Rule.Children {
					if rc.Scenario != nil {
						addScenario(rc.Scenario)
					}
				}
			}
		}
		for _, p := range gherkin.Pickles(*doc, path, newID) {
			r := scenarioRun{uri: path, feature: doc.Feature.Name, name: p.Name, unit: lines[p.AstNodeIds[0]]}
			r.line = r.unit
			if len(p.AstNodeIds) > 1 { // an outline row
				r.line = lines[p.AstNodeIds[1]]
			}
			for _, t := range p.Tags {
				r.tags = append(r.tags, t.Name)
			}
			for _, st := range p.Steps {
				r.steps = append(r.steps, st.Text)
			}
			runs = append(runs, r)
		}
		return nil
	})
	return runs, err
}

// Select checks a godog tag expression against the embedded features and
// returns how many scenarios it selects. It refuses an expression godog
// cannot read, or one naming a tag no scenario has: either would otherwise
// run nothing and pass.
func Select(expr string) (int, error) { return selectIn(features.FS(), expr, true) }

// selectIn counts the scenarios of fsys that expr selects; with known, a tag
// no scenario has is an error.
func selectIn(fsys fs.FS, expr string, known bool) (int, error) {
	runs, err := scenarioRuns(fsys)
	if err != nil {
		return 0, err
	}
	if strings.TrimSpace(expr) == "" {
		return len(runs), nil
	}
	tags := map[string]bool{}
	for _, r := range runs {
		for _, t := range r.tags {
			tags[t] = true
		}
	}
	groups := parseGroups(expr)
	for _, terms := range groups {
		for _, term := range terms {
			if !tagTerm.MatchString(term) {
				return 0, fmt.Errorf("tag expression %q: %q is not a tag; write @a && ~@b, @c (&& is and, a comma is or, ~ is not; no parentheses)", expr, term)
			}
			if name := strings.TrimPrefix(term, "~"); known && !tags[name] {
				return 0, fmt.Errorf("tag expression %q: no scenario has the tag %s (tags: %s)", expr, name, strings.Join(sortedKeys(tags), " "))
			}
		}
	}
	n := 0
	for _, r := range runs {
		if matchNames(groups, r.tags) {
			n++
		}
	}
	return n, nil
}

// parseGroups splits a tag expression into &&-groups of ,-terms. An empty
// term is kept, so that selectIn can refuse it.
func parseGroups(expr string) [][]string {
	if strings.TrimSpace(expr) == "" {
		return nil
	}
	var groups [][]string
	for _, group := range strings.Split(expr, "&&") {
		var terms []string
		for _, term := range strings.Split(group, ",") {
			terms = append(terms, strings.TrimSpace(term))
		}
		groups = append(groups, terms)
	}
	return groups
}

// matchNames is godog's rule: every &&-group has a term that holds.
func matchNames(groups [][]string, tags []string) bool {
	for _, terms := range groups {
		ok := false
		for _, term := range terms {
			if name, neg := strings.CutPrefix(term, "~"); neg {
				ok = ok || !hasTag(tags, name)
			} else {
				ok = ok || hasTag(tags, term)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func hasTag(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Shards splits the scenarios that expr selects into n parts, as feature
// paths ("mopay/auth.feature:12"): a scenario, or an outline with all its
// rows, is one unit. The split depends only on the features: units sorted by
// their number of runs (then by place) go each to the part with the fewest
// runs so far, so the parts are disjoint, complete, stable across machines,
// and balanced within one outline's size.
func Shards(fsys fs.FS, expr string, n int) ([][]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("shards: want at least 1 part, got %d", n)
	}
	runs, err := scenarioRuns(fsys)
	if err != nil {
		return nil, err
	}
	type unit struct {
		path string
		runs int
	}
	var units []*unit
	byPath := map[string]*unit{}
	groups := parseGroups(expr)
	for _, r := range runs {
		if !matchNames(groups, r.tags) {
			continue
		}
		path := fmt.Sprintf("%s:%d", r.uri, r.unit)
		if byPath[path] == nil {
			byPath[path] = &unit{path: path}
			units = append(units, byPath[path])
		}
		byPath[path].runs++
	}
	sort.SliceStable(units, func(i, j int) bool { return units[i].runs > units[j].runs })
	parts := make([][]string, n)
	load := make([]int, n)
	for _, u := range units {
		k := 0
		for i := 1; i < n; i++ {
			if load[i] < load[k] {
				k = i
			}
		}
		load[k] += u.runs
		parts[k] = append(parts[k], u.path)
	}
	for _, p := range parts {
		sort.Strings(p)
	}
	return parts, nil
}

// SelectIn counts the scenario runs of fsys that expr selects; a tag no
// scenario has is no error (it selects nothing).
func SelectIn(fsys fs.FS, expr string) (int, error) { return selectIn(fsys, expr, false) }

// Pickles parses every feature of fsys into godog's pickles (an outline
// row is one), in place order: for tests that check the features' tags
// against their steps.
func Pickles(fsys fs.FS) ([]*messages.Pickle, error) {
	var out []*messages.Pickle
	err := walkFeatures(fsys, func(path string, doc *messages.GherkinDocument, newID func() string) error {
		out = append(out, gherkin.Pickles(*doc, path, newID)...)
		return nil
	})
	return out, err
}

// walkFeatures parses every feature file of fsys, in place order, and
// hands each document to visit with the id source its pickles must share.
func walkFeatures(fsys fs.FS, visit func(path string, doc *messages.GherkinDocument, newID func() string) error) error {
	id := 0
	newID := func() string { id++; return strconv.Itoa(id) }
	return fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
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
		return visit(path, doc, newID)
	})
}
