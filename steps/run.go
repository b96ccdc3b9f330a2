package steps

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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

// ParamDeclarer is a module that names the parameters it reads, so that a
// misspelt one in a target is refused rather than silently unused.
type ParamDeclarer interface {
	// Params lists the parameter keys; a key ending in "." takes any
	// suffix ("certificate." for "certificate.sender-a").
	Params() []string
}

// ParamValidator is a module that checks its target's parameters together
// (a password without its email, say) before anything is sent, so that a
// mistake is one usage error, not a failure per scenario against a real
// deployment.
type ParamValidator interface {
	ValidateParams(st *SystemTarget) error
}

// CheckOptions refuses, before anything is sent, options a run cannot
// honour: a gate on a system the target does not serve, a parameter no
// module reads, parameters that do not go together, a tag expression that
// is malformed, names no scenario's tag or leaves nothing to run.
func CheckOptions(opts RunOptions) error {
	if err := checkGateSystems(opts); err != nil {
		return err
	}
	if err := checkParams(opts.Target, opts.Modules); err != nil {
		return err
	}
	features := opts.Features
	if features == nil {
		var err error
		if features, _, err = FeaturesOf(opts.Target, opts.Modules); err != nil {
			return err
		}
	}
	tags, exclusions := effective(opts.Target, opts.Modules, opts.Tags, opts.AllowMutating)
	if _, err := checkSelection(features, opts.Tags, tags, exclusions); err != nil {
		return err
	}
	for _, m := range opts.Modules {
		st := opts.Target.Systems[m.System()]
		if v, ok := m.(ParamValidator); ok && st != nil {
			if err := v.ValidateParams(st); err != nil {
				return fmt.Errorf("target %s: %s: %w", opts.Target.Name, m.System(), err)
			}
		}
	}
	return nil
}

// checkParams refuses a target parameter no module reads.
func checkParams(t Target, modules []Module) error {
	for _, m := range modules {
		st := t.Systems[m.System()]
		d, ok := m.(ParamDeclarer)
		if st == nil || !ok {
			continue
		}
		known := d.Params()
		for key := range st.Params {
			ok := false
			for _, k := range known {
				ok = ok || key == k || (strings.HasSuffix(k, ".") && strings.HasPrefix(key, k))
			}
			if !ok {
				return fmt.Errorf("target %s: systems.%s.params.%s: %s reads no such parameter (it reads %s)",
					t.Name, m.System(), key, m.System(), strings.Join(known, ", "))
			}
		}
	}
	return nil
}

// checkSelection refuses a user's tag expression that is malformed or names
// a tag no scenario has, and a run's expression (tags) that leaves nothing
// to run; it returns how many scenario runs the run's expression selects.
func checkSelection(features fs.FS, user, tags string, exclusions []Exclusion) (int, error) {
	if _, err := selectIn(features, user, true); err != nil {
		return 0, err
	}
	n, err := selectIn(features, tags, false)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "no scenario is left to run: the run's tag expression is %q", tags)
		if len(exclusions) > 0 {
			b.WriteString("; of the scenarios your tags select, these are left out:")
			for _, e := range exclusions {
				fmt.Fprintf(&b, "\n  %s: %s", e.Tag, e.Why)
			}
		}
		return 0, errors.New(b.String())
	}
	return n, nil
}

// Exclusion is a tag whose scenarios are left out of a run, and why.
type Exclusion struct {
	Tag string
	Why string
	// Need is what would bring them back, in a few words, for the run's
	// summary: "--allow-mutating", "a Herald", "a Mopay account".
	Need string
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
	// Concurrency runs this many scenarios at once (0 or 1: one at a time).
	// Against a Herald each scenario then runs in an isolated world of its
	// own, so that none sees another's state, clock or faults.
	Concurrency int
	// Isolate runs each scenario in an isolated world of its own even one
	// at a time, so that suites can share a Herald (implied by Concurrency
	// above 1 against a Herald).
	Isolate bool
	// Shard runs the K-th of N stable, balanced parts of the selected
	// scenarios (K from 1); the zero value runs them all.
	Shard Shard
	// AllowMutating runs the scenarios that create or change data on a
	// target that is not a Herald (tagged @mutating).
	AllowMutating bool
	// MinCoverage fails the run (status 1) when a spec's contract coverage
	// is below this percentage; 0 turns the gate off.
	MinCoverage float64
	// MinCoverageOf is MinCoverage per system ("" for every other system).
	MinCoverageOf Gate
	// MinScenarios fails the run (status 1) when a smaller share of a
	// system's selected scenarios than this percentage ran to a verdict
	// (passed or failed): a run that left out too much ("" for every other
	// system).
	MinScenarios Gate
	// Outcome, when given, receives what the run found.
	Outcome *RunOutcome
}

// Shard names one of N parts of a run.
type Shard struct{ K, N int }

// EffectiveTags returns the tag expression a run uses. Against a target that
// is not a Herald, scenarios that need the control API or check Herald's own
// design are left out unless the expression names those tags, and so are
// those each module excludes for the target.
func EffectiveTags(t Target, modules []Module, tags string) (expr string, notes []string) {
	expr, exclusions := effective(t, modules, tags, false)
	for _, e := range exclusions {
		notes = append(notes, fmt.Sprintf("scenarios tagged %s are left out: %s; name the tag in --tags to run them anyway", e.Tag, e.Why))
	}
	return expr, notes
}

// RunTags is the tag expression a run with these options uses.
func RunTags(t Target, modules []Module, tags string, allowMutating bool) string {
	expr, _ := effective(t, modules, tags, allowMutating)
	return expr
}

// TagMutating marks scenarios that create or change data on the target.
const TagMutating = "@mutating"

// effective is EffectiveTags with the exclusions themselves.
func effective(t Target, modules []Module, tags string, allowMutating bool) (string, []Exclusion) {
	expr := strings.TrimSpace(tags)
	var out []Exclusion
	exclude := func(tag, why, need string) {
		if strings.Contains(tags, tag) || strings.Contains(expr, "~"+tag) {
			return
		}
		if expr != "" {
			expr += " && "
		}
		expr += "~" + tag
		out = append(out, Exclusion{Tag: tag, Why: why, Need: need})
	}
	if !t.IsHerald() {
		exclude(TagSimulator, "they need Herald's control API, and "+t.Name+" is not a Herald", "a Herald")
		exclude(TagHeraldDesign, "they check behaviour the vendor does not document, which Herald designed", "a Herald")
		if !allowMutating {
			exclude(TagMutating, "they create or change data on "+t.Name+", and --allow-mutating was not given", "--allow-mutating")
		}
	}
	for _, m := range modules {
		if t.Systems[m.System()] == nil {
			continue
		}
		for _, e := range m.Exclusions(t) {
			exclude(e.Tag, e.Why, e.Need)
		}
	}
	return expr, out
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
	if err := CheckOptions(opts); err != nil {
		fmt.Fprintln(opts.Output, err)
		return 2
	}
	tags, exclusions := effective(opts.Target, opts.Modules, opts.Tags, opts.AllowMutating)
	formats, err := parseFormats(opts.Format)
	if err != nil {
		fmt.Fprintln(opts.Output, err)
		return 2
	}
	n, err := checkSelection(features, opts.Tags, tags, exclusions)
	if err != nil {
		fmt.Fprintln(opts.Output, err)
		return 2
	}
	paths := []string{"."}
	if opts.Shard.N > 0 {
		if opts.Shard.K < 1 || opts.Shard.K > opts.Shard.N {
			fmt.Fprintf(opts.Output, "shard %d/%d: want K from 1 to N\n", opts.Shard.K, opts.Shard.N)
			return 2
		}
		parts, err := Shards(features, tags, opts.Shard.N)
		if err != nil {
			fmt.Fprintln(opts.Output, err)
			return 2
		}
		paths = parts[opts.Shard.K-1]
		if len(paths) == 0 { // more runners than scenarios: this one has nothing to do
			fmt.Fprintf(opts.Output, "shard %d/%d holds none of the %d selected scenarios: nothing to run\n", opts.Shard.K, opts.Shard.N, n)
			return 0
		}
		fmt.Fprintf(opts.Output, "shard %d/%d: %d of the selected scenarios and outlines\n", opts.Shard.K, opts.Shard.N, len(paths))
	}
	runs, err := scenarioRuns(features)
	if err != nil {
		fmt.Fprintln(opts.Output, err)
		return 2
	}
	places := map[string]scenarioRun{}
	for _, r := range runs {
		places[r.key()] = r
	}
	allSkipped := skippedOf(runs, opts.Tags, exclusions)
	var skipped []Skipped
	if opts.Shard.N == 0 || opts.Shard.K == 1 { // one shard reports them, once
		skipped = allSkipped
	}
	var shardPaths map[string]bool
	if opts.Shard.N > 0 {
		shardPaths = map[string]bool{}
		for _, p := range paths {
			shardPaths[p] = true
		}
	}
	tmp, err := os.MkdirTemp("", "herald-reports-")
	if err != nil {
		fmt.Fprintln(opts.Output, err)
		return 2
	}
	defer os.RemoveAll(tmp)
	console := &consoleFilter{out: opts.Output}
	concurrency := max(opts.Concurrency, 1)
	run := &run{target: opts.Target, modules: opts.Modules, isolate: (concurrency > 1 || opts.Isolate) && opts.Target.IsHerald(),
		journal: &journal{}, places: places}
	status := godog.TestSuite{
		Name:                "herald",
		ScenarioInitializer: run.initScenario,
		Options: &godog.Options{
			Format:      formats.godog(tmp),
			Tags:        tags,
			Strict:      true,
			NoColors:    true,
			Concurrency: concurrency,
			FS:          features,
			Paths:       paths,
			Output:      console,
			TestingT:    opts.TestingT,
		},
	}.Run()
	_ = console.flush()
	if err := run.worlds.close(opts.Target); err != nil {
		fmt.Fprintln(opts.Output, "deleting the run's worlds:", err)
	}
	if status == 2 {
		return status
	}
	printSkipped(opts.Output, skipped)
	results := run.journal.results()
	printSkippedWhileRunning(opts.Output, results)
	var exchanges []Exchange
	for _, r := range results {
		exchanges = append(exchanges, r.Exchanges...)
	}
	var coverage []Coverage
	for _, m := range opts.Modules {
		if opts.Target.Systems[m.System()] != nil {
			coverage = append(coverage, ComputeCoverage(m.System(), m.Checker(), exchanges))
		}
	}
	var systems []string
	for _, m := range opts.Modules {
		if opts.Target.Systems[m.System()] != nil {
			systems = append(systems, m.System())
		}
	}
	sums := summarize(systems, runs, opts.Tags, exclusions, allSkipped, results, coverage, shardPaths)
	fmt.Fprintln(opts.Output)
	printCoverage(opts.Output, coverageOfSelected(coverage, sums))
	printSummary(opts.Output, sums)
	minCoverage := Gate{}
	for k, v := range opts.MinCoverageOf {
		minCoverage[k] = v
	}
	if _, ok := minCoverage[""]; !ok && opts.MinCoverage > 0 {
		minCoverage[""] = opts.MinCoverage
	}
	gates := checkGates(sums, minCoverage, opts.MinScenarios)
	for _, f := range gates {
		fmt.Fprintln(opts.Output, f)
	}
	if err := formats.write(tmp, opts.Target.Name, results, skipped, coverage, sums, gates); err != nil {
		fmt.Fprintln(opts.Output, "reports:", err)
		return 2
	}
	if opts.Outcome != nil {
		for _, s := range sums {
			opts.Outcome.Failed += s.Failed
		}
		opts.Outcome.GateFailures = gates
	}
	if len(gates) > 0 {
		status = 1
	}
	return status
}

// RunOutcome is what a run found, beyond its status: how many scenarios
// failed, and which gates (--min-coverage, --min-scenarios) it fell short of.
type RunOutcome struct {
	Failed       int
	GateFailures []string
}

// checkGateSystems refuses a per-system gate that names a system the run
// does not test: it would never hold anything.
func checkGateSystems(opts RunOptions) error {
	for flag, g := range map[string]Gate{"--min-coverage": opts.MinCoverageOf, "--min-scenarios": opts.MinScenarios} {
		for sys, v := range g {
			if v < 0 || v > 100 {
				return fmt.Errorf("%s %s=%g: want a percentage from 0 to 100", flag, sys, v)
			}
			if sys != "" && opts.Target.Systems[sys] == nil {
				var known, served []string
				for _, m := range opts.Modules {
					known = append(known, m.System())
					if opts.Target.Systems[m.System()] != nil {
						served = append(served, m.System())
					}
				}
				if !slices.Contains(known, sys) {
					return fmt.Errorf("%s %s=%g: no system is named %s (the systems: %s)", flag, sys, v, sys, strings.Join(known, ", "))
				}
				return fmt.Errorf("%s %s=%g: the target does not serve %s (it serves %s)", flag, sys, v, sys, strings.Join(served, ", "))
			}
		}
	}
	return nil
}

// formats are the reports a run writes.
type formats struct {
	console  []string // pretty, progress
	junit    []string
	cucumber []string
	html     []string
}

// parseFormats reads "pretty,junit:FILE,cucumber:FILE,html:FILE".
func parseFormats(spec string) (formats, error) {
	var f formats
	for _, item := range strings.Split(spec, ",") {
		name, file, hasFile := strings.Cut(strings.TrimSpace(item), ":")
		switch name {
		case "pretty", "progress":
			if hasFile {
				return f, fmt.Errorf("format %q writes to the console, not to a file", item)
			}
			f.console = append(f.console, name)
		case "junit", "cucumber", "html":
			if !hasFile || file == "" {
				return f, fmt.Errorf("format %q needs a file: %s:FILE", item, name)
			}
			switch name {
			case "junit":
				f.junit = append(f.junit, file)
			case "cucumber":
				f.cucumber = append(f.cucumber, file)
			default:
				f.html = append(f.html, file)
			}
		default:
			return f, fmt.Errorf("unknown format %q (want pretty, progress, junit:FILE, cucumber:FILE or html:FILE)", name)
		}
	}
	return f, nil
}

// godog is the format list godog writes: the console ones, and JUnit and
// Cucumber to tmp, from which write adds the skipped scenarios.
func (f formats) godog(tmp string) string {
	parts := append([]string(nil), f.console...)
	if len(parts) == 0 {
		parts = append(parts, "progress")
	}
	if len(f.junit) > 0 {
		parts = append(parts, "junit:"+filepath.Join(tmp, "junit.xml"))
	}
	if len(f.cucumber) > 0 {
		parts = append(parts, "cucumber:"+filepath.Join(tmp, "cucumber.json"))
	}
	return strings.Join(parts, ",")
}

func (f formats) write(tmp, target string, results []*ScenarioResult, skipped []Skipped, coverage []Coverage, sums []SystemSummary, gates []string) error {
	for _, dst := range f.junit {
		if err := writeJUnit(filepath.Join(tmp, "junit.xml"), dst, skipped, sums, results, gates); err != nil {
			return err
		}
	}
	for _, dst := range f.cucumber {
		if err := writeCucumber(filepath.Join(tmp, "cucumber.json"), dst, skipped, sums, results, gates); err != nil {
			return err
		}
	}
	for _, dst := range f.html {
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		err = writeHTML(out, target, results, skipped, coverage, sums, gates)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
