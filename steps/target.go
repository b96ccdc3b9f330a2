package steps

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"

	"herald/features"
	"herald/specs"
)

// Target is what the suite runs against.
type Target struct {
	// Name describes the target in reports: "in-process simulator", a URL.
	Name string
	// MopayURL is Mopay's base URL, ending in "/": "http://127.0.0.1:8080/mopay/".
	MopayURL string
	// MopayReqForm addresses actions as "/?req=<action>&…", the form of the
	// vendor's documented base URL, rather than "/<action>?…".
	MopayReqForm bool
	// ControlURL is the base of a Herald's control API, ending in "/":
	// "http://127.0.0.1:8080/_herald/v1/". Empty for a real deployment.
	ControlURL string
	// MopayEmail and MopayPassword log in to an account that has notices.
	MopayEmail    string
	MopayPassword string
	// Client sends the requests; nil is a client with a 30 s timeout.
	Client *http.Client
}

// IsHerald reports whether the target has Herald's control API.
func (t Target) IsHerald() bool { return t.ControlURL != "" }

// Herald returns the Target of a Herald served at base ("http://host:port"),
// with the seeded account that has notices.
func Herald(base string) Target {
	base = strings.TrimSuffix(base, "/")
	return Target{
		Name:          base,
		MopayURL:      base + "/mopay/",
		ControlURL:    base + "/_herald/v1/",
		MopayEmail:    SeededNoticeEmail,
		MopayPassword: SeededNoticePassword,
	}
}

// The seeded Mopay account with three pages of notices (fixtures/mopay/seed.json).
const (
	SeededNoticeEmail    = "amara.okafor@example.com"
	SeededNoticePassword = "Notices2023"
)

// Tags that mark scenarios a real deployment cannot run as they are.
const (
	// TagSimulator marks scenarios that use Herald's control API.
	TagSimulator = "@simulator"
	// TagHeraldDesign marks scenarios that check behaviour the vendor does
	// not document, which Herald designed.
	TagHeraldDesign = "@herald-design"
)

// RunOptions configure one run of the suite.
type RunOptions struct {
	Target Target
	// Tags is a godog tag expression, such as "@auth && ~@slow".
	Tags string
	// Format is godog's: pretty, progress, junit:FILE, cucumber:FILE, comma-separated.
	Format string
	Output io.Writer
	// TestingT runs each scenario as a subtest.
	TestingT *testing.T
	// Features replaces the embedded features; nil runs those.
	Features fs.FS
}

// TagNoticeAccount marks scenarios that log in to an account with notices.
const TagNoticeAccount = "@notice-account"

// EffectiveTags returns the tag expression a run uses. Against a target that
// is not a Herald, scenarios that need the control API or check Herald's own
// design are left out unless the expression names those tags; against a
// target without an account with notices, the scenarios that need one are.
func EffectiveTags(t Target, tags string) (expr string, notes []string) {
	expr = strings.TrimSpace(tags)
	exclude := func(tag, why string) {
		if strings.Contains(tags, tag) {
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
	if t.MopayEmail == "" {
		exclude(TagNoticeAccount, "they need an account with notices (--mopay-email and HERALD_MOPAY_PASSWORD)")
	}
	return expr, notes
}

// Run runs the embedded features against the target. It returns godog's
// status: 0 when every scenario passed, 1 when one failed, 2 on bad options.
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
	doc, err := specs.Load(specs.Mopay)
	if err != nil {
		fmt.Fprintln(opts.Output, err)
		return 2
	}
	suite := &suite{target: opts.Target, mopay: specs.NewChecker(specs.Mopay, doc)}
	tags, notes := EffectiveTags(opts.Target, opts.Tags)
	for _, n := range notes {
		fmt.Fprintln(opts.Output, "note:", n)
	}
	if opts.Features == nil {
		opts.Features = features.FS()
	}
	if _, err := selectIn(opts.Features, opts.Tags, true); err != nil {
		fmt.Fprintln(opts.Output, err)
		return 2
	}
	n, err := selectIn(opts.Features, tags, false)
	if err != nil {
		fmt.Fprintln(opts.Output, err)
		return 2
	}
	if n == 0 {
		fmt.Fprintf(opts.Output, "no scenario matches the tag expression %q\n", tags)
		return 2
	}
	return godog.TestSuite{
		Name:                "herald",
		ScenarioInitializer: suite.initScenario,
		Options: &godog.Options{
			Format:      opts.Format,
			Tags:        tags,
			Strict:      true,
			NoColors:    true,
			Concurrency: 1, // scenarios share the simulator clock, which some move
			FS:          opts.Features,
			Paths:       []string{"."},
			Output:      opts.Output,
			TestingT:    opts.TestingT,
		},
	}.Run()
}
