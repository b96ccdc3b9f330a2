package simulator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/simulator/clock"
	"herald/simulator/console"
	"herald/simulator/control"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/journal"
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
	// MaxWorlds bounds the isolated worlds (0: DefaultMaxWorlds); WorldIdle
	// is how long one may go unused before it is deleted (0:
	// DefaultWorldIdle).
	MaxWorlds int
	WorldIdle time.Duration
	// ControlToken, when set, is the bearer token every control API
	// request must carry (Authorization: Bearer <token>): a Herald that
	// listens beyond loopback would otherwise let anyone reset it.
	ControlToken string
	// JournalSize is how many exchanges the journal keeps, every world's
	// together (0: journal.DefaultSize; below 0: no journal);
	// JournalBodyBytes how much of each body (0: journal.DefaultBodyBytes).
	JournalSize      int
	JournalBodyBytes int
	// JournalHeartbeat is how often a quiet live tail gets a comment (0:
	// control.DefaultHeartbeat).
	JournalHeartbeat time.Duration
	Logger           *slog.Logger
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

// worldsPath is where worlds other than the default one are served, on
// every listener: /_herald/worlds/<id>/ mirrors the root.
const worldsPath = "/_herald/worlds/"

// Default bounds on isolated worlds.
const (
	DefaultMaxWorlds = 64
	DefaultWorldIdle = 10 * time.Minute
)

// Herald is the whole simulator: a default world at the root of every
// listener, and the isolated worlds created through the control API.
type Herald struct {
	opts       Options
	defs       []system.Definition
	names      []string
	settings   []system.Settings
	docs       []*openapi3.T // loaded once, shared by every world
	controlDoc *openapi3.T
	// compiled and shared hold what every world reads and a Herald builds
	// once: compiled documents, and each system's own shared values.
	compiled *engine.Compiled
	shared   []*system.Shared
	observe  func(engine.Observation)
	def      *world
	main     http.Handler
	console  http.Handler
	journal  *journal.Journal // nil when off

	specMu sync.Mutex // guards specs
	specs  map[string]*openapi3.T

	mu      sync.Mutex // guards what follows
	urls    map[string]string
	worlds  map[string]*world
	nextID  int
	started bool
	closed  bool
	ctx     context.Context
	cancel  context.CancelFunc
	reaper  chan struct{} // closed when the idle-world reaper ends
}

// New builds a Herald: every system of opts.Systems (default: Registered)
// in the default world, the control API and the main handler. Background
// work waits for Start.
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
	if opts.MaxWorlds == 0 {
		opts.MaxWorlds = DefaultMaxWorlds
	}
	if opts.WorldIdle == 0 {
		opts.WorldIdle = DefaultWorldIdle
	}
	h := &Herald{opts: opts, defs: opts.Systems, urls: map[string]string{}, worlds: map[string]*world{}, compiled: engine.NewCompiled()}
	if opts.JournalSize >= 0 {
		h.journal = journal.New(journal.Options{Size: opts.JournalSize, BodyBytes: opts.JournalBodyBytes, Checked: !opts.SkipResponseValidation})
	}
	h.observe = engine.LogObservation(opts.Logger)
	if extra := opts.Observe; extra != nil {
		log := h.observe
		h.observe = func(o engine.Observation) { log(o); extra(o) }
	}
	given := map[string]bool{}
	for k := range opts.Settings {
		given[k] = true
	}
	taken := map[string]bool{"control": true, MainListener: true, "worlds": true}
	for _, def := range opts.Systems {
		doc, err := def.Spec()
		if err != nil {
			return nil, err
		}
		name, err := system.NameOf(doc)
		if err != nil {
			return nil, err
		}
		if taken[name] {
			return nil, fmt.Errorf("system %s: the name is taken", name)
		}
		taken[name] = true
		settings, err := system.Resolve(name, def.Settings, opts.Settings)
		if err != nil {
			return nil, err
		}
		for k := range opts.Settings {
			if strings.HasPrefix(k, name+".") {
				delete(given, k)
			}
		}
		h.names, h.settings, h.docs = append(h.names, name), append(h.settings, settings), append(h.docs, doc)
		h.shared = append(h.shared, system.NewShared())
	}
	if len(given) > 0 {
		var unknown []string
		for k := range given {
			unknown = append(unknown, k)
		}
		sort.Strings(unknown)
		return nil, fmt.Errorf("no system takes the settings %s", strings.Join(unknown, ", "))
	}
	var err error
	if h.controlDoc, err = specs.Load(specs.Control); err != nil {
		return nil, err
	}
	if h.def, err = h.buildWorld("", entropy.New(opts.Seed), opts.Clock); err != nil {
		return nil, err
	}
	h.main = http.HandlerFunc(h.serveMain)
	h.console = console.Handler()
	return h, nil
}

// sharedSpec loads an embedded document once, for every world: worlds
// share it read-only.
func (h *Herald) sharedSpec(name string) (*openapi3.T, error) {
	h.specMu.Lock()
	defer h.specMu.Unlock()
	if doc := h.specs[name]; doc != nil {
		return doc, nil
	}
	doc, err := specs.Load(name)
	if err != nil {
		return nil, err
	}
	if h.specs == nil {
		h.specs = map[string]*openapi3.T{}
	}
	h.specs[name] = doc
	return doc, nil
}

// Handler serves the main listener: every system without a listener of its
// own under its base path, and the control API; and the same for each
// isolated world under /_herald/worlds/<id>/.
func (h *Herald) Handler() http.Handler { return h.main }

// Listeners lists what Herald serves: the main listener first, then each
// system's own.
func (h *Herald) Listeners() []Listener {
	out := []Listener{{Name: MainListener, DefaultAddr: DefaultAddr, Handler: h.main}}
	for _, m := range h.def.systems {
		if m.own != nil {
			name := m.name
			out = append(out, Listener{Name: name, TLS: m.own.TLS, DefaultAddr: m.own.DefaultAddr,
				Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { h.serveOwn(name, rw, r) })})
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

// SetListenerURLs records where listeners are published (by name: the
// main listener and systems' own), all or none: each must be an http(s)
// URL with a host, no query.
func (h *Herald) SetListenerURLs(urls map[string]string) error {
	known := map[string]bool{}
	var names []string
	for _, l := range h.Listeners() {
		known[l.Name] = true
		names = append(names, l.Name)
	}
	clean := map[string]string{}
	for name, raw := range urls {
		if !known[name] {
			return &control.BadListener{Name: name, Reason: "no such listener (have " + strings.Join(names, ", ") + ")"}
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return &control.BadListener{Name: name, Reason: fmt.Sprintf("%q is not an http:// or https:// URL with a host, such as https://127.0.0.1:49001", raw)}
		}
		clean[name] = strings.TrimSuffix(raw, "/")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for name, u := range clean {
		h.urls[name] = u
	}
	return nil
}

// BaseURL is where a listener is bound, as SetBaseURL recorded it; "" until
// then.
func (h *Herald) BaseURL(listener string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.urls[listener]
}

// AddressNote says plainly when a listener's base URL is the server's own
// view of an address no client can use ("http://[::]:8080": bound to all
// interfaces, as in a container); "" when every one is usable.
func (h *Herald) AddressNote() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addressNote()
}

// addressNote is AddressNote. Call with h.mu held.
func (h *Herald) addressNote() string {
	var unusable []string
	for name, base := range h.urls {
		u, err := url.Parse(base)
		if err != nil {
			continue
		}
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
			unusable = append(unusable, name+" "+base)
		}
	}
	if len(unusable) == 0 {
		return ""
	}
	sort.Strings(unusable)
	return strings.Join(unusable, ", ") + ": bound to all interfaces, so these are the server's own view (in a container, its ports inside). " +
		"Clients use this host's address or the published ports; --public-url (or PUT /_herald/v1/listeners) makes Herald report those"
}

func (h *Herald) listenerURLs() map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]string, len(h.urls))
	for k, v := range h.urls {
		out[k] = v
	}
	return out
}

// Systems lists the default world's systems and where they are served.
func (h *Herald) Systems() []system.Info { return h.def.Systems() }

// Checker returns a system's checker, nil for an unknown name.
func (h *Herald) Checker(name string) *specs.Checker { return h.def.Checker(name) }

// Clock is the default world's simulator clock.
func (h *Herald) Clock() *clock.Controlled { return h.def.clock }

// Reset resets the default world; see the control API's reset.
func (h *Herald) Reset() error { return h.def.Reset() }

// Start starts background work in every world, and the reaper of idle
// worlds. It runs until Close, or until ctx ends.
func (h *Herald) Start(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return errors.New("herald: start after close")
	case h.started:
		return errors.New("herald: started twice")
	}
	if err := h.def.start(ctx); err != nil {
		return err
	}
	h.started = true
	h.ctx, h.cancel = context.WithCancel(ctx)
	for _, w := range h.worlds {
		if err := w.start(h.ctx); err != nil {
			return err
		}
	}
	h.reaper = make(chan struct{})
	go h.reap(h.ctx, h.reaper)
	return nil
}

// Close stops background work in every world and waits for it, work in
// flight included (each piece within its own bound). Serving stops with the
// servers, which the caller owns.
func (h *Herald) Close() error { return h.Shutdown(context.Background()) }

// EndTails ends the journal's live tails, which never go idle on their own:
// for http.Server.RegisterOnShutdown, so that a server's Shutdown does not
// wait for an open console.
func (h *Herald) EndTails() { h.journal.CloseTails() }

// Shutdown is Close with a grace period: work still in flight when ctx ends
// (a notification attempt waiting for a hanging receiver, say) is cut off,
// and recorded and logged as cut off.
func (h *Herald) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.journal.CloseTails()
	worlds := h.worlds
	h.worlds = map[string]*world{}
	reaper := h.reaper
	if h.cancel != nil {
		h.cancel()
	}
	h.mu.Unlock()
	if reaper != nil {
		<-reaper
	}
	for _, w := range worlds {
		w.close(ctx, whyShutdown)
	}
	h.def.close(ctx, whyShutdown)
	return nil
}

// CreateWorld builds an isolated world: every system afresh, with a clock of
// its own and random streams derived from the seed and the world's id.
func (h *Herald) CreateWorld() (control.WorldInfo, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return control.WorldInfo{}, errors.New("herald is closed")
	}
	if len(h.worlds) >= h.opts.MaxWorlds {
		h.mu.Unlock()
		return control.WorldInfo{}, control.LimitReached("%d worlds exist, the most this Herald keeps (--max-worlds); delete one, or wait for an idle one to expire", h.opts.MaxWorlds)
	}
	h.nextID++
	id := fmt.Sprintf("w%d", h.nextID)
	h.mu.Unlock()

	// Built outside the lock: loading specs and routers takes a while.
	w, err := h.buildWorld(id, entropy.New(h.opts.Seed).Derive("world/"+id), h.opts.Clock)
	if err != nil {
		return control.WorldInfo{}, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || len(h.worlds) >= h.opts.MaxWorlds {
		return control.WorldInfo{}, control.LimitReached("%d worlds exist, the most this Herald keeps (--max-worlds)", h.opts.MaxWorlds)
	}
	if h.started {
		if err := w.start(h.ctx); err != nil {
			return control.WorldInfo{}, err
		}
	}
	h.worlds[id] = w
	return h.worldInfo(w), nil
}

// worldInfo describes a world. Call with h.mu held.
func (h *Herald) worldInfo(w *world) control.WorldInfo {
	info := control.WorldInfo{ID: w.id, BasePath: w.prefix() + "/", AddressNote: h.addressNote()}
	if u := h.urls[MainListener]; u != "" {
		info.BaseURL = u + info.BasePath
	}
	for _, m := range w.systems {
		s := system.Info{Name: m.name, Listener: m.listener, BasePath: w.prefix() + m.basePath}
		if u := h.urls[m.listener]; u != "" {
			s.BaseURL = u + s.BasePath
		}
		info.Systems = append(info.Systems, s)
	}
	return info
}

// ListWorlds lists the isolated worlds, oldest first.
func (h *Herald) ListWorlds() []control.WorldInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]control.WorldInfo, 0, len(h.worlds))
	for _, w := range h.worlds {
		out = append(out, h.worldInfo(w))
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := strconv.Atoi(strings.TrimPrefix(out[i].ID, "w"))
		b, _ := strconv.Atoi(strings.TrimPrefix(out[j].ID, "w"))
		return a < b
	})
	return out
}

// DeleteWorld stops and forgets a world; false when there is none by that id.
func (h *Herald) DeleteWorld(id string) bool {
	h.mu.Lock()
	w := h.worlds[id]
	delete(h.worlds, id)
	h.mu.Unlock()
	if w == nil {
		return false
	}
	w.close(noGrace(), whyDeleted)
	h.journal.Clear(id)
	return true
}

// reap deletes worlds unused for longer than Options.WorldIdle, on the real
// clock: a suite that died without deleting its world does not keep it.
func (h *Herald) reap(ctx context.Context, done chan struct{}) {
	defer close(done)
	tick := time.NewTicker(max(h.opts.WorldIdle/10, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			h.mu.Lock()
			var idle []string
			for id, w := range h.worlds {
				if now.Sub(time.Unix(0, w.lastUsed.Load())) > h.opts.WorldIdle {
					idle = append(idle, id)
				}
			}
			h.mu.Unlock()
			for _, id := range idle {
				h.opts.Logger.Info("deleting an idle world", "world", id, "idle", h.opts.WorldIdle)
				h.DeleteWorld(id)
			}
		}
	}
}

// worldOf finds the world a path names ("/_herald/worlds/w1/…") and how long
// its prefix is; the default world, 0, when the path names none. A path
// that names a world that does not exist gets ok false.
func (h *Herald) worldOf(p string) (w *world, prefix int, ok bool) {
	rest, found := strings.CutPrefix(p, worldsPath)
	if !found {
		return h.def, 0, true
	}
	id, _, _ := strings.Cut(rest, "/")
	h.mu.Lock()
	w = h.worlds[id]
	h.mu.Unlock()
	if w == nil {
		return nil, 0, false
	}
	w.lastUsed.Store(time.Now().UnixNano())
	return w, len(worldsPath) + len(id), true
}

// serveMain serves the main listener: the default world at the root, the
// others under their prefix.
func (h *Herald) serveMain(rw http.ResponseWriter, r *http.Request) {
	w, n, ok := h.worldOf(r.URL.Path)
	switch {
	case !ok:
		h.noWorld(rw, r)
	case n == 0:
		w.serveMain(rw, r)
	default:
		serveStripped(http.HandlerFunc(w.serveMain), rw, r, n)
	}
}

// serveOwn serves a system's own listener, for every world.
func (h *Herald) serveOwn(name string, rw http.ResponseWriter, r *http.Request) {
	w, n, ok := h.worldOf(r.URL.Path)
	if !ok {
		if nf, ok := h.def.byName[name].sys.(system.NotFounder); ok {
			nf.NotFound(h.noWorldReason()).ServeHTTP(rw, r)
			return
		}
		h.noWorld(rw, r)
		return
	}
	serveStripped(w.byName[name].sys.Handler(), rw, r, n)
}

// controlAllowed checks a control request's bearer token, in constant time.
// HealthPath is the control route that needs no token, under /_herald/: a
// liveness probe that tells nothing but that a Herald answers.
const HealthPath = "v1/health"

func (h *Herald) controlAllowed(r *http.Request) bool {
	return control.BearerAllowed(r, h.opts.ControlToken)
}

func (h *Herald) noWorld(rw http.ResponseWriter, r *http.Request) {
	writeReply(rw, control.Render(&engine.Exchange{Request: r}, control.NotFound("%s", h.noWorldReason())))
}

func (h *Herald) noWorldReason() string {
	return fmt.Sprintf("no such world; it was deleted, expired after %s unused, or never created (POST /_herald/v1/worlds)", h.opts.WorldIdle)
}

// serveStripped serves r with the first n bytes of its path removed.
func serveStripped(handler http.Handler, w http.ResponseWriter, r *http.Request, n int) {
	if n == 0 {
		handler.ServeHTTP(w, r)
		return
	}
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
