// Command herald serves simulators of third-party notification APIs and runs
// the conformance suite against them or against a real deployment.
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"herald/simulator"
	"herald/simulator/entropy"
	"herald/simulator/journal"
	"herald/specs"
	"herald/steps"
	"herald/steps/mnotify"
	"herald/steps/monnet"
	"herald/steps/mopay"
	"herald/steps/suite"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `Herald simulates third-party notification APIs from their OpenAPI specs, and
runs a Gherkin conformance suite against a simulator or a real deployment.

Usage:
  herald test  [flags]   run the conformance suite (default target: an in-process simulator)
  herald serve [flags]   serve the simulators over HTTP
  herald proxy --target FILE [flags]
                         a validating proxy in front of a real deployment, with a drift report
  herald spec NAME       print an embedded OpenAPI spec ("herald spec -h" lists them)
  herald health [flags]  exit 0 when a Herald answers at its control API (a container's health check)
  herald monnet verify|check-receiver [flags]
                         check a Monnet notification's signature, or test a merchant's receiver
                         ("herald monnet verify -h", "herald monnet check-receiver -h")
  herald version         print the version

Run "herald test -h" or "herald serve -h" for their flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command, with its exit status: 0 success, 1 failure, 2 usage.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "test":
		return runTest(args[1:], stdout, stderr)
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "proxy":
		return runProxy(args[1:], stdout, stderr)
	case "spec":
		return runSpec(args[1:], stdout, stderr)
	case "monnet":
		return runMonnet(args[1:], os.Stdin, stdout, stderr)
	case "health":
		return runHealth(args[1:], stdout, stderr)
	case "version", "--version":
		if len(args) == 2 && (args[1] == "-h" || args[1] == "-help" || args[1] == "--help") {
			fmt.Fprintln(stdout, "Usage: herald version\n\nPrints Herald's version.")
			return 0
		}
		if len(args) > 1 {
			fmt.Fprintf(stderr, "herald version: unexpected argument %q\n", args[1])
			return 2
		}
		fmt.Fprintln(stdout, "herald", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "herald: unknown command %q (test, serve, proxy, spec, health, monnet, version)\nrun 'herald -h' for help\n", args[0])
		return 2
	}
}

func runSpec(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprintf(stdout, "Usage: herald spec NAME\n\nPrints an embedded OpenAPI spec: %s.\n", strings.Join(specs.Names(), ", "))
		return 0
	}
	if len(args) != 1 {
		if len(args) > 1 {
			fmt.Fprintf(stderr, "herald spec: unexpected argument %q\n", args[1])
		}
		fmt.Fprintf(stderr, "usage: herald spec NAME (one of: %s)\n", strings.Join(specs.Names(), ", "))
		return 2
	}
	src, err := specs.Source(args[0])
	if err != nil {
		fmt.Fprintln(stderr, "herald:", err)
		return 2
	}
	_, _ = stdout.Write(src)
	return 0
}

// seedFlag is a uint64 flag whose default is a fresh random seed.
// gateFlag collects --min-coverage and --min-scenarios: PERCENT for every
// system, or SYSTEM=PERCENT, repeated.
type gateFlag map[string]float64

func (g gateFlag) String() string { return "" }
func (g gateFlag) Set(v string) error {
	sys, pct, per := strings.Cut(v, "=")
	if !per {
		sys, pct = "", v
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(pct), "%"), 64)
	if err != nil || f < 0 || f > 100 || (per && strings.TrimSpace(sys) == "") {
		return fmt.Errorf("%q: want a percentage from 0 to 100, for every system, or SYSTEM=PERCENT (mopay=60)", v)
	}
	sys = strings.TrimSpace(sys)
	if _, dup := g[sys]; dup {
		if sys == "" {
			return fmt.Errorf("%q: a percentage for every system is given twice", v)
		}
		return fmt.Errorf("%q: %s is given twice", v, sys)
	}
	g[sys] = f
	return nil
}

type seedFlag struct {
	value uint64
	set   bool
}

func (s *seedFlag) String() string { return strconv.FormatUint(s.value, 10) }
func (s *seedFlag) Set(v string) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > entropy.MaxSeed {
		return fmt.Errorf("want an integer from 0 to %d", uint64(entropy.MaxSeed))
	}
	s.value, s.set = n, true
	return nil
}

func (s *seedFlag) get() uint64 {
	if !s.set {
		s.value, s.set = entropy.RandomSeed(), true
	}
	return s.value
}

// boolFlag is a boolean flag that takes true or false only, as every
// boolean Herald reads does (steps.BoolParam): --flag alone is true.
type boolFlag struct {
	value, set bool
}

func (b *boolFlag) IsBoolFlag() bool { return true }
func (b *boolFlag) String() string {
	if b == nil {
		return "false"
	}
	return strconv.FormatBool(b.value)
}
func (b *boolFlag) Set(v string) error {
	if v == "" { // an empty environment variable: not given
		return nil
	}
	val, err := steps.BoolParam(v)
	if err != nil {
		return errors.New("want true or false")
	}
	b.value, b.set = val, true
	return nil
}

// listenFlag collects --listen values: "ADDR" for the main listener,
// "NAME=ADDR" for a system's own.
type listenFlag map[string]string

func (l listenFlag) String() string { return "" }
func (l listenFlag) Set(v string) error {
	name, addr, named := strings.Cut(v, "=")
	if !named {
		name, addr = simulator.MainListener, v
	}
	if addr == "" {
		return fmt.Errorf("%q: empty address", v)
	}
	if _, dup := l[name]; dup {
		return fmt.Errorf("listener %s given twice", name)
	}
	l[name] = addr
	return nil
}

// settingFlags declares a flag --<system>-<setting> for every setting of
// every registered system, and returns the values given, keyed
// "<system>.<setting>".
func settingFlags(fs *flag.FlagSet) (func() map[string]string, error) {
	given := map[string]*string{}
	declared, err := simulator.DescribeSettings(simulator.Registered())
	if err != nil {
		return nil, err
	}
	for _, d := range declared {
		given[d.Key] = fs.String(d.Flag, d.Default, d.Usage)
	}
	return func() map[string]string {
		out := map[string]string{}
		fs.Visit(func(f *flag.Flag) {
			for _, d := range declared {
				if d.Flag == f.Name {
					out[d.Key] = *given[d.Key]
				}
			}
		})
		return out
	}, nil
}

func runHealth(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald health", flag.ContinueOnError)
	target := fs.String("url", "http://127.0.0.1:8080", "base `URL` of the Herald to ask")
	token := fs.String("control-token", os.Getenv("HERALD_CONTROL_TOKEN"), "bearer `token` of its control API (env HERALD_CONTROL_TOKEN)")
	help := "Usage: herald health [flags]\n\nExits 0 when a Herald answers at --url, 1 otherwise: the container image's\nhealth check. Without a token it asks the one control route that needs none\n(GET /_herald/v1/health); with one, it reads the Herald's info, which proves\nthe token too.\n\nFlags:\n"
	if status, done := parseFlags(fs, help, args, stdout, stderr); done {
		return status
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if *token == "" {
		if err := alive(ctx, *target); err != nil {
			fmt.Fprintln(stderr, "herald health:", err)
			return 1
		}
		fmt.Fprintln(stdout, "herald health: ok")
		return 0
	}
	if _, err := steps.Discover(ctx, *target, *token, nil, nil); err != nil {
		fmt.Fprintln(stderr, "herald health:", err)
		return 1
	}
	fmt.Fprintln(stdout, "herald health: ok")
	return 0
}

// alive asks a Herald's liveness probe, which needs no token.
func alive(ctx context.Context, base string) error {
	url := strings.TrimSuffix(base, "/") + "/_herald/v1/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("--url %s: %w", base, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("no Herald answers at %s: %w", base, err)
	}
	defer resp.Body.Close()
	var body struct{ Status, Name string }
	err = json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&body)
	if resp.StatusCode != http.StatusOK || err != nil || body.Name != "herald" || body.Status != "ok" {
		return fmt.Errorf("GET %s answered %s, not a Herald's {\"status\":\"ok\",\"name\":\"herald\"}", url, resp.Status)
	}
	return nil
}

// beyondLoopback reports whether a listener would accept connections from
// other hosts: its address is not a loopback one (the default is).
func beyondLoopback(listen listenFlag) bool {
	for _, addr := range listen {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return true
		}
		if host == "localhost" {
			continue
		}
		ip := net.ParseIP(host)
		if ip == nil || !ip.IsLoopback() {
			return true
		}
	}
	return false
}

// Bounds of the journal's flags: at most about 2 GiB of bodies.
const (
	maxJournalSize = 100000
	maxJournalBody = 1 << 20
)

// newToken makes up a control token.
func newToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald serve", flag.ContinueOnError)
	listen := listenFlag{}
	host := fs.String("host", "", "`host` for every listener whose address --listen does not give, keeping its default port (0.0.0.0 serves on all interfaces, as the container image does)")
	fs.Var(listen, "listen", "`address` of the main listener (default "+simulator.DefaultAddr+"), or NAME=ADDRESS for a system served on a listener of its own; repeat for each; port 0 picks a free port, and port 0 for the main listener does so for every listener not given")
	var seed seedFlag
	fs.Var(&seed, "seed", "random `seed` for keys, codes and references (default: a fresh one, printed at start)")
	noCheck := fs.Bool("no-response-validation", false, "do not check the simulator's own answers against the specs")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	grace := fs.Duration("shutdown-grace", 10*time.Second, "on SIGINT or SIGTERM, how long to wait for requests and Monnet delivery attempts in flight before cutting off what is left")
	maxWorlds := fs.Int("max-worlds", simulator.DefaultMaxWorlds, "how many isolated worlds (POST /_herald/v1/worlds) may exist at once")
	worldIdle := fs.Duration("world-idle", simulator.DefaultWorldIdle, "how long an isolated world may go unused before it is deleted")
	journalSize := fs.Int("journal-size", journal.DefaultSize, "how many `exchanges` the journal (GET /_herald/v1/journal, the console) keeps, every world's together, oldest dropped first; 0 turns it off, at most 100000")
	journalBody := fs.Int("journal-body-bytes", journal.DefaultBodyBytes, "how many `bytes` of each request and answer body the journal keeps (the rest is cut, and marked so), at most 1048576")
	token := fs.String("control-token", "", "bearer `token` the control API asks for (env HERALD_CONTROL_TOKEN); made up and printed when Herald listens beyond loopback without one")
	public := publicFlag{}
	fs.Var(public, "public-url", "`URL` clients reach the main listener at, or NAME=URL for a system's own listener, when it is not the address bound (a container's published port: http://127.0.0.1:49000, mnotify=https://127.0.0.1:49001); reported by /_herald/v1/info, new worlds and this banner; repeat for each")
	settings, err := settingFlags(fs)
	if err != nil {
		fmt.Fprintln(stderr, "herald serve:", err)
		return 1
	}
	help := "Usage: herald serve [flags]\n\nServes every simulated system under its base path (or on a listener of its\nown), the control API under /_herald/v1/ and the web console at\n/_herald/ui/, and prints each system's base URL. On SIGINT or SIGTERM it\nstops accepting requests, waits for those in flight (--shutdown-grace),\ncloses what is left and exits 0.\n\nFlags:\n"
	if status, done := parseFlags(fs, help, args, stdout, stderr); done {
		return status
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "herald serve: --log-level %q: want debug, info, warn or error\n", *logLevel)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if *token == "" {
		*token = os.Getenv("HERALD_CONTROL_TOKEN")
	}
	madeUp := false
	if *host != "" {
		listen["--host"] = net.JoinHostPort(*host, "0") // counts for beyondLoopback
	}
	if *token == "" && beyondLoopback(listen) {
		*token, madeUp = newToken(), true
	}
	if *maxWorlds < 1 || *worldIdle <= 0 {
		fmt.Fprintln(stderr, "herald serve: --max-worlds and --world-idle must be positive")
		return 2
	}
	if *journalSize < 0 || *journalSize > maxJournalSize {
		fmt.Fprintf(stderr, "herald serve: --journal-size %d: want 0 (no journal) to %d exchanges\n", *journalSize, maxJournalSize)
		return 2
	}
	if *journalBody < 1 || *journalBody > maxJournalBody {
		fmt.Fprintf(stderr, "herald serve: --journal-body-bytes %d: want 1 to %d\n", *journalBody, maxJournalBody)
		return 2
	}
	if *journalSize == 0 {
		*journalSize = -1 // off
	}
	h, err := simulator.New(simulator.Options{Seed: seed.get(), Version: version, SkipResponseValidation: *noCheck,
		Settings: settings(), Logger: logger, MaxWorlds: *maxWorlds, WorldIdle: *worldIdle, ControlToken: *token,
		JournalSize: *journalSize, JournalBodyBytes: *journalBody})
	if err != nil {
		fmt.Fprintln(stderr, "herald serve:", err)
		return 2
	}
	defer h.Close()
	delete(listen, "--host")
	listeners := h.Listeners()
	known := map[string]bool{}
	var names []string
	for _, l := range listeners {
		known[l.Name] = true
		names = append(names, l.Name)
	}
	for _, given := range []struct {
		flag  string
		names map[string]string
	}{{"--listen", listen}, {"--public-url", public}} {
		for name := range given.names {
			if !known[name] {
				fmt.Fprintf(stderr, "herald serve: %s %s=…: no such listener (have %s)\n", given.flag, name, strings.Join(names, ", "))
				return 2
			}
		}
	}
	// Port 0 for the main listener picks a free port for every listener
	// whose address is not given: none falls back to its fixed default
	// (8443), which something else may hold.
	anyPort := false
	if addr := listen[simulator.MainListener]; addr != "" {
		if _, port, err := net.SplitHostPort(addr); err == nil && port == "0" {
			anyPort = true
		}
	}
	// Signals are caught before anything is bound or printed: a SIGTERM
	// right after the banner shuts down gracefully, never kills.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	type bound struct {
		srv *http.Server
		ln  net.Listener
	}
	var servers []bound
	for _, l := range listeners {
		addr := listen[l.Name]
		if addr == "" {
			defHost, port, _ := net.SplitHostPort(l.DefaultAddr)
			if anyPort {
				port = "0"
				if mainHost, _, err := net.SplitHostPort(listen[simulator.MainListener]); err == nil {
					defHost = mainHost
				}
			}
			if *host != "" {
				defHost = *host
			}
			addr = net.JoinHostPort(defHost, port)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			hint := fmt.Sprintf(" (choose another with --listen %s=ADDRESS; port 0 picks a free one)", l.Name)
			if l.Name == simulator.MainListener {
				hint = " (choose another with --listen ADDRESS; port 0 picks a free one)"
			}
			fmt.Fprintf(stderr, "herald serve: listener %s: %v%s\n", l.Name, err, hint)
			for _, b := range servers {
				b.ln.Close()
			}
			return 1
		}
		scheme := "http"
		srv := newServer(l.Handler, readTimeout, logger)
		srv.RegisterOnShutdown(h.EndTails)
		if l.TLS != nil {
			scheme = "https"
			srv.TLSConfig = l.TLS
			ln = tls.NewListener(ln, l.TLS)
		}
		base := scheme + "://" + ln.Addr().String()
		if p := public[l.Name]; p != "" {
			base = p
		}
		h.SetBaseURL(l.Name, base)
		servers = append(servers, bound{srv, ln})
	}
	main := h.BaseURL(simulator.MainListener)
	boundAt := func(name string) string {
		if public[name] == "" {
			return ""
		}
		for i, l := range listeners {
			if l.Name == name {
				return " (bound to " + servers[i].ln.Addr().String() + ")"
			}
		}
		return ""
	}
	fmt.Fprintf(stdout, "herald %s serving on %s (seed %d)%s\n", version, main, seed.get(), boundAt(simulator.MainListener))
	for _, s := range h.Systems() {
		fmt.Fprintf(stdout, "  %-8s %s%s\n", s.Name, s.BaseURL, boundAt(s.Listener))
	}
	fmt.Fprintf(stdout, "  %-8s %s/_herald/v1/\n", "control", main)
	fmt.Fprintf(stdout, "  %-8s %s/_herald/ui/\n", "console", main)
	if note := h.AddressNote(); note != "" {
		fmt.Fprintf(stdout, "  note: %s\n", note)
	}
	switch {
	case madeUp:
		fmt.Fprintf(stdout, "  the control API asks for Authorization: Bearer %s (set --control-token or HERALD_CONTROL_TOKEN to choose it)\n", *token)
	case *token != "":
		fmt.Fprintln(stdout, "  the control API asks for the bearer token given")
	}

	if err := h.Start(ctx); err != nil {
		fmt.Fprintln(stderr, "herald serve:", err)
		return 1
	}
	errc := make(chan error, len(servers))
	for _, b := range servers {
		go func() { errc <- b.srv.Serve(b.ln) }()
	}
	select {
	case err := <-errc:
		fmt.Fprintln(stderr, "herald serve:", err)
		for _, b := range servers {
			b.srv.Close()
		}
		return 1
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "herald: shutting down")
	graceCtx, cancel := context.WithTimeout(context.Background(), *grace)
	defer cancel()
	for _, b := range servers {
		if err := b.srv.Shutdown(graceCtx); err != nil {
			// A client stalled mid-request: its time is up.
			fmt.Fprintf(stdout, "herald: closing connections still open after %s\n", *grace)
			b.srv.Close()
		}
	}
	// Background work gets what is left of the grace period: a
	// notification attempt still waiting for its receiver is then cut off.
	if err := h.Shutdown(graceCtx); err != nil {
		fmt.Fprintln(stderr, "herald serve:", err)
		return 1
	}
	return 0
}

// serveInProcess serves every listener of h on a free loopback port, and
// returns what closes them.
func serveInProcess(h *simulator.Herald, logger *slog.Logger) (func(), error) {
	var servers []*http.Server
	closeAll := func() {
		for _, srv := range servers {
			srv.Close()
		}
	}
	for _, l := range h.Listeners() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return closeAll, err
		}
		scheme := "http"
		if l.TLS != nil {
			scheme, ln = "https", tls.NewListener(ln, l.TLS)
		}
		srv := newServer(l.Handler, readTimeout, logger)
		srv.RegisterOnShutdown(h.EndTails)
		servers = append(servers, srv)
		h.SetBaseURL(l.Name, scheme+"://"+ln.Addr().String())
		go func() { _ = srv.Serve(ln) }()
	}
	return closeAll, nil
}

// serverLog writes net/http's error lines (log.Logger) to a slog logger.
type serverLog struct{ logger *slog.Logger }

func (s serverLog) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	level := slog.LevelWarn
	if strings.Contains(line, "TLS handshake error") && strings.HasSuffix(line, "EOF") {
		level = slog.LevelDebug
	}
	s.logger.Log(context.Background(), level, "http server", "error", line)
	return len(p), nil
}

// readTimeout bounds the reading of one request, body included.
const readTimeout = 30 * time.Second

// newServer wraps a handler in a server with timeouts, so that a slow or
// stuck client cannot hold a connection forever. The write deadline falls
// after the read deadline: a body that stalls short of its Content-Length
// is answered (400) when the read times out, and that answer must go out
// whole; written past the write deadline, it would be cut mid-record, and
// a TLS client would read a record it cannot decrypt.
//
// Its own error lines go through logger, in the format of every other line:
// a TLS handshake ended by EOF (a port probe, a health check, a client that
// gave up) at debug level, the rest as warnings.
func newServer(h http.Handler, read time.Duration, logger *slog.Logger) *http.Server {
	return &http.Server{
		ErrorLog:          log.New(serverLog{logger}, "", 0),
		Handler:           h,
		ReadHeaderTimeout: min(10*time.Second, read),
		ReadTimeout:       read,
		WriteTimeout:      2 * read,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20, // the simulators answer past 32 KiB in their own format
	}
}

func runTest(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald test", flag.ContinueOnError)
	target := fs.String("target", "in-process", "`where` to run: in-process (a simulator started inside this command), the base URL of a running Herald such as http://127.0.0.1:8080, or a target file (YAML; see the README)")
	sets := setFlag{}
	fs.Var(sets, "set", "`KEY=VALUE` for a key of the target file, such as systems.mopay.params.email=qa@example.com; repeat for each")
	mopayURL := fs.String("mopay-url", os.Getenv("HERALD_MOPAY_URL"), "base `URL` of a real Mopay deployment, such as https://service.mopay-ng.com/; overrides --target (env HERALD_MOPAY_URL)")
	var reqForm boolFlag
	fs.Var(&reqForm, "mopay-req-form", "address Mopay actions as /?req=<action> rather than /<action> (env HERALD_MOPAY_REQ_FORM=true; true or false)")
	email := fs.String("mopay-email", os.Getenv("HERALD_MOPAY_EMAIL"), "`email` of a Mopay account with notices, which the scenarios sign in to on a real deployment; signing in is not mutating (env HERALD_MOPAY_EMAIL)")
	password := fs.String("mopay-password", "", "password of that account (better: env HERALD_MOPAY_PASSWORD, which stays out of the process list)")
	mopayKey := fs.String("mopay-key", os.Getenv("HERALD_MOPAY_KEY"), "instead of an email and password, a `pbcKey` Mopay issued to that account, which the scenarios sign with; its secret goes in the env HERALD_MOPAY_SECRET (env HERALD_MOPAY_KEY)")
	mopaySecret := fs.String("mopay-secret", "", "the secret of that key (better: env HERALD_MOPAY_SECRET, which stays out of the process list)")
	mopayUserID := fs.String("mopay-userid", os.Getenv("HERALD_MOPAY_USERID"), "the account's user `id`, when its login answer carries none (env HERALD_MOPAY_USERID)")
	mnotifyURL := fs.String("mnotify-url", os.Getenv("HERALD_MNOTIFY_URL"), "base `URL` of a real MNotify deployment, such as https://mnotify.staging.egov.md:8443/; overrides --target (env HERALD_MNOTIFY_URL)")
	mnotifyCerts := certFlag{}
	fs.Var(mnotifyCerts, "mnotify-cert", "an MNotify sender role's PEM client certificate and key files, `ROLE=CERT,KEY`, for --mnotify-url; repeat for each role: sender-a (required), sender-b, unregistered, expired, revoked, foreign; scenarios needing a role not given are left out (env HERALD_MNOTIFY_CERTS, entries separated by ;)")
	mnotifyCA := fs.String("mnotify-ca", os.Getenv("HERALD_MNOTIFY_CA"), "PEM `file` of the CA certificates that issue the MNotify server's certificate, for --mnotify-url (default: the system's; env HERALD_MNOTIFY_CA)")
	monnetURL := fs.String("monnet-url", os.Getenv("HERALD_MONNET_URL"), "base `URL` of a real Monnet payout API, such as https://cert.api.payout.monnet.io/; overrides --target (env HERALD_MONNET_URL). Needs --monnet-merchant-id, --monnet-notifier-cert and the env HERALD_MONNET_API_KEY and HERALD_MONNET_API_SECRET")
	monnetMerchant := fs.String("monnet-merchant-id", os.Getenv("HERALD_MONNET_MERCHANT_ID"), "your Monnet merchant `id`, for a real Monnet (env HERALD_MONNET_MERCHANT_ID)")
	monnetCert := fs.String("monnet-notifier-cert", os.Getenv("HERALD_MONNET_NOTIFIER_CERT"), "`file` of the notifier certificate Monnet handed over (PEM; a PEM public key works too), for a real Monnet (env HERALD_MONNET_NOTIFIER_CERT)")
	receiverListen := fs.String("monnet-receiver-listen", os.Getenv("HERALD_MONNET_RECEIVER_LISTEN"), "`address` the suite's Monnet merchant receiver listens on (default 127.0.0.1:0, a free port; env HERALD_MONNET_RECEIVER_LISTEN)")
	receiverURL := fs.String("monnet-receiver-url", os.Getenv("HERALD_MONNET_RECEIVER_URL"), "public `URL` the notifier reaches that receiver at (default http://<listen address>/; env HERALD_MONNET_RECEIVER_URL): for a Herald in a container, or the URL a real Monnet was configured with")
	monnetNoteWait := fs.String("monnet-notification-wait", os.Getenv("HERALD_MONNET_NOTIFICATION_WAIT"), "how long a Monnet scenario waits for a payout's notification (a Go `duration`; default 30s; env HERALD_MONNET_NOTIFICATION_WAIT)")
	monnetRetryWait := fs.String("monnet-retry-wait", os.Getenv("HERALD_MONNET_RETRY_WAIT"), "how long the Monnet scenarios wait for a notification to be sent again: after the receiver answered 503 (none within it skips that scenario: Monnet documents no retries), and for a differing duplicate (a Go `duration`; default 60s; env HERALD_MONNET_RETRY_WAIT)")
	tags := fs.String("tags", "", "godog tag `expression`, such as \"@auth\" or \"@mopay && ~@rate-limit\"")
	var format formatFlag
	fs.Var(&format, "format", "output `formats`, comma-separated or repeated: progress (default: a character per step, then the failures with their detail and the summary), pretty (every scenario and step as it runs), junit:FILE, cucumber:FILE, html:FILE")
	allowMutating := fs.Bool("allow-mutating", false, "against a target that is not a Herald, also run the scenarios that create or change data there (tagged @mutating)")
	minCoverage := gateFlag{}
	fs.Var(minCoverage, "min-coverage", "fail (exit 1) when a spec's contract coverage is below `[SYSTEM=]PERCENT`; without SYSTEM= for every system; repeat per system (mopay=60); the report names what is missing")
	minScenarios := gateFlag{}
	fs.Var(minScenarios, "min-scenarios", "fail (exit 1) when less than `[SYSTEM=]PERCENT` of a system's selected scenarios ran to a verdict (the rest left out for want of --allow-mutating, a Herald, an account…); without SYSTEM= for every system; repeat per system")
	var seed seedFlag
	fs.Var(&seed, "seed", "random `seed` of the in-process simulator (default: a fresh one, printed)")
	controlToken := fs.String("control-token", os.Getenv("HERALD_CONTROL_TOKEN"), "bearer `token` of the target Herald's control API (env HERALD_CONTROL_TOKEN)")
	concurrency := fs.Int("concurrency", 1, "run this many scenarios at once; against a Herald each runs in an isolated world of its own")
	isolate := fs.Bool("isolate", false, "run each scenario in an isolated world of its own even one at a time, so that several suites can share one Herald (implied by --concurrency above 1)")
	shard := fs.String("shard", "", "run only part `K/N` of the selected scenarios (stable and balanced: N runners with K = 1…N cover the suite once)")
	published := listenerURLFlag{}
	fs.Var(published, "listener-url", "for --target URL of a Herald: `NAME=URL` where the Herald's listener NAME is published, when not where the Herald says (a container started with -p 127.0.0.1::8443: mnotify=https://127.0.0.1:49153); repeat for each listener")
	help := "Usage: herald test [flags]\n\nRuns the embedded Gherkin features against a target and exits 1 if a\nscenario fails or the run falls short of --min-coverage or --min-scenarios,\n2 on a usage error (a tag expression that selects nothing). Every answer is\nchecked against the spec. Against a target that is not a Herald, scenarios\ntagged @simulator, @herald-design and @mutating (unless --allow-mutating)\nare skipped, and so are those that need an account or credentials the\ntarget lacks (for Mopay an account, for MNotify a role's certificate:\ntagged @cert-<role>); each is reported as skipped with its reason in every\nformat. Signing in to the account given is not mutating. --tags naming a\ntag brings its scenarios back. A real deployment is a target file, or one\nor more of --mopay-url, --mnotify-url and --monnet-url: only the systems\ngiven are tested. After the run come contract coverage per spec and, per\nsystem, how many scenarios ran and what the rest would need\n(--allow-mutating, a Herald, an account): a PARTIAL RUN says so.\n--min-scenarios and --min-coverage turn too partial a run into a failure\nfor CI.\n\nThe Monnet scenarios run a merchant receiver of the suite's own\n(--monnet-receiver-listen, --monnet-receiver-url). On a Herald the suite\nsets it as the merchant's receiver URL through the control API; a real\nMonnet must have been configured with that URL by its integration team.\n\nFlags:\n"
	if status, done := parseFlags(fs, help, args, stdout, stderr); done {
		return status
	}
	if format == "" {
		format = "progress"
	}
	if err := checkFormat(string(format)); err != nil {
		fmt.Fprintln(stderr, "herald test: --format:", err)
		return 2
	}
	if err := writable(string(format)); err != nil {
		fmt.Fprintln(stderr, "herald test: --format:", err)
		return 2
	}
	if !reqForm.set {
		if v := os.Getenv("HERALD_MOPAY_REQ_FORM"); reqForm.Set(v) != nil {
			fmt.Fprintf(stderr, "herald test: HERALD_MOPAY_REQ_FORM is %q: want true or false\n", v)
			return 2
		}
	}
	if *password == "" {
		*password = os.Getenv("HERALD_MOPAY_PASSWORD")
	}
	if *mopaySecret == "" {
		*mopaySecret = os.Getenv("HERALD_MOPAY_SECRET")
	}
	if *concurrency < 1 {
		fmt.Fprintln(stderr, "herald test: --concurrency must be 1 or more")
		return 2
	}
	var part steps.Shard
	if *shard != "" {
		if _, err := fmt.Sscanf(*shard, "%d/%d", &part.K, &part.N); err != nil || part.N < 1 || part.K < 1 || part.K > part.N || fmt.Sprintf("%d/%d", part.K, part.N) != *shard {
			fmt.Fprintf(stderr, "herald test: --shard %q: want K/N with 1 ≤ K ≤ N, such as 2/4\n", *shard)
			return 2
		}
	}

	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	for flagName, needs := range map[string]string{"mopay-password": "mopay-email", "mopay-secret": "mopay-key"} {
		if explicit[flagName] && !explicit[needs] && os.Getenv("HERALD_"+strings.ToUpper(strings.ReplaceAll(needs, "-", "_"))) == "" {
			fmt.Fprintf(stderr, "herald test: --%s is given without --%s, whose it is\n", flagName, needs)
			return 2
		}
	}
	if *mnotifyURL == "" && (explicit["mnotify-cert"] || explicit["mnotify-ca"]) {
		fmt.Fprintln(stderr, "herald test: --mnotify-cert and --mnotify-ca are for a real MNotify: give --mnotify-url too (a Herald's MNotify uses the fixtures' certificates)")
		return 2
	}

	if len(published) > 0 && ((!strings.HasPrefix(*target, "http://") && !strings.HasPrefix(*target, "https://")) || *mopayURL != "" || *mnotifyURL != "" || *monnetURL != "") {
		fmt.Fprintln(stderr, "herald test: --listener-url is for a running Herald given as --target URL (in a target file, a system's url says where it answers)")
		return 2
	}
	modules, err := suite.Modules()
	if err != nil {
		fmt.Fprintln(stderr, "herald test:", err)
		return 1
	}
	var t steps.Target
	givenBy := map[string]string{} // where each real system's URL was given
	switch {
	case *mopayURL != "" || *mnotifyURL != "" || *monnetURL != "":
		t = steps.Target{Systems: map[string]*steps.SystemTarget{}}
		var names []string
		if *mopayURL != "" {
			u, err := baseURL(*mopayURL)
			if err != nil {
				fmt.Fprintln(stderr, "herald test: --mopay-url:", err)
				return 2
			}
			t.Systems[mopay.System] = &steps.SystemTarget{BaseURL: u, Params: map[string]string{}}
			names = append(names, u)
			givenBy[mopay.System] = "--mopay-url or HERALD_MOPAY_URL"
		}
		if *mnotifyURL != "" {
			u, err := baseURL(*mnotifyURL)
			if err != nil {
				fmt.Fprintln(stderr, "herald test: --mnotify-url:", err)
				return 2
			}
			if len(mnotifyCerts) == 0 {
				if err := mnotifyCerts.setAll(os.Getenv("HERALD_MNOTIFY_CERTS")); err != nil {
					fmt.Fprintln(stderr, "herald test: HERALD_MNOTIFY_CERTS:", err)
					return 2
				}
			}
			st, err := realMNotify(u, *mnotifyCA, mnotifyCerts)
			if err != nil {
				fmt.Fprintln(stderr, "herald test:", err)
				return 2
			}
			t.Systems[mnotify.System] = st
			names = append(names, u)
			givenBy[mnotify.System] = "--mnotify-url or HERALD_MNOTIFY_URL"
		}
		if *monnetURL != "" {
			u, err := baseURL(*monnetURL)
			if err != nil {
				fmt.Fprintln(stderr, "herald test: --monnet-url:", err)
				return 2
			}
			params := map[string]string{monnet.ParamMerchantID: *monnetMerchant, monnet.ParamNotifierCert: *monnetCert,
				monnet.ParamAPIKey: os.Getenv("HERALD_MONNET_API_KEY"), monnet.ParamAPISecret: os.Getenv("HERALD_MONNET_API_SECRET")}
			var missing []string
			for what, v := range map[string]string{"--monnet-merchant-id": *monnetMerchant, "--monnet-notifier-cert": *monnetCert,
				"HERALD_MONNET_API_KEY": params[monnet.ParamAPIKey], "HERALD_MONNET_API_SECRET": params[monnet.ParamAPISecret]} {
				if v == "" {
					missing = append(missing, what)
				}
			}
			if len(missing) > 0 {
				sort.Strings(missing)
				fmt.Fprintf(stderr, "herald test: --monnet-url needs %s\n", strings.Join(missing, ", "))
				return 2
			}
			t.Systems[monnet.System] = &steps.SystemTarget{BaseURL: u, Params: params}
			names = append(names, u)
			givenBy[monnet.System] = "--monnet-url or HERALD_MONNET_URL"
		}
		t.Name = strings.Join(names, " and ")
	case *target == "in-process":
		h, err := simulator.New(simulator.Options{Seed: seed.get(), Version: version})
		if err != nil {
			fmt.Fprintln(stderr, "herald test:", err)
			return 1
		}
		defer h.Close()
		closeAll, err := serveInProcess(h, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
		defer closeAll()
		if err != nil {
			fmt.Fprintln(stderr, "herald test:", err)
			return 1
		}
		if err := h.Start(context.Background()); err != nil {
			fmt.Fprintln(stderr, "herald test:", err)
			return 1
		}
		var infos []steps.SystemInfo
		for _, s := range h.Systems() {
			infos = append(infos, steps.SystemInfo{Name: s.Name, Listener: s.Listener, BasePath: s.BasePath, BaseURL: s.BaseURL})
		}
		t = steps.Herald(h.BaseURL(simulator.MainListener)+"/_herald/v1/", infos, modules)
		t.Name = fmt.Sprintf("in-process simulator (seed %d)", seed.get())
	case !strings.HasPrefix(*target, "http://") && !strings.HasPrefix(*target, "https://"):
		if _, err := os.Stat(*target); err != nil && looksLikeAddress(*target) {
			fmt.Fprintf(stderr, "herald test: --target %s: no such target file; for a running Herald give its URL: --target http://%s\n", *target, *target)
			return 2
		}
		if _, err := os.Stat(*target); err != nil && strings.Contains(*target, "://") {
			fmt.Fprintf(stderr, "herald test: --target %s: want in-process, a Herald's http:// or https:// URL, or a target file\n", *target)
			return 2
		}
		var err error
		if t, err = steps.LoadTargetFile(*target, steps.TargetSources{Sets: sets}); err != nil {
			fmt.Fprintln(stderr, "herald test:", err)
			return 2
		}
		for name := range t.Systems {
			givenBy[name] = "systems." + name + ".url in " + *target
		}
	default:
		u, err := baseURL(*target)
		if err != nil {
			fmt.Fprintln(stderr, "herald test: --target:", err)
			return 2
		}
		if t, err = steps.DiscoverPublished(context.Background(), u, *controlToken, nil, modules, published); err != nil {
			fmt.Fprintf(stderr, "herald test: --target %s: %v; for a real deployment, use a target file or --mopay-url, --mnotify-url, --monnet-url\n", u, err)
			return 1
		}
	}
	if mt := t.Systems[monnet.System]; mt != nil {
		if *receiverListen != "" {
			mt.Params[monnet.ParamReceiverListen] = *receiverListen
		}
		if *receiverURL != "" {
			mt.Params[monnet.ParamReceiverURL] = *receiverURL
		}
		if *monnetNoteWait != "" {
			mt.Params[monnet.ParamNotificationWait] = *monnetNoteWait
		}
		if *monnetRetryWait != "" {
			mt.Params[monnet.ParamRetryWait] = *monnetRetryWait
		}
	}
	if mt := t.Systems[mopay.System]; mt != nil {
		if reqForm.value {
			mt.Params[mopay.ParamReqForm] = "true"
		}
		if *email != "" {
			mt.Params[mopay.ParamEmail], mt.Params[mopay.ParamPassword] = *email, *password
		}
		if *mopayKey != "" {
			mt.Params[mopay.ParamKey], mt.Params[mopay.ParamSecret] = *mopayKey, *mopaySecret
		}
		if *mopayUserID != "" {
			mt.Params[mopay.ParamUserID] = *mopayUserID
		}
	}
	var outcome steps.RunOutcome
	opts := steps.RunOptions{Target: t, Modules: modules, Tags: *tags, Format: string(format), Output: stdout,
		Concurrency: *concurrency, Isolate: *isolate, Shard: part, AllowMutating: *allowMutating,
		MinCoverageOf: steps.Gate(minCoverage), MinScenarios: steps.Gate(minScenarios), Outcome: &outcome}
	if err := steps.CheckOptions(opts); err != nil {
		fmt.Fprintln(stderr, "herald test:", err)
		return 2
	}
	if err := steps.CheckReachable(context.Background(), t, givenBy); err != nil {
		fmt.Fprintln(stderr, "herald test:", err)
		return 1
	}
	fmt.Fprintf(stdout, "herald %s: running the conformance suite against %s\n", version, t.Name)
	status := steps.Run(opts)
	switch status {
	case 0:
		return 0
	case 2:
		fmt.Fprintln(stderr, "herald test: the suite could not run (bad options?)")
		return 2
	default:
		var why []string
		if outcome.Failed > 0 {
			why = append(why, fmt.Sprintf("%d %s failed", outcome.Failed, map[bool]string{true: "scenario", false: "scenarios"}[outcome.Failed == 1]))
		}
		if n := len(outcome.GateFailures); n > 0 {
			var flags []string // only the gates given, and fallen short of
			for _, f := range []string{"--min-coverage", "--min-scenarios"} {
				for _, g := range outcome.GateFailures {
					if strings.Contains(g, "("+f+")") {
						flags = append(flags, f)
						break
					}
				}
			}
			why = append(why, fmt.Sprintf("the run fell short of %d %s (%s)", n, map[bool]string{true: "gate", false: "gates"}[n == 1], strings.Join(flags, ", ")))
		}
		if len(why) == 0 {
			why = append(why, "a scenario failed")
		}
		if outcome.Failed > 0 && t.IsHerald() && *target != "in-process" && !*isolate && *concurrency == 1 {
			// Another suite on the same Herald without worlds of its own
			// resets, moves the clock and injects faults under this one.
			fmt.Fprintln(stderr, "herald test: this run shared the Herald's state with any other client of it (no --isolate): "+
				"if another suite ran against it meanwhile, its state may explain a failure (a 200 where a 409 was expected, say); "+
				"--isolate runs each scenario in a world of its own")
		}
		fmt.Fprintf(stderr, "herald test: %s; see above\n", strings.Join(why, "; "))
		return 1
	}
}

// publicFlag collects --public-url values: "URL" for the main listener,
// "NAME=URL" for a system's own.
type publicFlag map[string]string

func (p publicFlag) String() string { return "" }
func (p publicFlag) Set(v string) error {
	name, raw := simulator.MainListener, v
	if !strings.HasPrefix(v, "http://") && !strings.HasPrefix(v, "https://") {
		var ok bool
		if name, raw, ok = strings.Cut(v, "="); !ok || name == "" {
			return fmt.Errorf("%q: want URL, or NAME=URL for a listener of its own, such as mnotify=https://127.0.0.1:49001", v)
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q: want an http:// or https:// URL with a host, such as http://127.0.0.1:49000", v)
	}
	if _, dup := p[name]; dup {
		return fmt.Errorf("listener %s given twice", name)
	}
	p[name] = strings.TrimSuffix(raw, "/")
	return nil
}

// listenerURLFlag collects --listener-url values: NAME=URL.
type listenerURLFlag map[string]string

func (l listenerURLFlag) String() string { return "" }
func (l listenerURLFlag) Set(v string) error {
	name, raw, ok := strings.Cut(v, "=")
	if !ok || name == "" || (!strings.HasPrefix(raw, "http://") && !strings.HasPrefix(raw, "https://")) {
		return fmt.Errorf("%q: want NAME=URL, such as mnotify=https://127.0.0.1:49153", v)
	}
	if _, dup := l[name]; dup {
		return fmt.Errorf("listener %s given twice", name)
	}
	l[name] = raw
	return nil
}

// certFlag collects --mnotify-cert values: ROLE=CERT,KEY, file paths.
type certFlag map[string][2]string

func (c certFlag) String() string { return "" }
func (c certFlag) Set(v string) error {
	role, files, ok := strings.Cut(v, "=")
	certFile, keyFile, ok2 := strings.Cut(files, ",")
	if !ok || !ok2 || role == "" || certFile == "" || keyFile == "" {
		return fmt.Errorf("%q: want ROLE=CERT,KEY (two file paths)", v)
	}
	if !mnotify.KnownRole(role) {
		return fmt.Errorf("role %q: want one of %s", role, strings.Join(mnotify.CertRoles(), ", "))
	}
	if _, dup := c[role]; dup {
		return fmt.Errorf("role %s given twice", role)
	}
	c[role] = [2]string{certFile, keyFile}
	return nil
}

// setAll reads the entries of HERALD_MNOTIFY_CERTS, separated by ";".
func (c certFlag) setAll(list string) error {
	for _, entry := range strings.Split(list, ";") {
		if entry = strings.TrimSpace(entry); entry != "" {
			if err := c.Set(entry); err != nil {
				return err
			}
		}
	}
	return nil
}

// realMNotify is how to reach a real MNotify: one client per role given,
// trusting caFile (or the system's roots). Errors name files, never their
// contents: the keys are secrets.
func realMNotify(base, caFile string, certs certFlag) (*steps.SystemTarget, error) {
	if _, ok := certs[mnotify.RoleSenderA]; !ok {
		return nil, fmt.Errorf("--mnotify-url needs at least the certificate of the role %s: --mnotify-cert %s=CERT,KEY", mnotify.RoleSenderA, mnotify.RoleSenderA)
	}
	var caPEM []byte
	if caFile != "" {
		b, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--mnotify-ca: %w", err)
		}
		caPEM = b
	}
	ids := map[string]mnotify.Identity{}
	for role, files := range certs {
		certPEM, err := os.ReadFile(files[0])
		if err != nil {
			return nil, fmt.Errorf("--mnotify-cert %s: %w", role, err)
		}
		keyPEM, err := os.ReadFile(files[1])
		if err != nil {
			return nil, fmt.Errorf("--mnotify-cert %s: %w", role, err)
		}
		ids[role] = mnotify.Identity{CertPEM: certPEM, KeyPEM: keyPEM}
	}
	st, err := mnotify.Target(base, caPEM, ids)
	if err != nil {
		return nil, fmt.Errorf("--mnotify-cert or --mnotify-ca: %w", err)
	}
	return st, nil
}

// setFlag collects --set KEY=VALUE values.
type setFlag map[string]string

func (s setFlag) String() string { return "" }
func (s setFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("%q: want KEY=VALUE", v)
	}
	if _, dup := s[k]; dup {
		return fmt.Errorf("%s given twice", k)
	}
	s[k] = val
	return nil
}

// writable makes sure every report file of the formats can be written,
// before a run that would otherwise find out at its end.
func writable(formats string) error {
	for _, f := range strings.Split(formats, ",") {
		_, file, hasFile := strings.Cut(strings.TrimSpace(f), ":")
		if !hasFile {
			continue
		}
		out, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("the report %s cannot be written: %w", file, err)
		}
		out.Close()
	}
	return nil
}

// formatFlag collects --format values, comma-separated or repeated.
type formatFlag string

func (f *formatFlag) String() string { return string(*f) }
func (f *formatFlag) Set(v string) error {
	if *f != "" {
		v = string(*f) + "," + v
	}
	*f = formatFlag(v)
	return nil
}

// checkFormat accepts the formats Herald documents.
func checkFormat(formats string) error {
	for _, f := range strings.Split(formats, ",") {
		name, file, hasFile := strings.Cut(strings.TrimSpace(f), ":")
		switch name {
		case "pretty", "progress":
			if hasFile {
				return fmt.Errorf("%q writes to the console, not to a file", f)
			}
		case "junit", "cucumber", "html":
			if !hasFile || file == "" {
				return fmt.Errorf("%q needs a file: %s:FILE", f, name)
			}
		default:
			return fmt.Errorf("unknown format %q (want pretty, progress, junit:FILE, cucumber:FILE or html:FILE)", name)
		}
	}
	return nil
}

// baseURL checks an http(s) URL and returns it ending in "/".
func baseURL(raw string) (string, error) {
	if !strings.HasPrefix(raw, "http://") && !strings.HasPrefix(raw, "https://") {
		return "", fmt.Errorf("%q is not an http:// or https:// URL", raw)
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw, nil
}

// parseFlags parses a subcommand's flags. Help goes to stdout (exit 0), a
// bad flag to stderr in one line and where the help is (exit 2); done is
// false when the command should go on.
func parseFlags(fs *flag.FlagSet, help string, args []string, stdout, stderr io.Writer) (status int, done bool) {
	fs.SetOutput(io.Discard)
	usage := func(w io.Writer) {
		fmt.Fprint(w, help)
		// A default read from the environment is not shown: the usage
		// names the variable, and its value may be a secret.
		fs.VisitAll(func(f *flag.Flag) {
			for _, m := range envName.FindAllStringSubmatch(f.Usage, -1) {
				if f.DefValue != "" && f.DefValue == os.Getenv(m[1]) {
					f.DefValue = ""
				}
			}
		})
		var flags strings.Builder
		fs.SetOutput(&flags)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		fmt.Fprint(w, plainDefaults(flags.String()))
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return 0, true
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\nrun '%s -h' for help\n", fs.Name(), err, fs.Name())
		return 2, true
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2, true
	}
	return 0, false
}

// plainDefaults makes every default in flag.PrintDefaults's output read
// alike: a string's unquoted, (default 10s) rather than (default "10s"),
// and folded into a parenthesis that ends the usage, "(a Go duration;
// default 10s)" rather than "(a Go duration) (default 10s)".
func plainDefaults(help string) string {
	lines := strings.Split(help, "\n")
	for i, l := range lines {
		if m := quotedDefault.FindStringSubmatchIndex(l); m != nil {
			if v, err := strconv.Unquote(l[m[2]:m[3]]); err == nil {
				l = l[:m[0]] + "(default " + v + ")"
			}
		}
		if m := afterParen.FindStringIndex(l); m != nil {
			l = l[:m[0]] + "; default " + strings.TrimPrefix(l[m[0]:], ") (default ")
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

var (
	quotedDefault = regexp.MustCompile(`\(default ("(?:[^"\\]|\\.)*")\)$`)
	afterParen    = regexp.MustCompile(`\) \(default .*\)$`)
)

// envName finds the environment variables a flag's usage names.
var envName = regexp.MustCompile(`\b(HERALD_[A-Z0-9_]+)`)

// looksLikeAddress reports whether a --target that names no file is a host
// and port given without a scheme (127.0.0.1:8080, localhost:8080).
func looksLikeAddress(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return false
	}
	_, err = strconv.Atoi(port)
	return err == nil
}
