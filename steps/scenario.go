package steps

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
)

// run is one run of the suite; read-only once built.
type run struct {
	target  Target
	modules []Module
	// isolate runs each scenario in an isolated world of its own.
	isolate bool
	journal *journal
	places  map[string]scenarioRun // by key
	worlds  worldPool
}

// worldPool keeps the worlds scenarios ran in, to reuse: a world reset and
// with its clock released is as a new one, and cheaper.
type worldPool struct {
	mu   sync.Mutex
	free []string
	all  []string
}

func (p *worldPool) take() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) == 0 {
		return "", false
	}
	id := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	return id, true
}

func (p *worldPool) put(id string, created bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if created {
		p.all = append(p.all, id)
	}
	p.free = append(p.free, id)
}

// close deletes every world of the run.
func (p *worldPool) close(root Target) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, id := range p.all {
		if _, err := root.control(http.MethodDelete, "worlds/"+id, nil); err != nil {
			errs = append(errs, err)
		}
	}
	p.all, p.free = nil, nil
	return errors.Join(errs...)
}

// Scenario is the state every module shares within one scenario: the
// target, the simulator clock as the scenario sees it, what it changed on a
// Herald (undone after it), and whether it expects a spec violation. It
// lives in the scenario's context: see ScenarioOf.
type Scenario struct {
	Target Target

	expectViolation bool
	violation       error
	offset          time.Duration // simulator clock minus local clock
	clockChanged    bool
	faulted         bool
	world           string // the isolated world the scenario runs in, if any
	root            Target // the target the world was opened on
	pool            *worldPool
	createdWorld    bool
	exchanges       []Exchange
	cleanups        []func() error
	steps           []StepResult
	skipped         string // why a step skipped the scenario, if one did
	started         time.Time
}

type scenarioKey struct{}

// ScenarioOf returns the scenario state of a step's context.
func ScenarioOf(ctx context.Context) *Scenario {
	s, _ := ctx.Value(scenarioKey{}).(*Scenario)
	return s
}

// On adapts a step function whose first parameter is a module's scenario
// state (found in the context under key) to the function godog calls with
// the scenario's context, so that modules keep their state in the context:
// sc.Step(`^…$`, steps.On[*world](worldKey{}, (*world).doSomething)).
func On[W any](key any, f any) any {
	fv := reflect.ValueOf(f)
	ft := fv.Type()
	var zero W
	if ft.Kind() != reflect.Func || ft.NumIn() == 0 || ft.In(0) != reflect.TypeOf(&zero).Elem() {
		panic(fmt.Sprintf("steps.On: %s does not take %T first", ft, zero))
	}
	in := []reflect.Type{reflect.TypeOf((*context.Context)(nil)).Elem()}
	for i := 1; i < ft.NumIn(); i++ {
		in = append(in, ft.In(i))
	}
	var out []reflect.Type
	for i := 0; i < ft.NumOut(); i++ {
		out = append(out, ft.Out(i))
	}
	return reflect.MakeFunc(reflect.FuncOf(in, out, false), func(args []reflect.Value) []reflect.Value {
		ctx := args[0].Interface().(context.Context)
		w, ok := ctx.Value(key).(W)
		if !ok {
			panic(fmt.Sprintf("steps.On: no %T in the scenario's context", zero))
		}
		return fv.Call(append([]reflect.Value{reflect.ValueOf(w)}, args[1:]...))
	}).Interface()
}

func (r *run) initScenario(sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		s := &Scenario{Target: r.target, started: time.Now()}
		ctx = context.WithValue(ctx, scenarioKey{}, s) // modules find it, even when this fails
		if r.isolate {
			if err := s.openWorld(&r.worlds); err != nil {
				return ctx, err
			}
		}
		for _, t := range p.Tags {
			if t.Name == TagExpectViolation {
				s.expectViolation = true
			}
		}
		return ctx, s.SyncClock()
	})
	sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
		if s := ScenarioOf(ctx); s != nil {
			res := StepResult{Text: st.Text, Status: stepStatus(status)}
			if err != nil && (status == godog.StepFailed || status == godog.StepSkipped) { // a step that skips says why
				res.Err = err.Error()
			}
			if err != nil && status == godog.StepSkipped && errors.Is(err, godog.ErrSkip) {
				// godog counts a scenario a step skipped as passed unless
				// that step was its last: record lets the step's reason win.
				res.Err = skipReason(err)
				if s.skipped == "" {
					s.skipped = res.Err
				}
			}
			s.steps = append(s.steps, res)
		}
		return ctx, nil
	})
	sc.After(func(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
		s := ScenarioOf(ctx)
		if s == nil {
			return ctx, nil
		}
		// Modules' cleanups run first, while the world they undo in is still
		// there.
		cleanupErr := s.cleanup()
		r.record(p, s, errors.Join(err, cleanupErr))
		restoreErr := s.restore()
		if err != nil {
			return ctx, nil // the scenario's own failure is reported already
		}
		return ctx, errors.Join(cleanupErr, restoreErr)
	})
	on := func(f any) any { return On[*Scenario](scenarioKey{}, f) }
	sc.Step(`^the simulator clock moves forward by "([^"]*)"$`, on((*Scenario).advanceClock))
	sc.Step(`^the simulator fails the next "([^"]*)" call with status (\d+)$`, on(func(s *Scenario, op string, status int) error {
		return s.injectFault(r.modules, op, status)
	}))
	sc.Step(`^the answer violates the spec$`, on(func(s *Scenario) error {
		if s.violation == nil {
			return fmt.Errorf("expected an answer that violates the spec, but every answer matched it")
		}
		return nil
	}))
	for _, m := range r.modules {
		if r.target.Systems[m.System()] != nil {
			m.Init(sc)
		}
	}
}

// Now is the time to sign with: the simulator's clock on a Herald, the local
// clock elsewhere.
func (s *Scenario) Now() time.Time { return time.Now().Add(s.offset) }

// SyncClock reads the simulator clock, so that Now follows it.
func (s *Scenario) SyncClock() error {
	s.offset = 0
	if !s.Target.IsHerald() {
		return nil
	}
	b, err := s.Control(http.MethodGet, "clock", nil)
	if err != nil {
		return err
	}
	var c struct{ Unix int64 }
	if err := json.Unmarshal(b, &c); err != nil {
		return fmt.Errorf("reading the simulator clock: %w", err)
	}
	s.offset = time.Until(time.Unix(c.Unix, 0))
	return nil
}

// Checked records what an answer's check against the spec found: a
// violation fails the step, unless the scenario expects one.
func (s *Scenario) Checked(system string, violation error, status int, body []byte) error {
	if violation == nil {
		return nil
	}
	if s.expectViolation {
		s.violation = violation
		return nil
	}
	return fmt.Errorf("the answer violates the %s spec (tag the scenario %s if that is expected): %w\nanswer %d: %s",
		system, TagExpectViolation, violation, status, Clip(body))
}

// openWorld points the scenario at an isolated world of the target: the
// same listeners, every path under /_herald/worlds/<id>. It reuses one an
// earlier scenario left, reset and with its clock released, or opens one.
func (s *Scenario) openWorld(pool *worldPool) error {
	var w struct{ ID string }
	reused := false
	// Other scenarios, or other suites, may hold every world the Herald
	// keeps: wait for one of ours to come back, or for room for a new one.
	for wait, waited := 50*time.Millisecond, time.Duration(0); ; wait = min(2*wait, time.Second) {
		if id, ok := pool.take(); ok {
			w.ID, reused = id, true
			break
		}
		b, err := s.Target.control(http.MethodPost, "worlds", nil)
		if err == nil {
			if err := json.Unmarshal(b, &w); err != nil || w.ID == "" {
				return fmt.Errorf("opening the scenario's world: the answer names none: %s", Clip(b))
			}
			break
		}
		if !strings.Contains(err.Error(), "answered 429") || waited > 60*time.Second {
			return fmt.Errorf("opening the scenario's world (the Herald's --max-worlds may be below the --concurrency of the suites sharing it): %w", err)
		}
		time.Sleep(wait)
		waited += wait
	}
	s.root, s.world, s.pool, s.createdWorld = s.Target, w.ID, pool, !reused
	t := s.Target
	t.Name = fmt.Sprintf("%s (world %s)", t.Name, w.ID)
	var err error
	if t.ControlURL, err = inWorld(t.ControlURL, w.ID); err != nil {
		return err
	}
	t.Systems = map[string]*SystemTarget{}
	for name, st := range s.Target.Systems {
		c := *st
		if c.BaseURL, err = inWorld(st.BaseURL, w.ID); err != nil {
			return err
		}
		t.Systems[name] = &c
	}
	s.Target = t
	if reused {
		if _, err := s.Control(http.MethodPost, "reset", nil); err != nil {
			return fmt.Errorf("resetting the scenario's world: %w", err)
		}
		if _, err := s.Control(http.MethodDelete, "clock", nil); err != nil {
			return fmt.Errorf("releasing the world's clock: %w", err)
		}
	}
	return nil
}

// inWorld is a URL of a Herald's listener moved into a world.
func inWorld(raw, id string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("target URL %q: %w", raw, err)
	}
	u.Path = "/_herald/worlds/" + id + u.Path
	u.RawPath = ""
	return u.String(), nil
}

// Control calls the target's control API and returns the answer's body.
func (s *Scenario) Control(method, path string, body any) ([]byte, error) {
	return s.Target.control(method, path, body)
}

// control calls the target's control API and returns the answer's body.
func (t Target) control(method, path string, body any) ([]byte, error) {
	if !t.IsHerald() {
		return nil, fmt.Errorf("this step needs Herald's control API, and target %s has none (tag the scenario %s)", t.Name, TagSimulator)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, t.ControlURL+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t.ControlToken != "" {
		req.Header.Set("Authorization", "Bearer "+t.ControlToken)
	}
	resp, err := t.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("control API %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return b, fmt.Errorf("control API %s %s answered %d: %s", method, path, resp.StatusCode, b)
	}
	return b, nil
}

// restore undoes what the scenario changed on a Herald: it deletes the
// scenario's world, or else clears its faults and releases its clock.
func (s *Scenario) restore() error {
	if s.world != "" { // the next scenario resets it; the run deletes it
		s.pool.put(s.world, s.createdWorld)
		return nil
	}
	if s.faulted {
		if _, err := s.Control(http.MethodDelete, "faults", nil); err != nil {
			return fmt.Errorf("clearing injected faults: %w", err)
		}
	}
	if s.clockChanged {
		if _, err := s.Control(http.MethodDelete, "clock", nil); err != nil {
			return fmt.Errorf("restoring the simulator clock: %w", err)
		}
	}
	return nil
}

// Cleanup registers a function that undoes something a module changed on
// the target, such as a registration in a simulated registry. Cleanups run
// when the scenario ends, last registered first, before Herald's own
// restoring (so, in an isolated world, while the world still exists); an
// error fails the scenario, unless it failed already.
func (s *Scenario) Cleanup(f func() error) { s.cleanups = append(s.cleanups, f) }

func (s *Scenario) cleanup() error {
	var errs []error
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		errs = append(errs, s.cleanups[i]())
	}
	s.cleanups = nil
	return errors.Join(errs...)
}

// ClockChanged notes that the scenario moved the simulator clock, which is
// released after it.
func (s *Scenario) ClockChanged() { s.clockChanged = true }

func (s *Scenario) advanceClock(by string) error {
	if _, err := s.Control(http.MethodPost, "clock/advance", map[string]string{"by": by}); err != nil {
		return err
	}
	s.clockChanged = true
	return s.SyncClock()
}

// injectFault fails the next call to an operation, of whichever system
// under test has it.
func (s *Scenario) injectFault(modules []Module, operationID string, status int) error {
	operationID = strings.TrimSpace(operationID)
	var owners []string
	for _, m := range modules {
		if s.Target.Systems[m.System()] != nil && m.Checker().Route(operationID) != nil {
			owners = append(owners, m.System())
		}
	}
	if len(owners) != 1 {
		return fmt.Errorf("operation %q belongs to %d systems under test (%s); want exactly one", operationID, len(owners), strings.Join(owners, ", "))
	}
	s.faulted = true
	_, err := s.Control(http.MethodPost, "faults", map[string]any{
		"system": owners[0], "operationId": operationID, "status": status, "count": 1})
	return err
}

// record keeps how a scenario ended, for the reports.
func (r *run) record(p *godog.Scenario, s *Scenario, err error) {
	if r.journal == nil {
		return
	}
	uri, _, _ := strings.Cut(p.Uri, ":")
	var texts []string
	for _, st := range p.Steps {
		texts = append(texts, st.Text)
	}
	pl := r.places[pickleKey(uri, p.Name, texts)]
	var tags []string
	for _, t := range p.Tags {
		tags = append(tags, t.Name)
	}
	res := &ScenarioResult{URI: uri, Feature: pl.feature, Name: p.Name, Line: pl.line, Tags: tags,
		Status: scenarioStatus(err), Steps: s.steps, Exchanges: s.exchanges, Duration: time.Since(s.started)}
	if res.Status == "skipped" && err != nil {
		res.Reason = skipReason(err) // a step skipped it (godog.ErrSkip), saying why
	}
	if res.Status == "passed" && s.skipped != "" {
		// godog hands the scenario's hooks the last step's error only: a
		// step before it that skipped the scenario is known from its own.
		res.Status, res.Reason = "skipped", s.skipped
	}
	if res.Status == "failed" && !anyFailed(res.Steps) {
		res.Steps = append(res.Steps, StepResult{Text: "(scenario hooks)", Status: "failed", Err: err.Error()})
	}
	r.journal.add(res)
}

func anyFailed(steps []StepResult) bool {
	for _, st := range steps {
		if st.Status == "failed" {
			return true
		}
	}
	return false
}

// skipReason is the reason a step gave with godog.ErrSkip ("%w: reason").
func skipReason(err error) string {
	return strings.TrimPrefix(err.Error(), godog.ErrSkip.Error()+": ")
}
