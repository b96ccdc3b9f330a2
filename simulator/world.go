package simulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"herald/simulator/clock"
	"herald/simulator/control"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/schedule"
	"herald/simulator/system"
	"herald/specs"
)

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

// world is one isolated simulation: every system built afresh, with its own
// clock, scheduler, random streams and faults. Herald serves a default world
// at its root, and other worlds under /_herald/worlds/<id>/ on every
// listener; nothing is shared between them but the listeners.
type world struct {
	h       *Herald
	id      string // "" for the default world
	clock   *clock.Controlled
	sched   *schedule.Scheduler
	faults  *engine.Faults
	systems []*mounted
	byName  map[string]*mounted
	control http.Handler
	stream  http.Handler // the journal's live tail

	lastUsed atomic.Int64 // unix nanoseconds of the last request, on the real clock

	// served is what the world's systems answered, for the contract
	// coverage the control API reports; bounded by the specs' size.
	servedMu sync.Mutex
	served   map[string]map[specs.Exercised]bool

	// gate holds requests (read side) while a reset runs (write side).
	gate sync.RWMutex

	mu       sync.Mutex // guards what follows
	started  bool
	closed   bool
	ctx      context.Context
	cancel   context.CancelFunc
	runners  sync.WaitGroup
	runStops context.CancelCauseFunc // cancels the runners of this round, saying why
}

// prefix is the path under which a world is served: "" for the default one.
func (w *world) prefix() string {
	if w.id == "" {
		return ""
	}
	return worldsPath + w.id
}

// buildWorld builds every system for a world whose streams derive from root.
// Worlds share the documents New loaded: after the first engine set their
// servers, nothing writes to them, as concurrent requests already assume.
func (h *Herald) buildWorld(id string, root *entropy.Source, source clock.Clock) (*world, error) {
	w := &world{h: h, id: id, clock: clock.NewControlled(source), faults: &engine.Faults{}, byName: map[string]*mounted{},
		served: map[string]map[specs.Exercised]bool{}}
	observe := func(o engine.Observation) {
		h.observe(o)
		w.observed(o)
		h.journal.Record(w.id, w.clock.Now(), o)
	}
	w.sched = schedule.New(w.clock)
	w.lastUsed.Store(time.Now().UnixNano())
	for i, def := range h.defs {
		name, doc := h.names[i], h.docs[i]
		m := &mounted{name: name, random: root.Derive(name), listener: MainListener, basePath: "/" + name + "/"}
		env := system.Env{
			Name: name, Doc: doc, Clock: w.clock, Scheduler: w.sched, Random: m.random, Faults: w.faults,
			Logger: h.opts.Logger.With("system", name), Settings: h.settings[i],
			Engine: system.EngineDefaults{Name: name, SkipResponseValidation: h.opts.SkipResponseValidation,
				Faults: w.faults, Logger: h.opts.Logger, Enter: w.enter, Observe: observe, Compiled: h.compiled},
			Shared: h.shared[i],
		}
		if id != "" {
			env.Logger = env.Logger.With("world", id)
		}
		var err error
		if m.sys, err = def.New(env); err != nil {
			return nil, fmt.Errorf("system %s: %w", name, err)
		}
		if l, ok := m.sys.(system.Listener); ok {
			cfg := l.Listener()
			m.own, m.listener, m.basePath = &cfg, name, "/"
		}
		if c, ok := m.sys.(system.Controller); ok {
			routes := c.Control()
			if routes.Doc == nil {
				if routes.Doc, err = h.sharedSpec(routes.Spec); err != nil {
					return nil, fmt.Errorf("system %s: control routes: %w", name, err)
				}
			}
			if m.control, err = control.ForSystem(name, routes, h.opts.Logger, h.compiled); err != nil {
				return nil, err
			}
		}
		w.systems = append(w.systems, m)
		w.byName[name] = m
	}
	cfg := control.Config{
		Version: h.opts.Version, Seed: h.opts.Seed, World: id, Clock: w.clock, Scheduler: w.sched, Faults: w.faults,
		Systems: w.Systems, AddressNote: h.AddressNote, Checker: w.Checker, Reset: w.Reset, Coverage: w.Coverage, Doc: h.controlDoc, Logger: h.opts.Logger, Compiled: h.compiled,
		Journal: h.journal,
	}
	if id == "" {
		cfg.Worlds = h
		cfg.SetListenerURLs = h.SetListenerURLs
	}
	ctl, err := control.New(cfg)
	if err != nil {
		return nil, err
	}
	w.control = ctl
	w.stream = control.ServeStream(h.journal, id, h.opts.JournalHeartbeat, w.Systems, w.Checker)
	return w, nil
}

// observed notes an answer a system gave, for the coverage.
func (w *world) observed(o engine.Observation) {
	if o.OperationID == "" {
		return
	}
	w.servedMu.Lock()
	defer w.servedMu.Unlock()
	set := w.served[o.System]
	if set == nil {
		set = map[specs.Exercised]bool{}
		w.served[o.System] = set
	}
	set[specs.Exercised{OperationID: o.OperationID, Status: o.Reply.Status}] = true
}

// Coverage is what the world's systems answered since the last reset, per
// spec: the simulator's side of contract coverage.
func (w *world) Coverage() []specs.Coverage {
	w.servedMu.Lock()
	defer w.servedMu.Unlock()
	out := make([]specs.Coverage, 0, len(w.systems))
	for _, m := range w.systems {
		var seen []specs.Exercised
		for e := range w.served[m.name] {
			seen = append(seen, e)
		}
		out = append(out, m.sys.Checker().Coverage(m.name, seen))
	}
	return out
}

// enter holds a request while a reset runs.
func (w *world) enter() func() {
	w.gate.RLock()
	return w.gate.RUnlock
}

// Systems lists the world's systems and where they are served.
func (w *world) Systems() []system.Info {
	urls := w.h.listenerURLs()
	out := make([]system.Info, 0, len(w.systems))
	for _, m := range w.systems {
		info := system.Info{Name: m.name, Listener: m.listener, BasePath: w.prefix() + m.basePath}
		if u := urls[m.listener]; u != "" {
			info.BaseURL = u + info.BasePath
		}
		out = append(out, info)
	}
	return out
}

// Checker returns a system's checker, nil for an unknown name.
func (w *world) Checker(name string) *specs.Checker {
	if m := w.byName[name]; m != nil {
		return m.sys.Checker()
	}
	return nil
}

// start starts background work: the scheduler and every Runner.
func (w *world) start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.closed:
		return errors.New("herald: start after close")
	case w.started:
		return errors.New("herald: started twice")
	}
	w.started = true
	w.ctx, w.cancel = context.WithCancel(ctx)
	w.startBackground()
	return nil
}

// startBackground starts the scheduler and the runners. Call with w.mu held.
func (w *world) startBackground() {
	w.sched.Start(w.ctx)
	var round context.Context
	round, w.runStops = context.WithCancelCause(w.ctx)
	for _, m := range w.systems {
		if r, ok := m.sys.(system.Runner); ok {
			w.runners.Add(1)
			go func() {
				defer w.runners.Done()
				r.Run(round)
			}()
		}
	}
}

// Why work in flight is cut off.
const (
	whyReset    = "the world was reset"
	whyDeleted  = "the world was deleted"
	whyShutdown = "Herald shut down and the grace period is over"
)

// stopBackground cancels background work and waits for it to end; when
// grace ends first, it interrupts the work in flight (system.Interrupter),
// saying why, and waits for what is left. Call with w.mu held.
func (w *world) stopBackground(grace context.Context, why string) {
	if w.runStops != nil {
		var cause error = system.StopForgets{Why: why}
		if why == whyShutdown {
			cause = errors.New(why)
		}
		w.runStops(cause)
	}
	done := make(chan struct{})
	go func() {
		w.runners.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-grace.Done():
		for _, m := range w.systems {
			if i, ok := m.sys.(system.Interrupter); ok {
				i.Interrupt(why)
			}
		}
		<-done
	}
	w.sched.Stop()
}

// noGrace is a context already ended: a grace period of none.
func noGrace() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// Reset puts every system of the world back to its seed state, atomically:
// requests that arrive meanwhile wait. It stops background work (cutting
// off work in flight: it is about to be forgotten), restarts
// every random stream, drops scheduled work and pending faults, resets the
// systems in order, and restarts background work. The clock is left as it
// is.
func (w *world) Reset() error {
	w.gate.Lock()
	defer w.gate.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	running := w.started && !w.closed
	if running {
		w.stopBackground(noGrace(), whyReset)
	}
	w.sched.Clear()
	w.faults.Clear()
	w.servedMu.Lock()
	w.served = map[string]map[specs.Exercised]bool{}
	w.servedMu.Unlock()
	w.h.journal.Clear(w.id)
	var errs []error
	for _, m := range w.systems {
		m.random.Restart()
		if err := m.sys.Reset(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m.name, err))
		}
	}
	if running && w.ctx.Err() == nil {
		w.startBackground()
	}
	return errors.Join(errs...)
}

// close stops background work and waits for it, cutting off what is still
// in flight when grace ends.
func (w *world) close(grace context.Context, why string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	if w.started {
		w.stopBackground(grace, why)
		w.cancel()
	}
}

// serveMain serves the world's part of the main listener, its prefix
// stripped: each system without a listener of its own under its base path,
// and the control API. It dispatches on the first path segment alone:
// http.ServeMux would clean paths and answer "//x" or "/mopay" with
// redirects, outside every error format. System names match
// case-insensitively.
func (w *world) serveMain(rw http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if rest, ok := strings.CutPrefix(p, "/_herald/"); ok {
		if w.id == "" && (rest == "ui" || strings.HasPrefix(rest, "ui/")) {
			w.h.console.ServeHTTP(rw, r) // static files, no data: no token
			return
		}
		if rest != HealthPath && !w.h.controlAllowed(r) {
			reply := control.Render(&engine.Exchange{Request: r}, control.Unauthorized("the control API needs the header Authorization: Bearer <token> (herald serve printed it, or took it from --control-token or HERALD_CONTROL_TOKEN)"))
			reply.Header.Set("WWW-Authenticate", `Bearer realm="herald control"`)
			writeReply(rw, reply)
			return
		}
		if "/_herald/"+rest == control.StreamPath {
			w.stream.ServeHTTP(rw, r)
			return
		}
		if v1, ok := strings.CutPrefix(rest, "v1/"); ok {
			seg, _, _ := strings.Cut(v1, "/")
			if m := w.byName[seg]; m != nil && m.control != nil {
				serveStripped(m.control, rw, r, len("/_herald/v1/")+len(seg))
				return
			}
		}
		w.control.ServeHTTP(rw, r)
		return
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if m := w.byName[strings.ToLower(seg)]; m != nil && m.listener == MainListener {
		serveStripped(m.sys.Handler(), rw, r, 1+len(seg))
		return
	}
	w.notFound(rw, r)
}

// notFound answers paths outside every system, saying where the systems are.
func (w *world) notFound(rw http.ResponseWriter, r *http.Request) {
	msg := "no simulated system is served at this path; systems:"
	for _, s := range w.Systems() {
		msg += " " + s.Name + " at " + s.BasePath
		if s.Listener != MainListener {
			msg += " on its own listener"
		}
	}
	msg += "; control API at " + w.prefix() + "/_herald/v1/"
	writeReply(rw, control.Render(&engine.Exchange{Request: r}, control.NotFound("%s", msg)))
}

func writeReply(rw http.ResponseWriter, reply engine.Reply) {
	for k, vs := range reply.Header {
		rw.Header()[k] = vs
	}
	rw.WriteHeader(reply.Status)
	_, _ = rw.Write(reply.Body)
}
