package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"herald/simulator/clock"
	"herald/simulator/engine"
	"herald/specs"
)

// System is a simulated system as the control API sees it.
type System struct {
	Name     string
	BasePath string
	Checker  *specs.Checker
}

// Config is what the control API acts on.
type Config struct {
	Version string
	Seed    uint64
	Clock   *clock.Controlled
	Systems []System
	Faults  *engine.Faults
	// Reset puts every system back to its seed state.
	Reset func() error
	// MopayCode returns the last verification code sent to an address.
	MopayCode func(email string) (code string, expires time.Time, ok bool)
	Logger    *slog.Logger
}

type api struct{ cfg Config }

// New builds the control API's handler, to be served at the root of the
// server (its paths start with /_herald/).
func New(cfg Config) (*engine.Engine, error) {
	doc, err := specs.Load(specs.Control)
	if err != nil {
		return nil, err
	}
	a := &api{cfg: cfg}
	return engine.New(engine.Config{
		Name: "control",
		Doc:  doc,
		Handlers: map[string]engine.Handler{
			"getInfo":                  a.getInfo,
			"reset":                    a.reset,
			"getClock":                 a.getClock,
			"setClock":                 a.setClock,
			"resetClock":               a.resetClock,
			"advanceClock":             a.advanceClock,
			"getMopayVerificationCode": a.getMopayVerificationCode,
			"listFaults":               a.listFaults,
			"addFault":                 a.addFault,
			"clearFaults":              a.clearFaults,
		},
		Render:      render,
		ErrorSchema: "Error",
		Logger:      cfg.Logger,
	})
}

type systemInfo struct {
	Name     string `json:"name"`
	BasePath string `json:"basePath"`
}

func (a *api) getInfo(ex *engine.Exchange) (engine.Reply, error) {
	systems := make([]systemInfo, 0, len(a.cfg.Systems))
	for _, s := range a.cfg.Systems {
		systems = append(systems, systemInfo{s.Name, s.BasePath})
	}
	return engine.JSON(http.StatusOK, map[string]any{"name": "herald", "version": a.cfg.Version, "seed": a.cfg.Seed, "systems": systems})
}

func (a *api) reset(ex *engine.Exchange) (engine.Reply, error) {
	if err := a.cfg.Reset(); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Internal, Reason: "reset: " + err.Error()}
	}
	a.cfg.Faults.Clear()
	return engine.JSON(http.StatusOK, map[string]string{"status": "reset"})
}

func (a *api) clockReply() (engine.Reply, error) {
	now := a.cfg.Clock.Now().UTC()
	return engine.JSON(http.StatusOK, map[string]any{"now": now.Format(time.RFC3339Nano), "unix": now.Unix(), "frozen": a.cfg.Clock.Frozen()})
}

func (a *api) getClock(ex *engine.Exchange) (engine.Reply, error) { return a.clockReply() }

// The clock stays where unix seconds have 10 digits, as Mopay's records
// and cursors assume.
var (
	earliest = time.Unix(1_000_000_000, 0).UTC()
	latest   = time.Unix(9_999_999_999, 0).UTC()
)

func outOfRange(field string, t time.Time) *engine.Problem {
	return &engine.Problem{Kind: engine.Invalid, In: "body", Field: field,
		Reason: fmt.Sprintf("the clock would be at %s; it must stay between %s and %s",
			t.UTC().Format(time.RFC3339Nano), earliest.Format(time.RFC3339), latest.Format(time.RFC3339))}
}

func (a *api) setClock(ex *engine.Exchange) (engine.Reply, error) {
	var in struct {
		Now    time.Time `json:"now"`
		Frozen *bool     `json:"frozen"`
	}
	if err := json.Unmarshal(ex.Body, &in); err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "now", Reason: "must be an RFC 3339 date-time"}
	}
	if in.Now.Before(earliest) || in.Now.After(latest) {
		return engine.Reply{}, outOfRange("now", in.Now)
	}
	a.cfg.Clock.Set(in.Now, in.Frozen == nil || *in.Frozen)
	return a.clockReply()
}

func (a *api) resetClock(ex *engine.Exchange) (engine.Reply, error) {
	a.cfg.Clock.Reset()
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
	if to, ok := a.cfg.Clock.AdvanceWithin(d, earliest, latest); !ok {
		return engine.Reply{}, outOfRange("by", to)
	}
	return a.clockReply()
}

func (a *api) getMopayVerificationCode(ex *engine.Exchange) (engine.Reply, error) {
	email := ex.PathParams["email"]
	code, expires, ok := a.cfg.MopayCode(email)
	if !ok {
		return engine.Reply{}, &notFound{"no verification code is pending for " + email}
	}
	return engine.JSON(http.StatusOK, map[string]string{"email": strings.ToLower(email), "code": code, "expiresAt": expires.UTC().Format(time.RFC3339)})
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
	var sys *System
	for i := range a.cfg.Systems {
		if a.cfg.Systems[i].Name == rule.System {
			sys = &a.cfg.Systems[i]
		}
	}
	if sys == nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "system", Reason: "no such system"}
	}
	route := sys.Checker.Route(rule.OperationID)
	if route == nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "body", Field: "operationId",
			Reason: fmt.Sprintf("%s has no such operation (have %s)", rule.System, strings.Join(sys.Checker.OperationIDs(), ", "))}
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

type notFound struct{ msg string }

func (n *notFound) Error() string { return n.msg }

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// render writes a failure in the control API's format.
func render(ex *engine.Exchange, err error) engine.Reply {
	status, body := http.StatusInternalServerError, errorBody{Code: "internal", Message: err.Error()}
	var nf *notFound
	var p *engine.Problem
	switch {
	case errors.As(err, &nf):
		status, body = http.StatusNotFound, errorBody{Code: "not_found", Message: nf.msg}
	case errors.As(err, &p):
		body = errorBody{Message: p.Describe(), Field: p.Field}
		switch p.Kind {
		case engine.NotFound:
			status, body.Code = http.StatusNotFound, "not_found"
		case engine.MethodNotAllowed:
			status, body.Code = http.StatusMethodNotAllowed, "method_not_allowed"
		case engine.Missing, engine.Invalid, engine.BodyInvalid:
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
