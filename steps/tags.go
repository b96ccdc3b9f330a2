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
