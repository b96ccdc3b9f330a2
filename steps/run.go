package steps

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cucumber/godog"

	"herald/specs"
)

// Module is one system's part of the suite: its features, its steps and the
// check of its answers. Step texts must be unambiguous across modules (each
// module names its system in them, or uses wording no other module does); a
// test of the suite proves it.
type Module interface {
	// System is the system's name, as in its spec and a Herald's info.
	System() string
	// Features are the module's Gherkin files.
	Features() fs.FS
	// Checker checks answers against the system's spec.
	Checker() *specs.Checker
	// ForHerald is how to reach the system in a Herald, at baseURL, with
	// the Herald's seeded credentials.
	ForHerald(baseURL string) *SystemTarget
	// Exclusions are the tags whose scenarios the target cannot run (an
	// account it lacks, say), with why.
	Exclusions(t Target) []Exclusion
	// Init binds the module's steps for one scenario. Its state lives in
	// the scenario's context (see On), never in the module.
	Init(sc *godog.ScenarioContext)
}

// Exclusion is a tag whose scenarios are left out of a run, and why.
type Exclusion struct {
	Tag string
	Why string
}

// Tags that mark scenarios a real deployment cannot run as they are.
const (
	// TagSimulator marks scenarios that use Herald's control API.
	TagSimulator = "@simulator"
	// TagHeraldDesign marks scenarios that check behaviour the vendor does
	// not document, which Herald designed.
	TagHeraldDesign = "@herald-design"
	// TagExpectViolation marks scenarios in which an answer that violates
	// the spec does not fail the step.
	TagExpectViolation = "@expect-violation"
)

// RunOptions configure one run of the suite.
type RunOptions struct {
	Target Target
	// Modules of the systems to test; the target's Systems says which of
	// them it serves.
	Modules []Module
	// Tags is a godog tag expression, such as "@auth && ~@slow".
	Tags string
	// Format is godog's: pretty, progress, junit:FILE, cucumber:FILE, comma-separated.
	Format string
	Output io.Writer
	// TestingT runs each scenario as a subtest.
	TestingT *testing.T
	// Features replaces the modules' features; nil runs those.
	Features fs.FS
}

// EffectiveTags returns the tag expression a run uses. Against a target that
// is not a Herald, scenarios that need the control API or check Herald's own
// design are left out unless the expression names those tags, and so are
// those each module excludes for the target.
func EffectiveTags(t Target, modules []Module, tags string) (expr string, notes []string) {
	expr = strings.TrimSpace(tags)
	exclude := func(tag, why string) {
		if strings.Contains(tags, tag) || strings.Contains(expr, "~"+tag) {
			return
		}
		if expr != "" {
			expr += " && "
		}
		expr += "~" + tag
		notes = append(notes, fmt.Sprintf("scenarios tagged %s are left out: %s; name the tag in --tags to run them anyway", tag, why))
	}
	if !t.IsHerald() {
		exclude(TagSimulator, "they need Herald's control API, and "+t.Name+" is not a Herald")
		exclude(TagHeraldDesign, "they check behaviour the vendor does not document")
	}
	for _, m := range modules {
		if t.Systems[m.System()] == nil {
			continue
		}
		for _, e := range m.Exclusions(t) {
			exclude(e.Tag, e.Why)
		}
	}
	return expr, notes
}

// FeaturesOf gathers the features of the modules whose systems the target
// serves, each under a folder named after its system.
func FeaturesOf(t Target, modules []Module) (fs.FS, []string, error) {
	merged := fstest.MapFS{}
	var systems []string
	for _, m := range modules {
		if t.Systems[m.System()] == nil {
			continue
		}
		systems = append(systems, m.System())
		err := fs.WalkDir(m.Features(), ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".feature") {
				return err
			}
			b, err := fs.ReadFile(m.Features(), path)
			if err != nil {
				return err
			}
			merged[m.System()+"/"+path] = &fstest.MapFile{Data: b}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	sort.Strings(systems)
	return merged, systems, nil
}

// Run runs the features against the target. It returns godog's status: 0
// when every scenario passed, 1 when one failed, 2 on bad options.
func Run(opts RunOptions) int {
	if opts.Format == "" {
		opts.Format = "pretty"
	}
	if opts.Output == nil {
		opts.Output = io.Discard
	}
	if opts.Target.Client == nil {
		opts.Target.Client = &http.Client{Timeout: 30 * time.Second}
	}
	features := opts.Features
	if features == nil {
		var systems []string
		var err error
		if features, systems, err = FeaturesOf(opts.Target, opts.Modules); err != nil {
			fmt.Fprintln(opts.Output, err)
			return 2
		}
		if len(systems) == 0 {
			fmt.Fprintf(opts.Output, "target %s serves none of the systems the suite tests\n", opts.Target.Name)
			return 2
		}
	}
	tags, notes := EffectiveTags(opts.Target, opts.Modules, opts.Tags)
	for _, n := range notes {
		fmt.Fprintln(opts.Output, "note:", n)
	}
	if _, err := selectIn(features, opts.Tags, true); err != nil {
		fmt.Fprintln(opts.Output, err)
		return 2
	}
	n, err := selectIn(features, tags, false)
	if err != nil {
		fmt.Fprintln(opts.Output, err)
		return 2
	}
	if n == 0 {
		fmt.Fprintf(opts.Output, "no scenario matches the tag expression %q\n", tags)
		return 2
	}
	run := &run{target: opts.Target, modules: opts.Modules}
	return godog.TestSuite{
		Name:                "herald",
		ScenarioInitializer: run.initScenario,
		Options: &godog.Options{
			Format:      opts.Format,
			Tags:        tags,
			Strict:      true,
			NoColors:    true,
			Concurrency: 1, // scenarios share the simulator clock, which some move
			FS:          features,
			Paths:       []string{"."},
			Output:      opts.Output,
			TestingT:    opts.TestingT,
		},
	}.Run()
}
