package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"herald/simulator/clock"
	"herald/simulator/console"
	"herald/simulator/control"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/journal"
	"herald/simulator/schedule"
	"herald/simulator/system"
	"herald/specs"
)

// Defaults.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultAnswerBytes = 8 << 20
)

// Upstream is where one system's requests go.
type Upstream struct {
	// BaseURL ends in "/": "https://service.mopay-ng.com/".
	BaseURL string
	// Client sends the requests (its TLS configuration, say); nil is a
	// client of its own.
	Client *http.Client
	// MutualTLS, for a system served on a listener of its own (MNotify),
	// is how the proxy terminates and re-originates its mutual TLS; it is
	// required for such a system, and Client is then unused.
	MutualTLS *MutualTLS
}

// Options configure a Proxy.
type Options struct {
	// Systems to proxy, with where each goes; a registered system without
	// an upstream is not served.
	Upstreams map[string]Upstream
	// Definitions of the systems (simulator.Registered()).
	Definitions []system.Definition
	// Enforce refuses a request that breaks the spec, in the system's own
	// format, before it reaches the upstream.
	Enforce bool
	// Timeout bounds each upstream exchange (0: DefaultTimeout); an upstream
	// that does not answer in time gets the client a 504, one that cannot
	// be reached a 502, in the system's own format.
	Timeout time.Duration
	// AnswerBytes bounds an upstream answer (0: DefaultAnswerBytes).
	AnswerBytes int64
	// Journal keeps the exchanges; nil keeps none.
	Journal *journal.Journal
	// Secrets check credentials where the target gives them.
	Secrets Secrets
	// ControlToken, when set, is the bearer token the journal's routes ask for.
	ControlToken string
	// Record, when set, saves each distinct answer that followed the spec
	// as an example payload (--record).
	Record  *Recorder
	Version string
	Logger  *slog.Logger
}

// Proxy is the validating proxy: one handler for its main listener.
type Proxy struct {
	opts     Options
	systems  map[string]http.Handler
	names    []string
	control  http.Handler
	stream   http.Handler
	upstream map[string]Upstream
	drift    *Drift
	own      []Listener
	console  http.Handler
}

// Drift is the drift report so far: every rule either side broke.
func (p *Proxy) Drift() Report { return p.drift.Report() }

// New builds the proxy of every system given an upstream.
func New(opts Options) (*Proxy, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.AnswerBytes <= 0 {
		opts.AnswerBytes = DefaultAnswerBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Journal == nil {
		return nil, errors.New("a proxy needs a journal: its verdicts and drift report come from it")
	}
	p := &Proxy{opts: opts, systems: map[string]http.Handler{}, upstream: map[string]Upstream{}, drift: NewDrift(), console: console.Handler()}
	compiled := engine.NewCompiled()
	clk := clock.NewControlled(nil)
	var infos []system.Info
	built := map[string]system.System{}
	for _, def := range opts.Definitions {
		doc, err := def.Spec()
		if err != nil {
			return nil, err
		}
		name, err := system.NameOf(doc)
		if err != nil {
			return nil, err
		}
		up, ok := opts.Upstreams[name]
		if !ok {
			continue
		}
		u, err := url.Parse(up.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s: upstream %q is not an http:// or https:// URL", name, up.BaseURL)
		}
		if !strings.HasSuffix(up.BaseURL, "/") {
			up.BaseURL += "/"
		}
		up.Client = pooled(up.Client)
		settings, err := system.Resolve(name, def.Settings, nil)
		if err != nil {
			return nil, err
		}
		fwd := &forwarder{name: name, up: up, timeout: opts.Timeout, limit: opts.AnswerBytes}
		prx := &engine.Proxy{Forward: fwd.forward, Enforce: opts.Enforce}
		switch name { // the systems whose credentials a proxy can check
		case "mopay":
			keys := &mopayKeys{keys: map[string]string{}}
			keys.add(opts.Secrets.MopayKey, opts.Secrets.MopaySecret)
			prx.Authenticate, fwd.learn = keys.authenticate, keys.learn
		case "monnet":
			prx.Authenticate = monnetAuth{key: opts.Secrets.MonnetAPIKey, secret: opts.Secrets.MonnetAPISecret}.authenticate
		}
		if up.MutualTLS != nil {
			g, err := newGate(name, up.MutualTLS)
			if err != nil {
				return nil, err
			}
			prx.Authenticate, prx.AuthenticateFirst, fwd.pick = g.authenticate, true, g.client
		}
		obs := func(o engine.Observation) {
			if e := opts.Journal.Record("", time.Now(), o); e != nil {
				p.drift.Add(e)
				opts.Record.Save(e, o)
			}
		}
		env := system.Env{Name: name, Doc: doc, Clock: clk, Scheduler: schedule.New(clk), Random: entropy.New(0).Derive(name),
			Logger: opts.Logger.With("system", name), Settings: settings, Shared: system.NewShared(),
			Engine: system.EngineDefaults{Name: name, Logger: opts.Logger, Observe: obs, Compiled: compiled,
				Proxy: prx}}
		sys, err := def.New(env)
		if err != nil {
			return nil, fmt.Errorf("system %s: %w", name, err)
		}
		built[name] = sys
		if own, ok := sys.(system.Listener); ok || up.MutualTLS != nil {
			if !ok || up.MutualTLS == nil {
				return nil, fmt.Errorf("%s: a system is proxied with MutualTLS exactly when it has a listener of its own", name)
			}
			l, err := ownListener(name, own.Listener(), up.MutualTLS, sys.Handler())
			if err != nil {
				return nil, err
			}
			p.own = append(p.own, l)
			p.upstream[name] = up
			infos = append(infos, system.Info{Name: name, Listener: name, BasePath: "/"})
			continue
		}
		p.systems[name] = sys.Handler()
		p.upstream[name] = up
		p.names = append(p.names, name)
		infos = append(infos, system.Info{Name: name, Listener: "http", BasePath: "/" + name + "/"})
	}
	if len(p.names) == 0 && len(p.own) == 0 {
		return nil, errors.New("no system to proxy: give at least one upstream")
	}
	sort.Strings(p.names)
	systems := func() []system.Info { return infos }
	checker := func(name string) *specs.Checker {
		if s := built[name]; s != nil {
			return s.Checker()
		}
		return nil
	}
	ctl, err := control.New(control.Config{Version: opts.Version, Clock: clk, Scheduler: schedule.New(clk), Faults: &engine.Faults{},
		Systems: systems, Checker: checker, Reset: func() error { opts.Journal.Clear(""); return nil }, Coverage: nil,
		Logger: opts.Logger, Compiled: compiled, Journal: opts.Journal, Mode: "proxy"})
	if err != nil {
		return nil, err
	}
	p.control = ctl
	p.stream = control.ServeStream(opts.Journal, "", 0, systems, checker)
	return p, nil
}

// Systems names the systems proxied on the main listener (Listeners has
// the others).
func (p *Proxy) Systems() []string { return append([]string(nil), p.names...) }

// Upstream is where a system's requests go.
func (p *Proxy) Upstream(name string) string { return p.upstream[name].BaseURL }

// journalRoutes are the control routes a proxy serves: its journal, and
// enough to say what it is.
func journalRoute(rest string) bool {
	switch {
	case rest == "v1/journal", strings.HasPrefix(rest, "v1/journal/"), rest == "v1/health", rest == "v1/info":
		return true
	}
	return false
}

// ServeHTTP serves the main listener: each system under /<name>/, and the
// journal's control routes under /_herald/v1/.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, console.Path) || r.URL.Path == strings.TrimSuffix(console.Path, "/") {
		p.console.ServeHTTP(w, r)
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/_herald/"); ok {
		p.serveControl(w, r, rest)
		return
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	h := p.systems[strings.ToLower(seg)]
	if h == nil {
		writeReply(w, control.Render(&engine.Exchange{Request: r}, control.NotFound("herald proxy serves %s, each under /<name>/, and its journal under /_herald/v1/journal", strings.Join(p.names, ", "))))
		return
	}
	// The system sees its own paths; the upstream gets the request line's
	// target without the prefix (forward).
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.Path = strings.TrimPrefix(r.URL.Path, "/"+seg)
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawPath = ""
	r2.URL = &u
	h.ServeHTTP(w, r2.WithContext(context.WithValue(r.Context(), mountKey{}, "/"+seg)))
}

// mountKey finds, in a request's context, the prefix under which the proxy
// serves its system ("/mopay"): the upstream gets the request line's target
// without it, the journal with it.
type mountKey struct{}

func (p *Proxy) serveControl(w http.ResponseWriter, r *http.Request, rest string) {
	if rest != "v1/health" && !p.allowed(r) {
		reply := control.Render(&engine.Exchange{Request: r}, control.Unauthorized("the journal needs the header Authorization: Bearer <token> (herald proxy printed it, or took it from --control-token or HERALD_CONTROL_TOKEN)"))
		reply.Header.Set("WWW-Authenticate", `Bearer realm="herald control"`)
		writeReply(w, reply)
		return
	}
	switch {
	case "/_herald/"+rest == control.StreamPath:
		p.stream.ServeHTTP(w, r)
	case journalRoute(rest):
		p.control.ServeHTTP(w, r)
	default:
		writeReply(w, control.Render(&engine.Exchange{Request: r}, control.NotFound("herald proxy serves only its journal's routes under /_herald/v1/ (journal, journal/count, journal/har, journal/stream, info, health)")))
	}
}

func (p *Proxy) allowed(r *http.Request) bool {
	return control.BearerAllowed(r, p.opts.ControlToken)
}

func writeReply(w http.ResponseWriter, reply engine.Reply) {
	for k, vs := range reply.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(reply.Status)
	_, _ = w.Write(reply.Body)
}

// hopByHop are the headers of one connection, never forwarded (RFC 9110
// §7.6.1).
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// forwarder sends one system's requests upstream.
type forwarder struct {
	name    string
	up      Upstream
	timeout time.Duration
	limit   int64
	// learn, when set, sees each answer (a Mopay login's issued key).
	learn func(*engine.Exchange, engine.Reply)
	// pick, when set, is the client of the exchange's role (MutualTLS);
	// nil from it forwards nothing.
	pick func(ex *engine.Exchange) *http.Client
}

func (f *forwarder) forward(ex *engine.Exchange) (engine.Reply, error) {
	r := ex.Request
	mount, _ := r.Context().Value(mountKey{}).(string)
	target := strings.TrimPrefix(strings.TrimPrefix(r.RequestURI, mount), "/")
	ctx, cancel := context.WithTimeout(r.Context(), f.timeout)
	defer cancel()
	var body io.Reader = http.NoBody
	if raw := ex.RawBody(); len(raw) > 0 {
		body = strings.NewReader(string(raw))
	}
	method := r.Method
	req, err := http.NewRequestWithContext(ctx, method, f.up.BaseURL+target, body)
	if err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Upstream, Status: http.StatusBadGateway, Reason: "the request could not be forwarded: " + err.Error()}
	}
	req.Header = r.Header.Clone()
	for _, h := range hopByHop {
		req.Header.Del(h)
	}
	req.ContentLength = int64(len(ex.RawBody()))
	client := f.up.Client
	if f.pick != nil {
		if client = f.pick(ex); client == nil { // authenticate refuses it first: never forward without a role
			return engine.Reply{}, refuse(http.StatusForbidden, "the request has no role to be forwarded as")
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || ctx.Err() != nil {
			return engine.Reply{}, &engine.Problem{Kind: engine.Upstream, Status: http.StatusGatewayTimeout,
				Reason: fmt.Sprintf("%s did not answer within %s (--upstream-timeout)", f.name, f.timeout)}
		}
		return engine.Reply{}, &engine.Problem{Kind: engine.Upstream, Status: http.StatusBadGateway,
			Reason: fmt.Sprintf("%s could not be reached: %s", f.name, redactErr(err, f.up.BaseURL))}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, f.limit+1))
	if err != nil {
		return engine.Reply{}, &engine.Problem{Kind: engine.Upstream, Status: http.StatusBadGateway, Reason: fmt.Sprintf("%s's answer could not be read: %v", f.name, err)}
	}
	if int64(len(b)) > f.limit {
		return engine.Reply{}, &engine.Problem{Kind: engine.Upstream, Status: http.StatusBadGateway, Reason: fmt.Sprintf("%s's answer is larger than the %d bytes the proxy takes", f.name, f.limit)}
	}
	h := resp.Header.Clone()
	for _, k := range hopByHop {
		h.Del(k)
	}
	h.Del("Content-Length")
	reply := engine.Reply{Status: resp.StatusCode, Header: h, Body: b}
	if f.learn != nil {
		f.learn(ex, reply)
	}
	return reply, nil
}

// redactErr keeps a transport error's text without the query of the URL it
// names (a signature may be there).
func redactErr(err error, base string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + " " + base + "…: " + ue.Err.Error()
	}
	return err.Error()
}

// pooled returns c (nil: a new client) with a transport that keeps enough
// idle connections to the upstream for a proxy's concurrency: net/http's
// default keeps 2 per host, so that most requests would open a connection.
func pooled(c *http.Client) *http.Client {
	out := &http.Client{}
	if c != nil {
		*out = *c
	}
	var t *http.Transport
	switch base := out.Transport.(type) {
	case nil:
		t = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		t = base.Clone()
	default:
		return out // a transport of the caller's: left as it is
	}
	t.MaxIdleConns, t.MaxIdleConnsPerHost = 1024, 256
	// The bytes as they come: no Accept-Encoding of net/http's own, and no
	// answer decompressed on the way; a redirect is the client's to follow.
	t.DisableCompression = true
	out.Transport = t
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	out.Timeout = 0 // the proxy's own timeout bounds each exchange
	return out
}
