package control

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/simulator/journal"
	"herald/simulator/schedule"
	"herald/simulator/system"
	"herald/specs"
)

// Config is what the control API acts on: one world's.
type Config struct {
	Version string
	Seed    uint64
	// World is the id of the world served; "" for the default one.
	World string
	Clock *clock.Controlled
	// Scheduler runs the work a clock move makes due before the move is
	// answered.
	Scheduler *schedule.Scheduler
	Faults    *engine.Faults
	// Systems lists the simulated systems and where they are served.
	Systems func() []system.Info
	// SetListenerURLs records where listeners are published, by name; an
	// error names the listener at fault. Nil inside a world (the root sets
	// them).
	SetListenerURLs func(map[string]string) error
	// AddressNote says, when a base URL is the server's own view of an
	// address no client can use (bound to all interfaces), so; "" when
	// every base URL is usable. Nil is "".
	AddressNote func() string
	// Checker returns a system's checker, nil for an unknown name.
	Checker func(name string) *specs.Checker
	// Reset puts every system back to its seed state, atomically: random
	// streams, scheduled work and faults included.
	Reset func() error
	// Coverage is what the systems answered since the last reset, per spec.
	Coverage func() []specs.Coverage
	// Worlds creates and deletes isolated worlds; nil inside a world (they
	// are managed from the root).
	Worlds Worlds
	// Doc is specs/control.yaml, loaded; nil loads it. Worlds share one.
	Doc    *openapi3.T
	Logger *slog.Logger
	// Compiled shares the compiled documents between worlds; nil compiles
	// afresh.
	Compiled *engine.Compiled
	// Journal keeps the exchanges; nil when it is off.
	Journal *journal.Journal
	// Mode is what the info says this Herald is: "proxy" for herald proxy;
	// "" is "simulator".
	Mode string
}

// Worlds manages isolated worlds.
type Worlds interface {
	CreateWorld() (WorldInfo, error)
	ListWorlds() []WorldInfo
	DeleteWorld(id string) bool
}

// WorldInfo describes an isolated world: where it is served, and its systems.
type WorldInfo struct {
	ID string `json:"id"`
	// BasePath is its prefix on every listener: "/_herald/worlds/w1/".
	BasePath string `json:"basePath"`
	// BaseURL is that prefix on the main listener, once it is bound: use it
	// as a Herald's base URL (its control API is under _herald/v1/).
	BaseURL string        `json:"baseURL,omitempty"`
	Systems []system.Info `json:"systems"`
	// AddressNote is Config.AddressNote's, when there is one.
	AddressNote string `json:"addressNote,omitempty"`
}

// BearerAllowed reports whether a request carries the control token, once,
// as Authorization: Bearer <token> (the scheme in any case, RFC 9110
// §11.1), compared in constant time; every request is allowed when token is
// empty.
func BearerAllowed(r *http.Request, token string) bool {
	if token == "" {
		return true
	}
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return false
	}
	scheme, given, ok := strings.Cut(values[0], " ")
	return ok && strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(given), []byte(token)) == 1
}

// Unauthorized is the answer to a control request without the token.
func Unauthorized(format string, args ...any) error {
	return &unauthorized{fmt.Sprintf(format, args...)}
}

type unauthorized struct{ msg string }

func (u *unauthorized) Error() string { return u.msg }

// LimitReached is the answer to a request for more than a bound allows.
func LimitReached(format string, args ...any) error {
	return &limitReached{fmt.Sprintf(format, args...)}
}

type limitReached struct{ msg string }

func (l *limitReached) Error() string { return l.msg }

type api struct{ cfg Config }

// New builds the control API's handler, to be served at the root of the
// server (its paths start with /_herald/).
func New(cfg Config) (*engine.Engine, error) {
	doc := cfg.Doc
	if doc == nil {
		var err error
		if doc, err = specs.Load(specs.Control); err != nil {
			return nil, err
		}
	}
	a := &api{cfg: cfg}
	return engine.New(engine.Config{
		Name: "control",
		Doc:  doc,
		Handlers: map[string]engine.Handler{
			"getInfo":          a.getInfo,
			"getHealth":        a.getHealth,
			"setListenerURLs":  a.setListenerURLs,
			"reset":            a.reset,
			"getClock":         a.getClock,
			"setClock":         a.setClock,
			"resetClock":       a.resetClock,
			"advanceClock":     a.advanceClock,
			"listFaults":       a.listFaults,
			"addFault":         a.addFault,
			"clearFaults":      a.clearFaults,
			"getCoverage":      a.getCoverage,
			"createWorld":      a.createWorld,
			"listWorlds":       a.listWorlds,
			"deleteWorld":      a.deleteWorld,
			"getJournal":       a.getJournal,
			"clearJournal":     a.clearJournal,
			"exportJournalHAR": a.exportJournalHAR,
			"countJournal":     a.countJournal,
			"streamJournal":    a.streamJournal,
		},
		Render:      Render,
		ErrorSchema: "Error",
		Logger:      cfg.Logger,
		Compiled:    cfg.Compiled,
	})
}

// ForSystem builds the handler of a system's own control routes, served
// under /_herald/v1/<name>/ with that prefix stripped, in the control API's
// error format.
func ForSystem(name string, c system.Control, logger *slog.Logger, compiled *engine.Compiled) (*engine.Engine, error) {
	errorSchema := ""
	if c.Doc.Components != nil && c.Doc.Components.Schemas["Error"] != nil {
		errorSchema = "Error"
	}
	return engine.New(engine.Config{
		Name:        "control/" + name,
		Doc:         c.Doc,
		Handlers:    c.Handlers,
		Render:      Render,
		ErrorSchema: errorSchema,
		Logger:      logger,
		Compiled:    compiled,
	})
}

func (a *api) getInfo(ex *engine.Exchange) (engine.Reply, error) {
	mode := a.cfg.Mode
	if mode == "" {
		mode = "simulator"
	}
	info := map[string]any{"name": "herald", "mode": mode, "version": a.cfg.Version, "seed": a.cfg.Seed, "systems": a.cfg.Systems()}
	if a.cfg.World != "" {
		info["world"] = a.cfg.World
	}
	if a.cfg.AddressNote != nil {
		if note := a.cfg.AddressNote(); note != "" {
			info["addressNote"] = note
		}
	}
	return engine.JSON(http.StatusOK, info)
}

func (a *api) setListenerURLs(ex *engine.Exchange) (engine.Reply, error) {
	if a.cfg.SetListenerURLs == nil {
		return engine.Reply{}, NotFound("listeners are published for the whole Herald: PUT /_herald/v1/listeners at the root, not inside world %s", a.cfg.World)
	}
	var in map[string]string
	if err := json.Unmarshal(ex.Body, &in); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.BodyInvalid, In: "body", Reason: "want an object of listener names and URLs, such as {\"mnotify\": \"https://127.0.0.1:49001\"}"}
	}
	if err := a.cfg.SetListenerURLs(in); err != nil {
		var bad *BadListener
		if errors.As(err, &bad) {
			return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: bad.Name, Reason: bad.Reason}
		}
		return engine.Reply{}, err
	}
	return a.getInfo(ex)
}

// BadListener is SetListenerURLs' refusal of one listener's URL.
type BadListener struct{ Name, Reason string }

func (b *BadListener) Error() string { return "listener " + b.Name + ": " + b.Reason }

func (a *api) getHealth(ex *engine.Exchange) (engine.Reply, error) {
	return engine.JSON(http.StatusOK, map[string]any{"status": "ok", "name": "herald"})
}

func (a *api) getCoverage(ex *engine.Exchange) (engine.Reply, error) {
	out := []map[string]any{}
	for _, c := range a.cfg.Coverage() {
		out = append(out, map[string]any{"system": c.System, "percent": c.Percent(), "operations": c.Operations,
			"responses": c.Responses, "securitySchemes": c.Schemes})
	}
	return engine.JSON(http.StatusOK, out)
}

func (a *api) worlds() (Worlds, error) {
	if a.cfg.Worlds == nil {
		return nil, NotFound("worlds are created and deleted at the root's control API, /_herald/v1/worlds, not inside world %s", a.cfg.World)
	}
	return a.cfg.Worlds, nil
}

func (a *api) createWorld(ex *engine.Exchange) (engine.Reply, error) {
	ws, err := a.worlds()
	if err != nil {
		return engine.Reply{}, err
	}
	info, err := ws.CreateWorld()
	if err != nil {
		return engine.Reply{}, err
	}
	return engine.JSON(http.StatusCreated, info)
}

func (a *api) listWorlds(ex *engine.Exchange) (engine.Reply, error) {
	ws, err := a.worlds()
	if err != nil {
		return engine.Reply{}, err
	}
	return engine.JSON(http.StatusOK, ws.ListWorlds())
}

func (a *api) deleteWorld(ex *engine.Exchange) (engine.Reply, error) {
	ws, err := a.worlds()
	if err != nil {
		return engine.Reply{}, err
	}
	id := ex.PathParams["id"]
	if !ws.DeleteWorld(id) {
		return engine.Reply{}, NotFound("no world %s", id)
	}
	return engine.JSON(http.StatusOK, map[string]string{"status": "deleted"})
}

func (a *api) reset(ex *engine.Exchange) (engine.Reply, error) {
	if err := a.cfg.Reset(); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Internal, Reason: "reset: " + err.Error()}
	}
	return engine.JSON(http.StatusOK, map[string]string{"status": "reset"})
}

func (a *api) clockReply() (engine.Reply, error) {
	now := a.cfg.Clock.Now().UTC()
	return engine.JSON(http.StatusOK, map[string]any{"now": now.Format(time.RFC3339Nano), "unix": now.Unix(), "frozen": a.cfg.Clock.Frozen()})
}

func (a *api) getClock(ex *engine.Exchange) (engine.Reply, error) { return a.clockReply() }

func outOfRange(field string, t time.Time) *engine.Problem {
	return &engine.Problem{Kind: engine.Invalid, In: "body", Field: field,
		Reason: fmt.Sprintf("the clock would be at %s; it must stay between %s and %s",
			t.UTC().Format(time.RFC3339Nano), clock.Earliest.Format(time.RFC3339), clock.Latest.Format(time.RFC3339))}
}

// zoneOffset is the end of an RFC 3339 date-time with a numeric offset;
// Go's parser takes hours and minutes past 23 and 59 there.
var zoneOffset = regexp.MustCompile(`[+-]([0-9]{2}):([0-9]{2})$`)

// parseTime reads an RFC 3339 date-time, its offset within ±23:59.
func parseTime(s string) (time.Time, bool) {
	if m := zoneOffset.FindStringSubmatch(s); m != nil {
		if h, _ := strconv.Atoi(m[1]); h > 23 {
			return time.Time{}, false
		}
		if mm, _ := strconv.Atoi(m[2]); mm > 59 {
			return time.Time{}, false
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func (a *api) setClock(ex *engine.Exchange) (engine.Reply, error) {
	var in struct {
		Now    string `json:"now"`
		Frozen *bool  `json:"frozen"`
	}
	_ = json.Unmarshal(ex.Body, &in) // the spec check has passed: now is a string
	now, ok := parseTime(in.Now)
	if !ok {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "now",
			Reason: "must be an RFC 3339 date-time, its offset between -23:59 and +23:59"}
	}
	if !a.cfg.Clock.Set(now, in.Frozen == nil || *in.Frozen) {
		return engine.Reply{}, outOfRange("now", now)
	}
	a.cfg.Scheduler.RunDue()
	return a.clockReply()
}

func (a *api) resetClock(ex *engine.Exchange) (engine.Reply, error) {
	a.cfg.Clock.Reset()
	a.cfg.Scheduler.RunDue()
	return a.clockReply()
}

func (a *api) advanceClock(ex *engine.Exchange) (engine.Reply, error) {
	var in struct {
		By string `json:"by"`
	}
	_ = json.Unmarshal(ex.Body, &in)
	d, err := time.ParseDuration(in.By)
	if err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "by", Reason: "must be a duration such as 90s or 10m"}
	}
	if to, ok := a.cfg.Clock.AdvanceWithin(d, clock.Earliest, clock.Latest); !ok {
		return engine.Reply{}, outOfRange("by", to)
	}
	// What the move made due has run when the move is answered.
	a.cfg.Scheduler.RunDue()
	return a.clockReply()
}

func (a *api) listFaults(ex *engine.Exchange) (engine.Reply, error) {
	return engine.JSON(http.StatusOK, a.cfg.Faults.Pending())
}

func (a *api) addFault(ex *engine.Exchange) (engine.Reply, error) {
	// The spec check has passed: status and count are integers, though JSON
	// may write them as 1e3.
	var in struct {
		System      string  `json:"system"`
		OperationID string  `json:"operationId"`
		Status      float64 `json:"status"`
		Count       float64 `json:"count"`
	}
	if err := json.Unmarshal(ex.Body, &in); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.BodyInvalid, In: "body", Reason: "the body is not a fault rule"}
	}
	rule := engine.FaultRule{System: in.System, OperationID: in.OperationID, Status: int(in.Status), Count: int(in.Count)}
	if rule.Count == 0 {
		rule.Count = 1
	}
	checker := a.cfg.Checker(rule.System)
	if checker == nil {
		var names []string
		for _, s := range a.cfg.Systems() {
			names = append(names, s.Name)
		}
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "system",
			Reason: fmt.Sprintf("no such system (have %s)", strings.Join(names, ", "))}
	}
	route := checker.Route(rule.OperationID)
	if route == nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "operationId",
			Reason: fmt.Sprintf("%s has no such operation (have %s)", rule.System, strings.Join(checker.OperationIDs(), ", "))}
	}
	if route.Operation.Responses.Value(strconv.Itoa(rule.Status)) == nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "status",
			Reason: fmt.Sprintf("%s does not document status %d", rule.OperationID, rule.Status)}
	}
	a.cfg.Faults.Add(rule)
	return engine.JSON(http.StatusCreated, rule)
}

func (a *api) clearFaults(ex *engine.Exchange) (engine.Reply, error) {
	a.cfg.Faults.Clear()
	return engine.JSON(http.StatusOK, map[string]string{"status": "cleared"})
}

// NotFound is a control route's answer for something it does not have. It
// is system.NotFound, which the systems' control routes answer with.
func NotFound(format string, args ...any) error { return system.NotFound(format, args...) }

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Render writes a failure in the control API's format,
// {"error":{"code":…,"message":…,"field":…}}.
func Render(ex *engine.Exchange, err error) engine.Reply {
	status, body := http.StatusInternalServerError, errorBody{Code: "internal", Message: err.Error()}
	var nf *system.NotFoundError
	var lr *limitReached
	var ua *unauthorized
	var p *engine.Problem
	switch {
	case errors.As(err, &ua):
		status, body = http.StatusUnauthorized, errorBody{Code: "unauthorized", Message: ua.msg}
	case errors.As(err, &nf):
		status, body = http.StatusNotFound, errorBody{Code: "not_found", Message: nf.Message}
	case errors.As(err, &lr):
		status, body = http.StatusTooManyRequests, errorBody{Code: "limit_reached", Message: lr.msg}
	case errors.As(err, &p):
		body = errorBody{Message: p.Describe(), Field: p.Field}
		switch p.Kind {
		case engine.NotFound:
			status, body.Code = http.StatusNotFound, "not_found"
		case engine.MethodNotAllowed:
			status, body.Code = http.StatusMethodNotAllowed, "method_not_allowed"
		case engine.Missing, engine.Invalid, engine.BodyInvalid, engine.Ambiguous:
			status, body.Code = http.StatusBadRequest, "invalid_request"
		case engine.ContentType:
			status, body.Code = http.StatusUnsupportedMediaType, "unsupported_media_type"
		case engine.BodyTooLarge:
			status, body.Code = http.StatusRequestEntityTooLarge, "too_large"
		case engine.HeadersTooLarge:
			status, body.Code = http.StatusRequestHeaderFieldsTooLarge, "too_large"
		default:
			body.Code = "internal"
		}
	}
	b, _ := json.Marshal(map[string]errorBody{"error": body})
	return engine.Reply{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: b}
}
