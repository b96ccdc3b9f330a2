package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"herald/specs"
)

// Default size limits.
const (
	DefaultMaxBodyBytes   = 64 << 10
	DefaultMaxHeaderBytes = 32 << 10
)

// Handler serves one operation. It returns the answer, or an error that the
// system's Render function turns into one (a *Problem or the system's own).
type Handler func(ex *Exchange) (Reply, error)

// Reply is an answer before it is checked and written.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON encodes v as an application/json reply.
func JSON(status int, v any) (Reply, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Reply{}, &Problem{Kind: Internal, Reason: "encoding the answer: " + err.Error()}
	}
	return Reply{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: b}, nil
}

// Exchange is one request as it passes through the engine.
type Exchange struct {
	Request *http.Request
	// Route is the matched route; nil when no operation matched.
	Route       *routers.Route
	OperationID string
	PathParams  map[string]string
	// Body is the request body, read in full (at most Config.MaxBodyBytes).
	Body []byte
	// Principal is what the system's Authenticate function established.
	Principal any

	// asked is the request's method as it came: HEAD is routed as GET.
	asked     string
	authDone  bool
	authErr   error
	authNote  string
	miss      *Miss
	handled   bool
	noted     []error
	raw       []byte
	query     url.Values
	refused   error
	violation error
}

// Operation returns the matched operation, or nil.
func (ex *Exchange) Operation() *openapi3.Operation {
	if ex.Route == nil {
		return nil
	}
	return ex.Route.Operation
}

// Explain records, for the journal, why the system's Authenticate accepted
// or refused the request: what a signature was computed over, which
// certificate was presented, what was missing. It must never hold a secret
// (a key, a signature, a password): the journal shows it to whoever reads
// the control API. The last call wins.
func (ex *Exchange) Explain(format string, args ...any) {
	ex.authNote = fmt.Sprintf(format, args...)
}

// Miss is the documented operation closest to a request that matched none,
// and what differs between them.
type Miss struct {
	OperationID string
	Method      string
	// Path is the operation's path template, as the document spells it.
	// OperationID, Method and Path are empty when no operation is closer
	// than another (a request that names no action, say).
	Path string
	// Differences say what the request would change to match it: "method
	// POST; the operation takes GET", "path case: the document spells it
	// /notifications", "path parameter id missing".
	Differences []string
}

// RawBody is the request body as it came, even where the operation takes
// none (Body is then nil): what a proxy forwards.
func (ex *Exchange) RawBody() []byte { return ex.raw }

// Query returns the request's query parameters, parsed once.
func (ex *Exchange) Query() url.Values {
	if ex.query == nil {
		ex.query = ex.Request.URL.Query()
	}
	return ex.query
}

// Config describes one simulated system.
type Config struct {
	// Name of the system, as in logs and fault rules: "mopay".
	Name string
	// Doc is the system's validated document. The engine replaces its
	// servers with "/", so serve the handler with its mount prefix stripped.
	Doc *openapi3.T
	// Handlers by operationId: exactly one per operation.
	Handlers map[string]Handler
	// Authenticate checks the request's credentials. It is called once per
	// request that has a security requirement, whatever the number of
	// schemes, and may set ex.Principal.
	Authenticate func(ex *Exchange) error
	// Render turns a failure into the system's error format.
	Render func(ex *Exchange, err error) Reply
	// ErrorSchema names the components schema that answers to requests that
	// match no operation must follow.
	ErrorSchema string
	// Rewrite, when set, may change the request before it is routed; an
	// error (a *Problem, say) refuses the request.
	Rewrite func(r *http.Request) error
	// ActionQuery names the query parameter with which a request may name
	// its operation, when Rewrite maps "/?<ActionQuery>=<action>" to the
	// path "/<action>" (Mopay's req): the closest miss then speaks of
	// actions.
	ActionQuery string
	// AuthenticateAll calls Authenticate for every operation, whatever its
	// security requirements, for schemes OpenAPI 3.0.3 cannot declare (such
	// as mutual TLS). Without it, Authenticate is also called for every
	// operation that has the extension "x-herald-authenticate: true", and for
	// those that declare a security scheme.
	AuthenticateAll bool
	// AuthenticateFirst calls Authenticate before anything else about the
	// request is looked at (its headers' size, path, method, parameters and
	// body), for credentials that come with the connection rather than the
	// request (a TLS client certificate): a caller without them learns
	// nothing else. Authenticate then runs once per request, its route not
	// yet known (ex.Route is nil).
	AuthenticateFirst bool
	// Enter, when set, is called once the request is read and before it is
	// authenticated or handled; the function it returns is called when the
	// answer is ready. Herald holds requests with it while it resets.
	Enter func() (leave func())
	// Observe, when set, sees every exchange once it is answered.
	Observe func(Observation)
	// Limits; zero means the default.
	MaxBodyBytes   int64
	MaxHeaderBytes int
	// SkipResponseValidation turns off the check of every answer against the
	// document. It is on by default: an answer that violates the document is
	// a simulator bug, logged and answered as an internal error.
	SkipResponseValidation bool
	// CheckCache is how many distinct valid answers the response check
	// remembers, so that an identical answer (same operation, status,
	// content type and bytes) is not checked twice: 0 is 4096, negative
	// turns the memory off. The check is a pure function of those inputs.
	CheckCache int
	// Compiled, when set, shares what the engine compiles from Doc (router,
	// response checker, the memory of valid answers) with every engine built
	// from the same document: a Herald compiles each document once, not once
	// per world. Nil compiles afresh.
	Compiled *Compiled
	// Faults to inject, shared with the control API; may be nil.
	Faults *Faults
	// Proxy, when set, makes the engine a validating proxy: every operation
	// is answered by Proxy.Forward, the system's own Authenticate and
	// handlers are set aside, and an answer that breaks the spec is noted,
	// never replaced.
	Proxy *Proxy
	// Logger; nil logs nothing.
	Logger *slog.Logger
}

// Observation is one exchange, as the engine's observer sees it.
type Observation struct {
	System string
	// Request as the engine saw it, after Rewrite; its body is consumed.
	Request *http.Request
	// OperationID of the matched operation; "" when none matched.
	OperationID string
	Operation   *openapi3.Operation
	// Body is the request body as the engine read it (nil when none was
	// read, or the operation takes none).
	Body  []byte
	Reply Reply
	// Auth is what the system's authentication made of the request.
	Auth Auth
	// Miss is the closest documented operation when none matched; nil
	// otherwise.
	Miss *Miss
	// Handled is true when the request passed every check and reached its
	// handler (which may still have answered with an error).
	Handled bool
	// Refused is the failure the answer renders (a *Problem, or the
	// system's own error): why the request was refused before its handler
	// ran, or the error its handler returned; nil when it answered.
	Refused error
	// Proxied is true when the engine is a proxy's (Config.Proxy): the
	// answer is then the upstream's.
	Proxied bool
	// Noted are the problems a report-only proxy found with the request
	// and let through (Config.Proxy); the first few.
	Noted []error
	// Violation is what was wrong with the answer the handler (or Render)
	// gave, which was then replaced by an internal error; nil when it
	// conformed or was not checked.
	Violation error
	Duration  time.Duration
}

// Auth is the outcome of a request's authentication.
type Auth struct {
	// Checked is true when the system's Authenticate ran.
	Checked bool
	// Err is its refusal; nil when it accepted (or did not run).
	Err error
	// Note is what it explained (Exchange.Explain); "" when nothing.
	Note string
}

// Proxy is what a validating proxy puts in the place of a system's
// handlers and authentication.
type Proxy struct {
	// Forward sends the request upstream as it came (ex.Request, whose
	// RequestURI is the request line's target, and ex.Body) and returns the
	// answer as it came; a *Problem of Kind Upstream when none came.
	Forward func(ex *Exchange) (Reply, error)
	// Enforce refuses a request that breaks the spec, in the system's own
	// format, before it is forwarded; without it the request is forwarded
	// all the same, and what it broke is noted (Observation.Noted).
	Enforce bool
	// Authenticate checks the request's credentials where the proxy can
	// (a signature whose secret it was given), explaining what it found;
	// nil checks none, and a request's authentication is then "none".
	Authenticate func(ex *Exchange) error
	// AuthenticateFirst runs Authenticate before anything else about every
	// request, as Config.AuthenticateFirst does, and makes its refusal the
	// answer whether the proxy enforces or not: for credentials without
	// which the proxy cannot forward at all (a client certificate it must
	// map to one of its own, say).
	AuthenticateFirst bool
}

// maxNoted bounds the problems a report-only proxy notes of one request.
const maxNoted = 8

// Engine is the validating handler of one system.
type Engine struct {
	cfg     Config
	router  routers.Router
	check   *specs.Checker
	reqOpts *openapi3filter.Options
	log     *slog.Logger
	valid   *answerMemo
	// unsecured holds each operation's route with its security removed,
	// for the validation that follows the security check.
	unsecured map[string]*routers.Route
	shapes    *shapes
	// ownAuth marks the operations whose every request goes through
	// Authenticate, security scheme or not.
	ownAuth map[string]bool
	// singleHeaders and singleQuery are the credential headers and query
	// parameters of the document's apiKey schemes, each allowed once.
	singleHeaders, singleQuery []string
}

type exchangeKey struct{}

// ErrUnchecked is what a proxy's Authenticate returns for credentials it
// has no way to check (a key whose secret it was not given): the request
// goes on, its authentication recorded as none, with the explanation.
var ErrUnchecked = errors.New("credentials not checked")

// New builds the handler of a system. It fails when an operation has no
// handler or a handler has no operation.
func New(cfg Config) (*Engine, error) {
	if cfg.Doc == nil || cfg.Render == nil {
		return nil, fmt.Errorf("engine %s: Doc and Render are required", cfg.Name)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	parts, err := cfg.Compiled.parts(cfg.Name, cfg.Doc, cfg.CheckCache)
	if err != nil {
		return nil, err
	}
	if p := cfg.Proxy; p != nil {
		if p.Forward == nil {
			return nil, fmt.Errorf("engine %s: a proxy needs Forward", cfg.Name)
		}
		cfg.Handlers = map[string]Handler{}
		for _, id := range parts.check.OperationIDs() {
			cfg.Handlers[id] = p.Forward
		}
		cfg.AuthenticateFirst, cfg.AuthenticateAll = p.AuthenticateFirst && p.Authenticate != nil, false
		cfg.Authenticate = p.Authenticate
		if cfg.Authenticate == nil {
			cfg.Authenticate = func(ex *Exchange) error { return ErrUnchecked }
		}
		cfg.Faults = nil
	}
	if err := coverage(cfg.Name, parts.check.OperationIDs(), cfg.Handlers); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, router: parts.router, check: parts.check, log: cfg.Logger.With("system", cfg.Name), valid: parts.valid,
		unsecured: parts.unsecured, shapes: parts.shapes, singleHeaders: parts.singleHeaders, singleQuery: parts.singleQuery}
	e.ownAuth = map[string]bool{}
	for _, id := range parts.check.OperationIDs() {
		if cfg.AuthenticateAll || parts.check.Route(id).Operation.Extensions["x-herald-authenticate"] == true {
			e.ownAuth[id] = true
		}
	}
	if (len(e.ownAuth) > 0 || cfg.AuthenticateFirst) && cfg.Authenticate == nil {
		return nil, fmt.Errorf("engine %s: operations ask for the system's own authentication, and Authenticate is nil", cfg.Name)
	}
	e.reqOpts = &openapi3filter.Options{
		AuthenticationFunc:  e.authenticate,
		SkipSettingDefaults: true,
	}
	e.reqOpts.WithCustomSchemaErrorFunc(func(se *openapi3.SchemaError) string { return se.Reason })
	return e, nil
}

// coverage checks that operations and handlers match one to one.
func coverage(name string, ops []string, handlers map[string]Handler) error {
	var problems []string
	for _, id := range ops {
		if handlers[id] == nil {
			problems = append(problems, fmt.Sprintf("operation %s has no handler", id))
		}
	}
	have := map[string]bool{}
	for _, id := range ops {
		have[id] = true
	}
	for id := range handlers {
		if !have[id] {
			problems = append(problems, fmt.Sprintf("handler %s has no operation in the spec", id))
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		return fmt.Errorf("engine %s: %s", name, strings.Join(problems, "; "))
	}
	return nil
}

// Checker returns the checker of the system's document.
func (e *Engine) Checker() *specs.Checker { return e.check }

// Name is the system's name, as in logs and fault rules.
func (e *Engine) Name() string { return e.cfg.Name }

// ServeHTTP answers one request.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.respond(w, r, e.serve) }

// Refusing is a handler that refuses every request with p, in the system's
// format and checked like every answer, after Authenticate when
// Config.AuthenticateFirst is set: for requests the core turns away before
// they reach the system (a world that does not exist, say).
func (e *Engine) Refusing(p *Problem) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.respond(w, r, func(ex *Exchange) Reply {
			if reply, refused := e.authenticateFirst(ex); refused {
				return reply
			}
			return e.fail(ex, p)
		})
	})
}

// respond serves one exchange with serve, and writes and observes the answer.
func (e *Engine) respond(w http.ResponseWriter, r *http.Request, serve func(*Exchange) Reply) {
	start := time.Now()
	ex := &Exchange{Request: r, asked: r.Method}
	head := r.Method == http.MethodHead
	if head { // HEAD is a GET without its body: net/http drops what is written
		r.Method = http.MethodGet
	}
	reply := e.safeServe(ex, serve)
	if head {
		r.Method = http.MethodHead
	}
	if e.cfg.Observe != nil {
		e.cfg.Observe(Observation{System: e.cfg.Name, Request: r, OperationID: ex.OperationID, Operation: ex.Operation(),
			Body: ex.Body, Reply: reply, Auth: Auth{Checked: ex.authDone, Err: ex.authErr, Note: ex.authNote}, Miss: ex.miss,
			Handled: ex.handled, Refused: ex.refused, Noted: ex.noted, Proxied: e.cfg.Proxy != nil, Violation: ex.violation, Duration: time.Since(start)})
	}
	for k, vs := range reply.Header {
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(reply.Body)))
	w.WriteHeader(reply.Status)
	_, _ = w.Write(reply.Body)
}

// safeServe serves the exchange, and answers a handler's panic as an
// internal error in the system's format rather than dropping the connection.
func (e *Engine) safeServe(ex *Exchange, serve func(*Exchange) Reply) (reply Reply) {
	defer func() {
		if v := recover(); v != nil {
			e.log.Error("simulator panic: simulator bug", "operation", ex.OperationID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			reply = e.cfg.Render(ex, &Problem{Kind: Internal, Reason: "the simulator failed while answering (a bug: see its log)"})
		}
	}()
	return serve(ex)
}

// authenticateFirst runs Authenticate before anything else when
// Config.AuthenticateFirst asks for it; refused is true when its refusal is
// the answer.
func (e *Engine) authenticateFirst(ex *Exchange) (reply Reply, refused bool) {
	if !e.cfg.AuthenticateFirst {
		return Reply{}, false
	}
	ex.authDone = true
	if ex.authErr = e.cfg.Authenticate(ex); ex.authErr == nil {
		return Reply{}, false
	}
	// Refused: the operation the path routes to, if any, is named for the
	// observer (and the coverage) and its answers check the refusal.
	r := ex.Request
	if e.cfg.Rewrite == nil || e.cfg.Rewrite(r) == nil {
		if route, _, err := e.router.FindRoute(r); err == nil {
			ex.Route, ex.OperationID = route, route.Operation.OperationID
		}
	}
	return e.fail(ex, ex.authErr), true
}

// LogObservation is an observer that writes one debug line per exchange,
// never the query or headers: they carry codes and keys.
func LogObservation(log *slog.Logger) func(Observation) {
	return func(o Observation) {
		ctx := o.Request.Context()
		if !log.Enabled(ctx, slog.LevelDebug) {
			return
		}
		log.LogAttrs(ctx, slog.LevelDebug, "request", slog.String("system", o.System), slog.String("method", o.Request.Method),
			slog.String("path", logPath(o.Request.URL.Path)), slog.String("operation", o.OperationID),
			slog.Int("status", o.Reply.Status), slog.Duration("took", o.Duration))
	}
}

func (e *Engine) serve(ex *Exchange) Reply {
	r := ex.Request
	if reply, refused := e.authenticateFirst(ex); refused {
		return reply
	}
	if n := headerBytes(r); n > e.cfg.MaxHeaderBytes {
		return e.fail(ex, &Problem{Kind: HeadersTooLarge, In: "header",
			Reason: fmt.Sprintf("request headers are %d bytes, more than the %d allowed", n, e.cfg.MaxHeaderBytes)})
	}
	if e.cfg.Rewrite != nil {
		if err := e.cfg.Rewrite(r); err != nil {
			return e.fail(ex, err)
		}
	}
	if r.ContentLength > e.cfg.MaxBodyBytes { // refuse at once, without waiting for the bytes
		return e.fail(ex, &Problem{Kind: BodyTooLarge, In: "body",
			Reason: fmt.Sprintf("request body is larger than the %d bytes allowed", e.cfg.MaxBodyBytes)})
	}
	var body []byte
	var err error
	if r.Body != nil && r.Body != http.NoBody {
		body, err = io.ReadAll(http.MaxBytesReader(nil, r.Body, e.cfg.MaxBodyBytes))
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return e.fail(ex, &Problem{Kind: BodyTooLarge, In: "body",
				Reason: fmt.Sprintf("request body is larger than the %d bytes allowed", e.cfg.MaxBodyBytes)})
		}
		return e.fail(ex, &Problem{Kind: BodyInvalid, In: "body", Reason: unreadBody(r, len(body), err)})
	}
	ex.Body, ex.raw = body, body
	if e.cfg.Enter != nil {
		defer e.cfg.Enter()()
	}

	route, params, err := e.router.FindRoute(r)
	if err != nil {
		ex.miss = e.shapes.closest(r.Method, ex.asked, r.URL.Path, e.cfg.ActionQuery)
		if e.cfg.Proxy != nil && !e.cfg.Proxy.Enforce { // the vendor may know more than its documents
			e.stop(ex, &Problem{Kind: NotFound, Reason: fmt.Sprintf("no documented operation at %s", r.URL.Path)})
			return e.forward(ex)
		}
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			allowed := e.allowed(r)
			reply := e.fail(ex, &Problem{Kind: MethodNotAllowed, Reason: fmt.Sprintf("method %s is not allowed here; use %s", r.Method, allowed)})
			reply.Header = reply.Header.Clone()
			if reply.Header == nil {
				reply.Header = http.Header{}
			}
			reply.Header.Set("Allow", allowed)
			return reply
		}
		return e.fail(ex, &Problem{Kind: NotFound, Reason: fmt.Sprintf("no operation at %s", r.URL.Path)})
	}
	for k, v := range params { // the router matches the escaped path
		d, err := url.PathUnescape(v)
		if err != nil || !utf8.ValidString(d) {
			ex.Route, ex.OperationID = route, route.Operation.OperationID
			p := &Problem{Kind: Invalid, In: "path", Field: k, Reason: "the value is not properly %-encoded UTF-8"}
			if e.stop(ex, p) {
				return e.fail(ex, p)
			}
			return e.forward(ex)
		}
		params[k] = d
	}
	ex.Route, ex.PathParams, ex.OperationID = route, params, route.Operation.OperationID

	op := route.Operation
	if op.RequestBody == nil { // GET bodies are ignored, whatever they hold
		body, ex.Body = nil, nil
	}
	if len(body) == 0 { // kin-openapi then has nothing to read and restore, per scheme
		r.Body, r.GetBody = http.NoBody, nil
	} else {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	in := &openapi3filter.RequestValidationInput{
		Request:     r,
		PathParams:  params,
		QueryParams: ex.Query(),
		Route:       route,
		Options:     e.reqOpts,
	}
	// kin-openapi hands this context to authenticate, which finds the exchange in it.
	ctx := context.WithValue(r.Context(), exchangeKey{}, ex)

	// A request that says two things at once cannot be authenticated or
	// answered: refuse it first. Then security, as kin-openapi orders it
	// (the system's own first, then the document's schemes), then what
	// kin-openapi does not check, then the rest of the request without the
	// security again.
	if p := e.repeated(r, op, ex.Query()); p != nil && e.stop(ex, p) {
		return e.fail(ex, p)
	}
	if e.ownAuth[ex.OperationID] && !ex.authDone {
		if err := e.authenticate(ctx, &openapi3filter.AuthenticationInput{}); err != nil && e.stop(ex, err) {
			return e.fail(ex, err)
		}
	}
	security := op.Security
	if security == nil {
		security = &e.cfg.Doc.Security
	}
	if err := openapi3filter.ValidateSecurityRequirements(ctx, in, *security); err != nil && e.stop(ex, classify(err)) {
		return e.fail(ex, classify(err))
	}
	if p := badRequestBeyondSchema(r, op, ex.Query(), body); p != nil && e.stop(ex, p) {
		return e.fail(ex, p)
	}
	in.Route = e.unsecured[ex.OperationID]
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && e.stop(ex, classify(err)) {
		return e.fail(ex, classify(err))
	}
	if status, ok := e.cfg.Faults.Take(e.cfg.Name, ex.OperationID); ok {
		return e.fail(ex, &Problem{Kind: Fault, Status: status, Reason: fmt.Sprintf("fault injected through the control API (status %d)", status)})
	}
	ex.handled = true
	reply, err := e.cfg.Handlers[ex.OperationID](ex)
	if err != nil {
		return e.fail(ex, err)
	}
	return e.checked(ex, reply)
}

// stop reports whether a problem with the request ends the exchange: it
// does, but in a report-only proxy, which notes the problem (the first
// few) and forwards the request all the same.
func (e *Engine) stop(ex *Exchange, err error) bool {
	if e.cfg.Proxy == nil || e.cfg.Proxy.Enforce {
		return true
	}
	if len(ex.noted) < maxNoted {
		ex.noted = append(ex.noted, err)
	}
	return false
}

// forward answers a request no operation matched, in a report-only proxy:
// as the upstream does.
func (e *Engine) forward(ex *Exchange) Reply {
	reply, err := e.cfg.Proxy.Forward(ex)
	if err != nil {
		return e.fail(ex, err)
	}
	return reply
}

// fail renders a failure and checks the rendering (but a proxy's own
// answer when its upstream did not answer, which no spec documents).
func (e *Engine) fail(ex *Exchange, err error) Reply {
	if ex.refused == nil {
		ex.refused = err
	}
	if p := (*Problem)(nil); e.cfg.Proxy != nil && errors.As(err, &p) && p.Kind == Upstream {
		reply := e.cfg.Render(ex, err)
		reply.Status = p.Status
		return reply
	}
	var p *Problem
	if errors.As(err, &p) && p.Kind == Internal {
		e.log.Error("simulator failure", "operation", ex.OperationID, "error", p.Reason)
	}
	return e.checked(ex, e.cfg.Render(ex, err))
}

// checked validates a reply against the document. A reply that violates it
// is replaced by an internal error naming the violation.
func (e *Engine) checked(ex *Exchange, reply Reply) Reply {
	if e.cfg.SkipResponseValidation {
		return reply
	}
	violation := e.violation(ex, reply)
	if violation == nil {
		return reply
	}
	ex.violation = violation
	if e.cfg.Proxy != nil { // the vendor's answer, noted and passed on as it came
		return reply
	}
	e.log.Error("answer violates the spec: simulator bug", "operation", ex.OperationID, "status", reply.Status, "violation", violation.Error())
	internal := e.cfg.Render(ex, &Problem{Kind: Internal, Reason: "the simulator's answer violates the spec: " + violation.Error()})
	if v := e.violation(ex, internal); v != nil {
		e.log.Error("internal error answer violates the spec too", "violation", v.Error())
	}
	return internal
}

func (e *Engine) violation(ex *Exchange, reply Reply) error {
	if ex.Route != nil {
		if reply.Status >= 300 { // errors carry fresh references: they never repeat
			return e.check.Response(ex.OperationID, reply.Status, reply.Header, reply.Body)
		}
		key := e.valid.key(ex.OperationID, reply)
		if e.valid.has(key) {
			return nil
		}
		err := e.check.Response(ex.OperationID, reply.Status, reply.Header, reply.Body)
		if err == nil {
			e.valid.add(key)
		}
		return err
	}
	if e.cfg.ErrorSchema == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal(reply.Body, &v); err != nil {
		return fmt.Errorf("answer is not JSON: %w", err)
	}
	return e.check.Schema(e.cfg.ErrorSchema, v)
}

// allowed lists the methods the document has at the request's path.
func (e *Engine) allowed(r *http.Request) string {
	var methods []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, _, err := e.router.FindRoute(probe); err == nil {
			methods = append(methods, m)
			if m == http.MethodGet {
				methods = append(methods, http.MethodHead)
			}
		}
	}
	return strings.Join(methods, ", ")
}

// authenticate adapts the system's Authenticate to kin-openapi, which calls
// it once per security scheme: the first call decides, the others repeat it.
func (e *Engine) authenticate(ctx context.Context, ai *openapi3filter.AuthenticationInput) error {
	ex, _ := ctx.Value(exchangeKey{}).(*Exchange)
	if ex == nil || e.cfg.Authenticate == nil {
		return &Problem{Kind: Internal, Reason: "no authentication for scheme " + ai.SecuritySchemeName}
	}
	if !ex.authDone {
		ex.authDone = true
		ex.authErr = e.cfg.Authenticate(ex)
		if ex.authErr == ErrUnchecked {
			ex.authDone, ex.authErr = false, nil
			if ex.authNote == "" {
				ex.Explain("not checked: the proxy was given no secret to verify this system's credentials with")
			}
			return nil
		}
	}
	return ex.authErr
}

// repeated finds a parameter, credential header or Content-Type given more
// than once: a request that says two things at once is ambiguous, whichever
// value the simulator took, so it names the first such field and refuses it.
func (e *Engine) repeated(r *http.Request, op *openapi3.Operation, query url.Values) *Problem {
	twice := func(in, name string) *Problem {
		return &Problem{Kind: Ambiguous, In: in, Field: name, Reason: "given more than once; send it once"}
	}
	for _, ref := range op.Parameters {
		p := ref.Value
		if p == nil {
			continue
		}
		switch p.In {
		case "query":
			if len(query[p.Name]) > 1 {
				return twice("query", p.Name)
			}
		case "header":
			if len(r.Header.Values(p.Name)) > 1 {
				return twice("header", p.Name)
			}
		}
	}
	for _, name := range e.singleHeaders {
		if len(r.Header.Values(name)) > 1 {
			return twice("header", name)
		}
	}
	if len(r.Header.Values("Content-Type")) > 1 { // which one does the body follow?
		return twice("header", "Content-Type")
	}
	for _, name := range e.singleQuery {
		if len(query[name]) > 1 {
			return twice("query", name)
		}
	}
	return nil
}

// unreadBody says why a body could not be read: most often it fell short of
// its Content-Length, the client stalled until the read timed out or closed
// its side.
func unreadBody(r *http.Request, got int, err error) string {
	if r.ContentLength <= 0 || int64(got) >= r.ContentLength {
		return "request body could not be read"
	}
	why := "the connection ended"
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		why = "the read timed out"
	}
	return fmt.Sprintf("the request body stopped after %d of the %d bytes its Content-Length announces (%s); send the whole body, or a Content-Length that matches it", got, r.ContentLength, why)
}

// headerBytes is the size of the request's header fields.
func headerBytes(r *http.Request) int {
	n := len(r.RequestURI)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// badRequestBeyondSchema finds what kin-openapi lets through: a declared
// query parameter whose pair in the raw query is malformed (a bad %-escape or
// a ';', which url.Values silently drops) or not UTF-8; a required query
// parameter sent empty (missing, not invalid); and a body that is compressed,
// not UTF-8, or not one JSON value (kin-openapi's decoder stops after the
// first, letting `{"a":1} junk` through). Undeclared parameters are ignored.
func badRequestBeyondSchema(r *http.Request, op *openapi3.Operation, query url.Values, body []byte) *Problem {
	declared := func(name string) *openapi3.Parameter {
		for _, ref := range op.Parameters {
			if p := ref.Value; p != nil && p.In == "query" && p.Name == name {
				return p
			}
		}
		return nil
	}
	for rest := r.URL.RawQuery; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil || declared(key) == nil {
			continue
		}
		value, err := url.QueryUnescape(rawValue)
		switch {
		case err != nil || strings.Contains(rawValue, ";"):
			return &Problem{Kind: Invalid, In: "query", Field: key, Reason: "the value is not properly %-encoded"}
		case !utf8.ValidString(value):
			return &Problem{Kind: Invalid, In: "query", Field: key, Reason: "the value is not valid UTF-8"}
		}
	}
	for _, ref := range op.Parameters {
		if p := ref.Value; p != nil && p.In == "query" && p.Required {
			if vs, ok := query[p.Name]; ok && (len(vs) == 0 || vs[0] == "") {
				return &Problem{Kind: Missing, In: "query", Field: p.Name, Reason: "the value is empty"}
			}
		}
	}
	if op.RequestBody == nil || len(body) == 0 {
		return nil
	}
	if enc := r.Header.Get("Content-Encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		return &Problem{Kind: ContentType, In: "header", Field: "Content-Encoding",
			Reason: "the body must be sent without Content-Encoding (got " + strconv.Quote(clipText(enc, 32)) + ")"}
	}
	if !utf8.Valid(body) {
		return &Problem{Kind: BodyInvalid, In: "body", Reason: "the request body is not valid UTF-8"}
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		// Unparseable: neither its type nor its charset can be trusted.
		return &Problem{Kind: ContentType, In: "header", Field: "Content-Type",
			Reason: "the media type could not be parsed (" + err.Error() + ")"}
	}
	if err != nil || !strings.EqualFold(mt, "application/json") {
		return nil // kin-openapi names the media types the operation takes
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &Problem{Kind: ContentType, In: "header", Field: "Content-Type",
			Reason: "the body must be UTF-8 (got charset " + strconv.Quote(clipText(cs, 32)) + ")"}
	}
	if !json.Valid(body) {
		why := "the body is not valid JSON"
		var v any
		var se *json.SyntaxError
		if err := json.Unmarshal(body, &v); errors.As(err, &se) {
			why = fmt.Sprintf("the body is not valid JSON: %s (at byte %d)", se.Error(), se.Offset)
		}
		return &Problem{Kind: BodyInvalid, In: "body", Reason: why}
	}
	return nil
}

// classify turns kin-openapi's request errors into a Problem, or returns the
// system's own error from its Authenticate function unchanged.
func classify(err error) error {
	var sre *openapi3filter.SecurityRequirementsError
	if errors.As(err, &sre) {
		if len(sre.Errors) > 0 {
			return sre.Errors[0]
		}
		return &Problem{Kind: Internal, Reason: err.Error()}
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return &Problem{Kind: Internal, Reason: "request validation: " + err.Error()}
	}
	if re.Parameter != nil {
		p := &Problem{Kind: Invalid, In: re.Parameter.In, Field: re.Parameter.Name, Reason: reason(re)}
		if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) || errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue) {
			p.Kind = Missing
		}
		return p
	}
	if re.RequestBody == nil {
		return &Problem{Kind: Invalid, Reason: reason(re)}
	}
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return &Problem{Kind: BodyInvalid, In: "body", Reason: "a JSON request body is required"}
	case strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
		return &Problem{Kind: ContentType, In: "header", Field: "Content-Type", Reason: "the body must be sent as application/json"}
	}
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		ptr := se.JSONPointer()
		if m := unsupported.FindStringSubmatch(se.Reason); m != nil {
			return &Problem{Kind: Invalid, In: "body", Field: firstOr(ptr, m[1]), Pointer: "/" + strings.Join(append(ptr, m[1]), "/"),
				Reason: "this property is not allowed"}
		}
		if len(ptr) == 0 {
			return &Problem{Kind: BodyInvalid, In: "body", Pointer: "/", Reason: "the body must be a JSON object: " + se.Reason}
		}
		why := se.Reason
		if strings.Contains(why, "json.Number") { // a number beyond float64, in Go's words
			why = "the number is out of range"
		}
		p := &Problem{Kind: Invalid, In: "body", Field: ptr[0], Pointer: "/" + strings.Join(ptr, "/"), Reason: why}
		if (se.SchemaField == "required" && len(ptr) == 1) || (se.Value == "" && len(ptr) == 1) {
			p.Kind = Missing
		}
		return p
	}
	return &Problem{Kind: BodyInvalid, In: "body", Reason: "the body is not valid JSON"}
}

var unsupported = regexp.MustCompile(`^property "(.*)" is unsupported$`)

func firstOr(ptr []string, alt string) string {
	if len(ptr) > 0 {
		return ptr[0]
	}
	return alt
}

func reason(re *openapi3filter.RequestError) string {
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		return se.Reason
	}
	if re.Err != nil {
		return re.Err.Error()
	}
	return re.Reason
}

// logPath is a path fit for a log: without anything after a "?" (a ?req=
// action can smuggle a query into the path), and clipped.
func logPath(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return clipText(p, 128)
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
