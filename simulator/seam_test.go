package simulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/simulator/engine"
	"herald/simulator/system"
	"herald/specs"
)

// A throwaway system, defined here alone: its own spec, handler, listener,
// background work and control route. Registering it touches no other
// package.
const echoSpec = `
openapi: 3.0.3
info: {title: echo, version: "1", x-herald-system: echo}
paths:
  /token:
    get:
      operationId: getToken
      responses:
        "200":
          description: a token from the system's random stream, and what the background did
          content:
            application/json:
              schema:
                type: object
                required: [token, ticks]
                properties:
                  token: {type: string}
                  ticks: {type: integer}
components:
  schemas:
    Error: {type: object}
`

const echoControlSpec = `
openapi: 3.0.3
info: {title: echo control, version: "1"}
paths:
  /state:
    get:
      operationId: getEchoState
      responses:
        "200":
          description: how often the runner started
          content:
            application/json:
              schema: {type: object, required: [runs], properties: {runs: {type: integer}}}
`

type echo struct {
	env    system.Env
	engine *engine.Engine
	mu     sync.Mutex
	ticks  int
	runs   int
}

func echoDefinition(t *testing.T) system.Definition {
	return system.Definition{
		Spec:     func() (*openapi3.T, error) { return specs.Parse("echo", []byte(echoSpec)) },
		Settings: []system.Setting{{Name: "greeting", Default: "hi", Usage: "unused"}},
		New: func(env system.Env) (system.System, error) {
			e := &echo{env: env}
			var err error
			e.engine, err = engine.New(env.Engine.Apply(engine.Config{
				Doc: env.Doc,
				Handlers: map[string]engine.Handler{"getToken": func(*engine.Exchange) (engine.Reply, error) {
					e.mu.Lock()
					defer e.mu.Unlock()
					return engine.JSON(http.StatusOK, map[string]any{"token": env.Random.Hex(8), "ticks": e.ticks})
				}},
				Render: func(_ *engine.Exchange, err error) engine.Reply {
					r, _ := engine.JSON(http.StatusInternalServerError, map[string]string{"error": err.Error()})
					return r
				},
				ErrorSchema: "Error",
			}))
			return e, err
		},
	}
}

func (e *echo) Handler() http.Handler   { return e.engine }
func (e *echo) Checker() *specs.Checker { return e.engine.Checker() }
func (e *echo) Reset() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ticks = 0
	return nil
}
func (e *echo) Listener() system.ListenerConfig {
	return system.ListenerConfig{DefaultAddr: "127.0.0.1:0"}
}

// Run counts its starts, and schedules a tick a simulated minute away.
func (e *echo) Run(ctx context.Context) {
	e.mu.Lock()
	e.runs++
	e.mu.Unlock()
	e.env.Scheduler.After(time.Minute, func(context.Context) {
		e.mu.Lock()
		e.ticks++
		e.mu.Unlock()
	})
	<-ctx.Done()
}

func (e *echo) Control() system.Control {
	doc, err := specs.Parse("echo-control", []byte(echoControlSpec))
	if err != nil {
		panic(err)
	}
	return system.Control{Doc: doc, Handlers: map[string]engine.Handler{
		"getEchoState": func(*engine.Exchange) (engine.Reply, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			return engine.JSON(http.StatusOK, map[string]int{"runs": e.runs})
		},
	}}
}

func getJSON(t *testing.T, h http.Handler, method, target, body string) map[string]any {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || rec.Code != 200 {
		t.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
	}
	return v
}

func TestThrowawaySystemThroughTheSeam(t *testing.T) {
	before := runtime.NumGoroutine()
	build := func() *Herald {
		h, err := New(Options{Seed: 5, Systems: []system.Definition{echoDefinition(t)}, Settings: map[string]string{"echo.greeting": "hello"}})
		if err != nil {
			t.Fatal(err)
		}
		h.Clock().Set(time.Unix(2_000_000_000, 0), true)
		return h
	}
	h := build()
	ls := h.Listeners()
	if len(ls) != 2 || ls[0].Name != MainListener || ls[1].Name != "echo" || ls[1].DefaultAddr != "127.0.0.1:0" {
		t.Fatalf("listeners: %+v", ls)
	}
	srv := httptest.NewServer(ls[1].Handler)
	h.SetBaseURL("echo", srv.URL)
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); h.def.sched.Pending() != 1; time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the runner never scheduled its tick")
		}
	}

	// Served on its own listener, from its own stream.
	first := getJSON(t, ls[1].Handler, "GET", "/token", "")
	other := build()
	if again := getJSON(t, other.Listeners()[1].Handler, "GET", "/token", ""); again["token"] != first["token"] {
		t.Fatalf("same seed, different tokens: %v and %v", first, again)
	}
	info := getJSON(t, h.Handler(), "GET", "/_herald/v1/info", "")
	systems, _ := json.Marshal(info["systems"])
	if want := `[{"basePath":"/","baseURL":"` + srv.URL + `/","listener":"echo","name":"echo"}]`; string(systems) != want {
		t.Fatalf("info systems %s, want %s", systems, want)
	}

	// Background work on the simulator clock, driven by the control API.
	getJSON(t, h.Handler(), "POST", "/_herald/v1/clock/advance", `{"by":"1m"}`)
	if got := getJSON(t, ls[1].Handler, "GET", "/token", ""); got["ticks"] != 1.0 {
		t.Fatalf("after advancing a minute: %v, want ticks 1", got)
	}
	if got := getJSON(t, h.Handler(), "GET", "/_herald/v1/echo/state", ""); got["runs"] != 1.0 {
		t.Fatalf("control route: %v", got)
	}

	// A reset restarts the stream and the runner, and drops scheduled work.
	getJSON(t, h.Handler(), "POST", "/_herald/v1/reset", "")
	if got := getJSON(t, ls[1].Handler, "GET", "/token", ""); got["token"] != first["token"] || got["ticks"] != 0.0 {
		t.Fatalf("after reset: %v, want token %v and no ticks", got, first["token"])
	}
	// The runner starts again in a goroutine of its own: wait for it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		got := getJSON(t, h.Handler(), "GET", "/_herald/v1/echo/state", "")
		if got["runs"] == 2.0 && h.def.sched.Pending() == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runner not restarted by the reset (%v), or %d jobs pending, want the new runner's one", got, h.def.sched.Pending())
		}
	}

	// Closed without leaked goroutines.
	srv.Close()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	other.Close()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after close, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSettingsAreChecked(t *testing.T) {
	if _, err := New(Options{Settings: map[string]string{"mopay.rate-limt": "5"}}); err == nil || !strings.Contains(err.Error(), "mopay.rate-limt") {
		t.Fatalf("misspelt setting: %v", err)
	}
	if _, err := New(Options{Settings: map[string]string{"nosuch.x": "5"}}); err == nil || !strings.Contains(err.Error(), "nosuch.x") {
		t.Fatalf("unknown system's setting: %v", err)
	}
	if _, err := New(Options{Settings: map[string]string{"mopay.rate-limit": "-1"}}); err == nil {
		t.Fatal("negative rate limit accepted")
	}
	flags, err := DescribeSettings(Registered())
	if err != nil || len(flags) == 0 || flags[0].Flag != "mopay-rate-limit" || flags[0].Default != "100" {
		t.Fatalf("settings: %+v %v", flags, err)
	}
}

// System prefixes match case-insensitively, so /MOPAY/x answers in Mopay's
// format rather than Herald's.
func TestSystemPrefixIgnoresCase(t *testing.T) {
	h, err := New(Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/MOPAY/nosuch_action", nil))
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), `"action_unknown"`) {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

// gated is a system whose Reset waits until released, to watch requests
// that arrive during a reset.
type gated struct {
	*echo
	resetting chan struct{}
	release   chan struct{}
}

func (g *gated) Reset() error {
	close(g.resetting)
	<-g.release
	return g.echo.Reset()
}

// Requests that arrive while a reset runs wait for it to finish.
func TestResetHoldsRequests(t *testing.T) {
	g := &gated{resetting: make(chan struct{}), release: make(chan struct{})}
	def := echoDefinition(t)
	build := def.New
	def.New = func(env system.Env) (system.System, error) {
		s, err := build(env)
		if err != nil {
			return nil, err
		}
		g.echo = s.(*echo)
		g.echo.engine, err = engine.New(env.Engine.Apply(engine.Config{Doc: env.Doc,
			Handlers: map[string]engine.Handler{"getToken": func(*engine.Exchange) (engine.Reply, error) {
				return engine.JSON(http.StatusOK, map[string]any{"token": env.Random.Hex(8), "ticks": 0})
			}},
			Render: func(_ *engine.Exchange, err error) engine.Reply {
				r, _ := engine.JSON(500, map[string]string{"e": err.Error()})
				return r
			},
		}))
		return g, err
	}
	h, err := New(Options{Seed: 9, Systems: []system.Definition{def}})
	if err != nil {
		t.Fatal(err)
	}
	handler := h.Listeners()[1].Handler
	first := getJSON(t, handler, "GET", "/token", "")["token"]
	resetDone := make(chan struct{})
	go func() { _ = h.Reset(); close(resetDone) }()
	<-g.resetting
	answered := make(chan any)
	go func() {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest("GET", "/token", nil))
		var v map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &v)
		answered <- v["token"]
	}()
	// The request waits at the world's gate, seen in its goroutine's stack,
	// not answered: the reset still runs until released.
	for deadline := time.Now().Add(10 * time.Second); !blockedAt("simulator.(*world).enter"); time.Sleep(2 * time.Millisecond) {
		select {
		case v := <-answered:
			t.Fatalf("a request was answered during the reset: %v", v)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the world's gate")
		}
	}
	close(g.release)
	<-resetDone
	if got := <-answered; got != first {
		t.Fatalf("the held request got %v, want %v from the restarted stream", got, first)
	}
}

// blockedAt tells whether a goroutine waits for a read lock in fn.
func blockedAt(fn string) bool {
	buf := make([]byte, 1<<20)
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if i := strings.Index(g, "sync.(*RWMutex).RLock"); i >= 0 && strings.Contains(g[i:], fn) {
			return true
		}
	}
	return false
}
