package simulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"herald/simulator/clock"
	"herald/simulator/control"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/schedule"
	"herald/simulator/system"
	"herald/specs"
)

// MainListener names Herald's main listener, which serves the control API
// and every system that has no listener of its own.
const MainListener = "http"

// Options configure a Herald.
type Options struct {
	// Seed of the random streams; the same seed hands out the same keys,
	// codes and references.
	Seed uint64
	// Clock the simulator clock follows until the control API sets it; nil
	// is the system clock.
	Clock clock.Clock
	// Version reported by the control API.
	Version string
	// SkipResponseValidation turns off the check of every answer against
	// the spec (on by default).
	SkipResponseValidation bool
	// Settings of the systems, keyed "<system>.<setting>" (for example
	// "mopay.rate-limit"); a setting not given takes its default.
	Settings map[string]string
	// Systems to simulate; nil is every Registered one.
	Systems []system.Definition
	// Observe, when set, sees every exchange of every system (after the
	// debug log line).
	Observe func(engine.Observation)
	Logger  *slog.Logger
}

// Listener is one address Herald serves: its main one, or a system's own.
type Listener struct {
	// Name is MainListener or the system's name.
	Name string
	// TLS, when set, makes the listener HTTPS.
	TLS *tls.Config
	// DefaultAddr is where herald serve listens unless told otherwise.
	DefaultAddr string
	Handler     http.Handler
}

// DefaultAddr is the main listener's default address.
const DefaultAddr = "127.0.0.1:8080"

// mounted is a built system and where it is served.
type mounted struct {
	name     string
	sys      system.System
	random   *entropy.Source
	listener string
	basePath string
	own      *system.ListenerConfig
	control  http.Handler
}

// Herald is the whole simulator.
type Herald struct {
	opts    Options
	clock   *clock.Controlled
	sched   *schedule.Scheduler
	faults  *engine.Faults
	systems []*mounted
	byName  map[string]*mounted
	control http.Handler
	main    http.Handler

	// gate holds requests (read side) while a reset runs (write side).
	gate sync.RWMutex

	mu       sync.Mutex // guards what follows
	urls     map[string]string
	started  bool
	closed   bool
	ctx      context.Context // of Start
	cancel   context.CancelFunc
	runners  sync.WaitGroup
	runStops context.CancelFunc // cancels the runners of this round
}

// New builds a Herald: every system of opts.Systems (default: Registered),
// the control API and the main handler. Background work waits for Start.
func New(opts Options) (*Herald, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	if opts.Systems == nil {
		opts.Systems = Registered()
	}
	h := &Herald{opts: opts, clock: clock.NewControlled(opts.Clock), faults: &engine.Faults{},
		byName: map[string]*mounted{}, urls: map[string]string{}}
	h.sched = schedule.New(h.clock)
	root := entropy.New(opts.Seed)
	observe := engine.LogObservation(opts.Logger)
	if extra := opts.Observe; extra != nil {
		log := observe
		observe = func(o engine.Observation) { log(o); extra(o) }
	}
	given := map[string]bool{}
	for k := range opts.Settings {
		given[k] = true
	}
	for _, def := range opts.Systems {
		doc, err := def.Spec()
		if err != nil {
			return nil, err
		}
		name, err := system.NameOf(doc)
		if err != nil {
			return nil, err
		}
		if h.byName[name] != nil || name == "control" || name == MainListener {
			return nil, fmt.Errorf("system %s: the name is taken", name)
		}
		settings, err := system.Resolve(name, def.Settings, opts.Settings)
		if err != nil {
			return nil, err
		}
		for k := range opts.Settings {
			if strings.HasPrefix(k, name+".") {
				delete(given, k)
			}
		}
		m := &mounted{name: name, random: root.Derive(name), listener: MainListener, basePath: "/" + name + "/"}
		env := system.Env{
			Name: name, Doc: doc, Clock: h.clock, Scheduler: h.sched, Random: m.random, Faults: h.faults,
			Logger: opts.Logger.With("system", name), Settings: settings,
			Engine: system.EngineDefaults{Name: name, SkipResponseValidation: opts.SkipResponseValidation,
				Faults: h.faults, Logger: opts.Logger, Enter: h.enter, Observe: observe},
		}
		if m.sys, err = def.New(env); err != nil {
			return nil, fmt.Errorf("system %s: %w", name, err)
		}
		if l, ok := m.sys.(system.Listener); ok {
			cfg := l.Listener()
			m.own, m.listener, m.basePath = &cfg, name, "/"
		}
		if c, ok := m.sys.(system.Controller); ok {
			if m.control, err = control.ForSystem(name, c.Control(), opts.Logger); err != nil {
				return nil, err
			}
		}
		h.systems = append(h.systems, m)
		h.byName[name] = m
	}
	if len(given) > 0 {
		var unknown []string
		for k := range given {
			unknown = append(unknown, k)
		}
		return nil, fmt.Errorf("no system takes the settings %s", strings.Join(unknown, ", "))
	}
	ctl, err := control.New(control.Config{
		Version: opts.Version, Seed: opts.Seed, Clock: h.clock, Scheduler: h.sched, Faults: h.faults,
		Systems: h.Systems, Checker: h.Checker, Reset: h.Reset, Logger: opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	h.control = ctl
	h.main = http.HandlerFunc(h.serveMain)
	return h, nil
}

// enter holds a request while a reset runs.
func (h *Herald) enter() func() {
	h.gate.RLock()
	return h.gate.RUnlock
}

// Handler serves the main listener: every system without a listener of its
// own under its base path, and the control API.
func (h *Herald) Handler() http.Handler { return h.main }

// Listeners lists what Herald serves: the main listener first, then each
// system's own.
func (h *Herald) Listeners() []Listener {
	out := []Listener{{Name: MainListener, DefaultAddr: DefaultAddr, Handler: h.main}}
	for _, m := range h.systems {
		if m.own != nil {
			out = append(out, Listener{Name: m.name, TLS: m.own.TLS, DefaultAddr: m.own.DefaultAddr, Handler: m.sys.Handler()})
		}
	}
	return out
}

// SetBaseURL records where a listener is bound ("http://127.0.0.1:8080"),
// so that the control API reports every system's full base URL.
func (h *Herald) SetBaseURL(listener, base string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.urls[listener] = strings.TrimSuffix(base, "/")
}

// Systems lists the simulated systems and where they are served.
func (h *Herald) Systems() []system.Info {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]system.Info, 0, len(h.systems))
	for _, m := range h.systems {
		info := system.Info{Name: m.name, Listener: m.listener, BasePath: m.basePath}
		if u := h.urls[m.listener]; u != "" {
			info.BaseURL = u + m.basePath
		}
		out = append(out, info)
	}
	return out
}

// Checker returns a system's checker, nil for an unknown name.
func (h *Herald) Checker(name string) *specs.Checker {
	if m := h.byName[name]; m != nil {
		return m.sys.Checker()
	}
	return nil
}

// Clock is the simulator clock.
func (h *Herald) Clock() *clock.Controlled { return h.clock }

// Start starts background work: the scheduler and every system's Runner.
// It runs until Close, or until ctx ends.
func (h *Herald) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return errors.New("herald: start after close")
	case h.started:
		return errors.New("herald: started twice")
	}
	h.started = true
	h.ctx, h.cancel = context.WithCancel(ctx)
	h.startBackground()
	return nil
}

// startBackground starts the scheduler and the runners. Call with h.mu held.
func (h *Herald) startBackground() {
	h.sched.Start(h.ctx)
	var round context.Context
	round, h.runStops = context.WithCancel(h.ctx)
	for _, m := range h.systems {
		if r, ok := m.sys.(system.Runner); ok {
			h.runners.Add(1)
			go func() {
				defer h.runners.Done()
				r.Run(round)
			}()
		}
	}
}

// stopBackground cancels background work and waits for it to end. Call with
// h.mu held.
func (h *Herald) stopBackground() {
	if h.runStops != nil {
		h.runStops()
	}
	h.runners.Wait()
	h.sched.Stop()
}

// Reset puts every system back to its seed state, atomically: requests that
// arrive meanwhile wait. It stops background work, restarts every random
// stream, drops scheduled work and pending faults, resets the systems in
// order, and restarts background work. The clock is left as it is.
func (h *Herald) Reset() error {
	h.gate.Lock()
	defer h.gate.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	running := h.started && !h.closed
	if running {
		h.stopBackground()
	}
	h.sched.Clear()
	h.faults.Clear()
	var errs []error
	for _, m := range h.systems {
		m.random.Restart()
		if err := m.sys.Reset(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.name, err))
		}
	}
	if running && h.ctx.Err() == nil {
		h.startBackground()
	}
	return errors.Join(errs...)
}

// Close stops background work and waits for it. Serving stops with the
// servers, which the caller owns.
func (h *Herald) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.closed = true
	if h.started {
		h.stopBackground()
		h.cancel()
	}
	return nil
}

// serveMain dispatches on the first path segment alone: http.ServeMux would
// clean paths and answer "//x" or "/mopay" with redirects, outside every
// error format. System names match case-insensitively.
func (h *Herald) serveMain(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/_herald/"); ok {
		if v1, ok := strings.CutPrefix(rest, "v1/"); ok {
			seg, _, _ := strings.Cut(v1, "/")
			if m := h.byName[seg]; m != nil && m.control != nil {
				serveStripped(m.control, w, r, len("/_herald/v1/")+len(seg))
				return
			}
		}
		h.control.ServeHTTP(w, r)
		return
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if m := h.byName[strings.ToLower(seg)]; m != nil && m.listener == MainListener {
		serveStripped(m.sys.Handler(), w, r, 1+len(seg))
		return
	}
	h.notFound(w, r)
}

// serveStripped serves r with the first n bytes of its path removed.
func serveStripped(handler http.Handler, w http.ResponseWriter, r *http.Request, n int) {
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = r.URL.Path[n:]
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawPath = ""
	r2.URL = &u
	handler.ServeHTTP(w, r2)
}

// notFound answers paths outside every system, saying where the systems are.
func (h *Herald) notFound(w http.ResponseWriter, r *http.Request) {
	msg := "no simulated system is served at this path; systems:"
	for _, s := range h.Systems() {
		msg += " " + s.Name + " at " + s.BasePath
		if s.Listener != MainListener {
			msg += " on its own listener"
		}
	}
	msg += "; control API at /_herald/v1/"
	reply := control.Render(&engine.Exchange{Request: r}, control.NotFound("%s", msg))
	for k, vs := range reply.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(reply.Status)
	_, _ = w.Write(reply.Body)
}

// SettingFlag is one system setting as a command line offers it.
type SettingFlag struct {
	Flag    string // "mopay-rate-limit"
	Key     string // "mopay.rate-limit", as in Options.Settings
	Default string
	Usage   string
}

// DescribeSettings lists the settings of the given systems, named after each
// system's spec.
func DescribeSettings(defs []system.Definition) ([]SettingFlag, error) {
	var out []SettingFlag
	for _, def := range defs {
		if len(def.Settings) == 0 {
			continue
		}
		doc, err := def.Spec()
		if err != nil {
			return nil, err
		}
		name, err := system.NameOf(doc)
		if err != nil {
			return nil, err
		}
		for _, s := range def.Settings {
			out = append(out, SettingFlag{Flag: name + "-" + s.Name, Key: name + "." + s.Name, Default: s.Default, Usage: s.Usage})
		}
	}
	return out, nil
}

// BaseURL is where a listener is bound, as SetBaseURL recorded it; "" until
// then.
func (h *Herald) BaseURL(listener string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.urls[listener]
}
