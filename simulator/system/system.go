package system

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/schedule"
	"herald/specs"
)

// Definition registers a system with the core: its spec, its settings and
// how to build it.
type Definition struct {
	// Spec loads the system's validated document. Its info extension
	// x-herald-system names the system: the one place the name is written.
	Spec func() (*openapi3.T, error)
	// Settings the system takes, each a command-line flag
	// --<system>-<setting> and a key "<system>.<setting>" in Options.
	Settings []Setting
	// New builds the system.
	New func(env Env) (System, error)
}

// Embedded loads an embedded spec by its file name, for Definition.Spec.
func Embedded(name string) func() (*openapi3.T, error) {
	return func() (*openapi3.T, error) { return specs.Load(name) }
}

// Setting is one value a system can be given.
type Setting struct {
	Name    string
	Default string
	Usage   string
}

var systemName = regexp.MustCompile(`^[a-z][a-z0-9]{0,31}$`)

// NameOf reads a document's x-herald-system: a lowercase name that becomes
// a path segment, a flag prefix and the system's key in fault rules.
func NameOf(doc *openapi3.T) (string, error) {
	if doc.Info == nil {
		return "", fmt.Errorf("spec has no info")
	}
	name, _ := doc.Info.Extensions["x-herald-system"].(string)
	if !systemName.MatchString(name) {
		return "", fmt.Errorf("spec %q: info.x-herald-system must be a lowercase name ([a-z][a-z0-9]*), got %q", doc.Info.Title, name)
	}
	return name, nil
}

// Env is what the core gives a system.
type Env struct {
	// Name is the system's name, from its spec.
	Name string
	// Doc is the system's document, a copy of its own.
	Doc *openapi3.T
	// Clock is the simulator clock, shared by every system.
	Clock *clock.Controlled
	// Scheduler runs work at simulated times; the core starts, stops and
	// clears it.
	Scheduler *schedule.Scheduler
	// Random is the system's own stream, derived from the seed and the name;
	// the core restarts it on a reset.
	Random *entropy.Source
	// Faults are the failures injected through the control API.
	Faults *engine.Faults
	// Logger already carries the system's name.
	Logger *slog.Logger
	// Settings holds the value of every declared setting.
	Settings Settings
	// Engine is the part of every engine.Config the core decides: pass it to
	// Engine.Apply.
	Engine EngineDefaults
	// Shared is the system's store of what every world reads and a Herald
	// builds once (see Share); nil builds everything afresh.
	Shared *Shared
}

// EngineDefaults are the engine settings that the core decides for every
// system.
type EngineDefaults struct {
	Name                   string
	SkipResponseValidation bool
	Faults                 *engine.Faults
	Logger                 *slog.Logger
	Enter                  func() (leave func())
	Observe                func(engine.Observation)
	// Compiled shares compiled documents between the worlds of a Herald.
	Compiled *engine.Compiled
	// Proxy, when set, makes the system's engine a validating proxy in
	// front of a real deployment (herald proxy): the system lends its
	// document, routing and error format, and nothing of its state.
	Proxy *engine.Proxy
}

// Apply fills cfg's core-decided fields.
func (d EngineDefaults) Apply(cfg engine.Config) engine.Config {
	cfg.Name = d.Name
	cfg.SkipResponseValidation = cfg.SkipResponseValidation || d.SkipResponseValidation
	cfg.Faults = d.Faults
	cfg.Logger = d.Logger
	cfg.Enter = d.Enter
	cfg.Observe = d.Observe
	cfg.Compiled = d.Compiled
	cfg.Proxy = d.Proxy
	return cfg
}

// Settings are the values of a system's settings, by name.
type Settings map[string]string

// Int reads an integer setting.
func (s Settings) Int(name string) (int, error) {
	n, err := strconv.Atoi(s[name])
	if err != nil {
		return 0, fmt.Errorf("setting %s: %q is not an integer", name, s[name])
	}
	return n, nil
}

// System is a simulated system, built.
type System interface {
	// Handler serves the system's operations, at the root: the core strips
	// the mount prefix.
	Handler() http.Handler
	// Checker checks answers against the system's document.
	Checker() *specs.Checker
	// Reset puts the system back to its seed state. The core calls it with
	// requests held and background work stopped.
	Reset() error
}

// Listener is a system served on a listener of its own rather than under a
// prefix of Herald's main one: MNotify, whose only credential is a client
// certificate, needs its own TLS listener.
type Listener interface {
	Listener() ListenerConfig
}

// ListenerConfig describes a system's own listener.
type ListenerConfig struct {
	// TLS, when set, makes the listener HTTPS.
	TLS *tls.Config
	// DefaultAddr is where it listens unless told otherwise.
	DefaultAddr string
}

// NotFounder is a system on a listener of its own that answers, in its own
// format and after its own authentication when that comes first, the
// requests the core turns away on that listener: a path naming a world that
// does not exist. Without it, the core answers them in the control API's
// format.
type NotFounder interface {
	NotFound(reason string) http.Handler
}

// Runner is a system with background work. The core runs it in a goroutine
// of its own on start and after every reset, and cancels ctx on a reset, when
// its world is deleted, and at shutdown; Run must then start no new work and
// return once the work in flight is done (each piece bounded), or at once if
// the system is an Interrupter and is interrupted. Forgotten tells a reset
// or deletion, which forgets work left pending on purpose, from a shutdown.
type Runner interface {
	Run(ctx context.Context)
}

// StopForgets is the cause (context.Cause) of a Runner's context ended by a
// reset or a world's deletion: work still pending is forgotten on purpose.
type StopForgets struct{ Why string }

func (s StopForgets) Error() string { return s.Why }

// Forgotten reports whether a Runner's ended context was ended by a reset or
// a world's deletion, rather than by a shutdown (whose pending work is
// worth a warning).
func Forgotten(ctx context.Context) bool {
	_, ok := context.Cause(ctx).(StopForgets)
	return ok
}

// Interrupter is a Runner whose work in flight can be cut off. After it
// cancels Run's context, the core calls Interrupt at once on a reset or
// when a world is deleted (the work is about to be forgotten), and at
// shutdown when the grace period ends with Run still waiting. The work in
// flight then ends at once, recorded as cut off and why.
type Interrupter interface {
	Interrupt(why string)
}

// Controller is a system with control routes of its own, served under
// /_herald/v1/<system>/ in the control API's error format.
type Controller interface {
	Control() Control
}

// Control is a system's control routes: a document whose paths are relative
// to /_herald/v1/<system>, and a handler per operation. Name an embedded
// document in Spec (the core loads it once for every world), or give Doc.
type Control struct {
	Spec     string
	Doc      *openapi3.T
	Handlers map[string]engine.Handler
}

// NotFound is a control route's answer for something the system does not
// have (a merchant, a delivery, a registration): the control API renders it
// as 404 with code not_found and the message. Systems answer with it rather
// than reach into the control API.
func NotFound(format string, args ...any) error {
	return &NotFoundError{Message: fmt.Sprintf(format, args...)}
}

// NotFoundError is the error NotFound returns.
type NotFoundError struct{ Message string }

func (e *NotFoundError) Error() string { return e.Message }

// Info says where a system is served, as the control API reports it.
type Info struct {
	Name string `json:"name"`
	// Listener is the name of the listener that serves it: "http" for
	// Herald's main one, else the system's own.
	Listener string `json:"listener"`
	// BasePath is its prefix on that listener: "/mopay/", or "/" on its own.
	BasePath string `json:"basePath"`
	// BaseURL is the full base URL, once the listener is bound.
	BaseURL string `json:"baseURL,omitempty"`
}

// Resolve fills a system's settings from values keyed "<system>.<setting>",
// with defaults for those not given, and refuses a key the system does not
// declare.
func Resolve(name string, declared []Setting, given map[string]string) (Settings, error) {
	out := Settings{}
	for _, s := range declared {
		out[s.Name] = s.Default
	}
	var unknown []string
	for k, v := range given {
		sys, setting, ok := strings.Cut(k, ".")
		if !ok || sys != name {
			continue
		}
		if _, known := out[setting]; !known {
			unknown = append(unknown, k)
			continue
		}
		out[setting] = v
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%s has no setting %s", name, strings.Join(unknown, ", "))
	}
	return out, nil
}

// Standalone completes what a system built outside the core (in its own
// tests, say) is not given: its document, loaded from the embedded spec
// when doc is nil, and the engine's name, read from it when unset.
func (d *EngineDefaults) Standalone(doc *openapi3.T, spec string) (*openapi3.T, error) {
	if doc == nil {
		var err error
		if doc, err = specs.Load(spec); err != nil {
			return nil, err
		}
	}
	if d.Name == "" {
		name, err := NameOf(doc)
		if err != nil {
			return nil, err
		}
		d.Name = name
	}
	return doc, nil
}
