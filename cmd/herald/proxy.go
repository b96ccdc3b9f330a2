package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"herald/simulator"
	"herald/simulator/journal"
	"herald/simulator/proxy"
	"herald/steps"
)

// DefaultProxyAddr is where herald proxy listens unless told otherwise.
const DefaultProxyAddr = "127.0.0.1:8090"

func runProxy(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald proxy", flag.ContinueOnError)
	target := fs.String("target", "", "the target `file` naming each system's real URL (as herald test --target takes it); required")
	listen := listenFlag{}
	fs.Var(listen, "listen", "`address` to serve on (default "+DefaultProxyAddr+"): each system under /<name>/, the journal under /_herald/v1/journal; mnotify=ADDRESS for MNotify's own listener (default "+DefaultProxyMNotifyAddr+"); repeatable")
	mnotifyFlags := declareMNotifyProxyFlags(fs)
	enforce := fs.Bool("enforce", false, "refuse a request that breaks the spec, in the system's own format, before it reaches the deployment (default: forward it, and report)")
	timeout := fs.Duration("upstream-timeout", proxy.DefaultTimeout, "how long to wait for the deployment's answer; then the client gets a 504 in the system's format")
	duration := fs.Duration("duration", 0, "stop after this long and print the drift report (default: run until SIGINT or SIGTERM)")
	journalSize := fs.Int("journal-size", journal.DefaultSize, "how many `exchanges` the journal keeps (1 to 100000)")
	journalBody := fs.Int("journal-body-bytes", journal.DefaultBodyBytes, "how many `bytes` of each body the journal keeps (1 to 1048576)")
	token := fs.String("control-token", "", "bearer `token` the journal's routes ask for (env HERALD_CONTROL_TOKEN); made up and printed when the proxy listens beyond loopback without one")
	logLevel := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	hook := addWebhookFlags(fs)
	var format formatFlag
	fs.Var(&format, "format", "drift report `formats`, comma-separated or repeated, as herald test takes them: progress (default: the report on the console), pretty (the same), junit:FILE, cucumber:FILE, html:FILE")
	record := fs.String("record", "", "save each distinct answer that followed the spec in this `folder`, as an example payload for fixtures: DIR/<system>/<operation>/<status>-<hash>.json, secrets redacted, at most 20 per operation")
	help := "Usage: herald proxy --target FILE [flags]\n\nStands between your client and a real deployment: serves each system the target\nfile names on --listen, under /<name>/, checks every request and every answer\nagainst the spec, forwards the request's bytes to the deployment and passes\nits answer back as it came. Every exchange goes into the journal, under\n/_herald/v1/journal as herald serve has it, and in the web console at\n/_herald/ui/. On SIGINT, SIGTERM or after --duration it prints the drift\nreport: every rule either side broke, and writes it in each --format file;\nit exits 1 when an answer (or a Monnet notification) broke the spec, 2 on\na usage error.\nMNotify is served on a listener of its own: the proxy ends the client's\nmutual TLS, maps its certificate to a role and forwards with that role's\ncertificate from the target file; a request without one, or with one\nthat maps to no role, is refused and never forwarded.\nWith --monnet-receiver URL, a listener of its own (--monnet-webhook-listen)\nstands between Monnet's notifier and the merchant's receiver: each notification\nis verified with the notifier certificate, checked against the callback schema,\njournalled and forwarded as it came (with --enforce, one that does not verify\nor breaks the schema is refused, 401 or 400, and not forwarded).\n\nFlags:\n"
	if status, done := parseFlags(fs, help, args, stdout, stderr); done {
		return status
	}
	if *target == "" {
		fmt.Fprintln(stderr, "herald proxy: --target FILE is required: the target file naming each system's real URL")
		return 2
	}
	if *journalSize < 1 || *journalSize > maxJournalSize {
		fmt.Fprintf(stderr, "herald proxy: --journal-size %d: want 1 to %d exchanges\n", *journalSize, maxJournalSize)
		return 2
	}
	if *journalBody < 1 || *journalBody > maxJournalBody {
		fmt.Fprintf(stderr, "herald proxy: --journal-body-bytes %d: want 1 to %d\n", *journalBody, maxJournalBody)
		return 2
	}
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "herald proxy: --upstream-timeout must be positive")
		return 2
	}
	if format == "" {
		format = "progress"
	}
	if err := checkFormat(string(format)); err != nil {
		fmt.Fprintln(stderr, "herald proxy: --format:", err)
		return 2
	}
	if err := writable(string(format)); err != nil {
		fmt.Fprintln(stderr, "herald proxy: --format:", err)
		return 2
	}
	var recorder *proxy.Recorder
	if *record != "" {
		r, err := proxy.NewRecorder(*record, proxy.DefaultRecordLimit)
		if err != nil {
			fmt.Fprintln(stderr, "herald proxy:", err)
			return 2
		}
		recorder = r
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "herald proxy: --log-level %q: want debug, info, warn or error\n", *logLevel)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	t, err := steps.LoadTargetFile(*target, steps.TargetSources{})
	if err != nil {
		fmt.Fprintln(stderr, "herald proxy:", err)
		return 2
	}
	upstreams := map[string]proxy.Upstream{}
	var skipped []string
	for name, st := range t.Systems {
		up := proxy.Upstream{BaseURL: st.BaseURL, Client: t.ClientFor(name, "")}
		if name == "mnotify" {
			var unmapped []string
			if up.MutualTLS, unmapped, err = mnotifyFlags.mutualTLS(st); err != nil {
				fmt.Fprintln(stderr, "herald proxy:", err)
				return 2
			}
			for _, role := range unmapped {
				skipped = append(skipped, "mnotify role "+role+" (the target file gives it no certificate: its requests are refused)")
			}
		}
		upstreams[name] = up
	}
	if t.Systems["mnotify"] == nil && mnotifyFlags.given() {
		fmt.Fprintf(stderr, "herald proxy: --mnotify-… flags given, but %s names no mnotify\n", *target)
		return 2
	}
	if addr := listen[simulator.MainListener]; addr == "" {
		listen[simulator.MainListener] = DefaultProxyAddr
	}
	if *token == "" {
		*token = os.Getenv("HERALD_CONTROL_TOKEN")
	}
	madeUp := false
	if *token == "" && beyondLoopback(listenFlag{simulator.MainListener: listen[simulator.MainListener]}) {
		*token, madeUp = newToken(), true
	}
	var secrets proxy.Secrets
	if st := t.Systems["mopay"]; st != nil {
		secrets.MopayKey, secrets.MopaySecret = st.Params["key"], st.Params["secret"]
	}
	if st := t.Systems["monnet"]; st != nil {
		secrets.MonnetAPIKey, secrets.MonnetAPISecret = st.Params["api-key"], st.Params["api-secret"]
	}
	j := journal.New(journal.Options{Size: *journalSize, BodyBytes: *journalBody, Checked: true})
	p, err := proxy.New(proxy.Options{Upstreams: upstreams, Definitions: simulator.Registered(), Enforce: *enforce, Timeout: *timeout,
		Journal: j, Secrets: secrets, ControlToken: *token, Record: recorder, Version: version, Logger: logger})
	if err != nil {
		fmt.Fprintln(stderr, "herald proxy:", err)
		return 2
	}
	relay, err := monnetWebhook(fs, hook, p, t)
	if err != nil {
		fmt.Fprintln(stderr, "herald proxy:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", listen[simulator.MainListener])
	if err != nil {
		fmt.Fprintf(stderr, "herald proxy: %v (choose another with --listen ADDRESS; port 0 picks a free one)\n", err)
		return 1
	}
	own, err := bindOwn(p.Listeners(), listen, logger)
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "herald proxy:", err)
		return 2
	}
	srv := newServer(p, readTimeout, logger)
	srv.RegisterOnShutdown(j.CloseTails)
	var hookSrv *http.Server
	var hookLn net.Listener
	if relay != nil {
		if hookLn, err = net.Listen("tcp", relay.listen); err != nil {
			ln.Close()
			fmt.Fprintf(stderr, "herald proxy: %v (choose another with --monnet-webhook-listen ADDRESS; port 0 picks a free one)\n", err)
			return 1
		}
		hookSrv = newServer(relay.handler, readTimeout, logger)
	}
	base := "http://" + ln.Addr().String()
	mode := "reporting (forwarding every request)"
	if *enforce {
		mode = "enforcing (refusing requests that break the spec)"
	}
	fmt.Fprintf(stdout, "herald proxy %s on %s, %s\n", version, base, mode)
	for _, name := range p.Systems() {
		fmt.Fprintf(stdout, "  %-8s %s/%s/ → %s\n", name, base, name, p.Upstream(name))
	}
	for _, o := range own {
		fmt.Fprintf(stdout, "  %-8s %s/ → %s (mutual TLS; roles %s)\n", o.name, o.base, p.Upstream(o.name), strings.Join(upstreams[o.name].MutualTLS.Roles.Mapped(), ", "))
	}
	sort.Strings(skipped)
	for _, s := range skipped {
		fmt.Fprintf(stdout, "  skipped  %s\n", s)
	}
	if relay != nil {
		fmt.Fprintf(stdout, "  monnet webhooks http://%s/ → %s (%s)\n", hookLn.Addr(), relay.receiver, relay.verifies)
	}
	fmt.Fprintf(stdout, "  journal  %s/_herald/v1/journal\n", base)
	fmt.Fprintf(stdout, "  console  %s/_herald/ui/\n", base)
	if madeUp {
		fmt.Fprintf(stdout, "  the journal asks for Authorization: Bearer %s (set --control-token or HERALD_CONTROL_TOKEN to choose it)\n", *token)
	}
	errc := make(chan error, 2+len(own))
	go func() { errc <- srv.Serve(ln) }()
	for _, o := range own {
		go func() { errc <- o.srv.Serve(o.ln) }()
	}
	if hookSrv != nil {
		go func() { errc <- hookSrv.Serve(hookLn) }()
	}
	var timer <-chan time.Time
	if *duration > 0 {
		timer = time.After(*duration)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(stderr, "herald proxy:", err)
			return 1
		}
	case <-ctx.Done():
	case <-timer:
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range append([]*http.Server{srv}, own.servers()...) {
		if err := s.Shutdown(shutdown); err != nil {
			s.Close()
		}
	}
	if hookSrv != nil {
		if err := hookSrv.Shutdown(shutdown); err != nil {
			hookSrv.Close()
		}
	}
	d := p.Drift()
	status := printDrift(stdout, d)
	if recorder != nil {
		printRecorded(stdout, recorder.Summary())
	}
	if err := writeDriftReports(string(format), *target, d); err != nil {
		fmt.Fprintln(stderr, "herald proxy: writing the drift report:", err)
		return 1
	}
	return status
}

// printRecorded says what --record saved.
func printRecorded(w io.Writer, s proxy.RecordSummary) {
	fmt.Fprintf(w, "recorded %d new example %s in %s\n", s.Saved, plural(s.Saved, "answer", "answers"), s.Dir)
	if len(s.Full) > 0 {
		fmt.Fprintf(w, "  at the bound of %d files, more answers were not recorded for: %s\n", s.Limit, strings.Join(s.Full, ", "))
	}
	if s.Err != nil {
		fmt.Fprintf(w, "  some could not be written: %v\n", s.Err)
	}
}

// printDrift writes the drift report: first what the deployment's answers
// broke (drift), then what the requests broke (the client's mistakes). It
// returns the exit status: 1 when an answer broke the spec.
func printDrift(w io.Writer, d proxy.Report) int {
	fmt.Fprintf(w, "\nherald proxy: %d %s, %d broke the spec\n", d.Exchanges, plural(d.Exchanges, "exchange", "exchanges"), d.Violating)
	status := 0
	if d.Unanswered > 0 {
		fmt.Fprintf(w, "the deployment never answered %d %s (502 or 504 to the client): nothing was checked of those\n", d.Unanswered, plural(d.Unanswered, "exchange", "exchanges"))
		status = 1
	}
	for _, side := range []struct{ name, title, none string }{
		{"response", "answers that broke the spec (drift of the deployment)", "no drift: every answer the deployment gave followed the specs"},
		{"request", "requests that broke the spec (the client's)", "every request followed the specs"},
		{proxy.SideNotification, "Monnet notifications that broke the callback schema or did not verify (drift of the deployment)", ""},
	} {
		var rules []proxy.Rule
		for _, r := range d.Rules {
			if r.Side == side.name {
				rules = append(rules, r)
			}
		}
		if len(rules) == 0 {
			if side.none != "" {
				fmt.Fprintln(w, side.none)
			}
			continue
		}
		if side.name == "response" || side.name == proxy.SideNotification {
			status = 1
		}
		fmt.Fprintf(w, "%s:\n", side.title)
		for _, r := range rules {
			op := r.Operation
			if op == "" {
				op = "(no operation)"
			}
			fmt.Fprintf(w, "  %s %s %s: %s (%d×; first #%d, %s %s at %s)\n", r.System, op, r.Pointer, oneLine(r.Reason), r.Count, r.FirstID, r.Method, r.Path, r.FirstAt.Format(time.RFC3339))
		}
	}
	if d.Dropped > 0 {
		fmt.Fprintf(w, "and %d more violations of rules beyond the report's 1000\n", d.Dropped)
	}
	return status
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
