package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"herald/specs/wire/mopay"
)

func main() {
	heraldBin := flag.String("herald", "bin/herald", "path to the herald binary")
	duration := flag.Duration("duration", 10*time.Second, "length of each measurement")
	conns := flag.Int("connections", 32, "concurrent keep-alive connections")
	rounds := flag.Int("rounds", 3, "measurements of each server, alternated; the median is reported")
	generator := flag.String("generator", "auto", "load generator: wrk, go, or auto (wrk when installed)")
	viaProxy := flag.Bool("proxy", false, "measure herald proxy in front of herald serve beside herald serve reached directly: throughput and the latency the proxy adds (p50, p99)")
	journal := flag.Bool("journal", false, "measure herald serve with the journal off (--journal-size 0) beside herald serve with it on, instead of beside a bare server")
	extra := flag.String("serve-args", "", "more herald serve `flags`, space-separated (for example \"--journal-size 100000\"); with -journal, for the Herald with the journal on")
	sample := flag.Duration("sample", 0, "print each Herald's resident memory (VmRSS, Linux) at this `interval` during its measurements; 0: never")
	bareServe := flag.String("bare-serve", "", "internal: serve the bytes of this file as a bare server")
	flag.Parse()

	if *bareServe != "" {
		serveBare(*bareServe)
		return
	}
	if *generator == "auto" {
		*generator = "go"
		if _, err := exec.LookPath("wrk"); err == nil {
			*generator = "wrk"
		}
	}
	l := load{generator: *generator, duration: *duration, conns: *conns, rounds: *rounds, sample: *sample}
	var err error
	switch {
	case *viaProxy:
		err = l.proxyCost(*heraldBin)
	case *journal:
		err = l.journalCost(*heraldBin, strings.Fields(*extra))
	default:
		err = l.againstBare(*heraldBin, strings.Fields(*extra))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "herald-load:", err)
		os.Exit(1)
	}
}

// proxyCost measures herald proxy in front of herald serve beside herald
// serve reached directly, with the same load in one run: throughput, and
// the latency the proxy adds.
func (l load) proxyCost(heraldBin string) error {
	direct, err := startHerald(heraldBin, "direct", serveArgs())
	if err != nil {
		return err
	}
	defer direct.stop()
	f, err := os.CreateTemp("", "herald-load-target-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	base := strings.TrimSuffix(direct.url, "/mopay/user_notice_fetch")
	fmt.Fprintf(f, "name: herald-load\nsystems:\n  mopay:\n    url: %s/mopay/\n", base)
	f.Close()
	proxied, p, err := start(heraldBin, "proxy", "--target", f.Name(), "--listen", "127.0.0.1:0", "--log-level", "error")
	if err != nil {
		return err
	}
	defer p.stop()
	ps := &server{name: "proxy", url: proxied + "/mopay/user_notice_fetch", headers: direct.headers, pid: p.pid}
	fmt.Printf("generator %s, %d connections, %s per measurement, %d rounds; answer %d bytes\n", l.generator, l.conns, l.duration, l.rounds, len(direct.body))
	if err := l.alternate(&direct.server, ps); err != nil {
		return err
	}
	a, b := median(ps.rps), median(direct.rps)
	fmt.Printf("median: through the proxy %.0f req/s, direct %.0f req/s, ratio %.2f\n", a, b, a/b)
	fmt.Printf("latency p50: proxy %s, direct %s, added %s; p99: proxy %s, direct %s, added %s\n",
		median(ps.p50), median(direct.p50), median(ps.p50)-median(direct.p50), median(ps.p99), median(direct.p99), median(ps.p99)-median(direct.p99))
	return nil
}

// load is how each server is measured.
type load struct {
	generator string
	duration  time.Duration
	conns     int
	rounds    int
	sample    time.Duration
}

// server is one process measured: its URL and signed request, and its pid
// for the memory samples (0: not sampled).
type server struct {
	name    string
	url     string
	headers http.Header
	pid     int
	rps     []float64
	// p50 and p99 are each round's latencies (the Go generator's only).
	p50, p99 []time.Duration
}

// againstBare measures herald serve beside a bare net/http server writing
// the same bytes.
func (l load) againstBare(heraldBin string, extra []string) error {
	herald, err := startHerald(heraldBin, "herald", append(serveArgs(), extra...))
	if err != nil {
		return err
	}
	defer herald.stop()
	f, err := os.CreateTemp("", "herald-load-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, _ = f.Write(herald.body)
	f.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bare, stopBare, err := start(self, "-bare-serve", f.Name())
	if err != nil {
		return err
	}
	defer stopBare.stop()
	bs := &server{name: "bare", url: bare + "/mopay/user_notice_fetch", headers: herald.headers}
	fmt.Printf("generator %s, %d connections, %s per measurement, %d rounds; answer %d bytes\n", l.generator, l.conns, l.duration, l.rounds, len(herald.body))
	if err := l.alternate(bs, &herald.server); err != nil {
		return err
	}
	h, b := median(herald.rps), median(bs.rps)
	fmt.Printf("median: herald %.0f req/s, bare %.0f req/s, ratio %.2f\n", h, b, h/b)
	return nil
}

// journalCost measures herald serve with the journal off and with it on
// (the default size, or what extra says), with the same load in one run.
func (l load) journalCost(heraldBin string, extra []string) error {
	off, err := startHerald(heraldBin, "off", append(serveArgs(), "--journal-size", "0"))
	if err != nil {
		return err
	}
	defer off.stop()
	on, err := startHerald(heraldBin, "on", append(serveArgs(), extra...))
	if err != nil {
		return err
	}
	defer on.stop()
	fmt.Printf("generator %s, %d connections, %s per measurement, %d rounds; answer %d bytes; journal off: --journal-size 0, on: %s\n",
		l.generator, l.conns, l.duration, l.rounds, len(on.body), orDefault(strings.Join(extra, " ")))
	if err := l.alternate(&off.server, &on.server); err != nil {
		return err
	}
	a, b := median(on.rps), median(off.rps)
	fmt.Printf("median: journal on %.0f req/s, off %.0f req/s, ratio %.2f\n", a, b, a/b)
	return nil
}

func orDefault(s string) string {
	if s == "" {
		return "the defaults"
	}
	return s
}

// alternate measures the servers in turn, round after round.
func (l load) alternate(servers ...*server) error {
	if l.duration*time.Duration(len(servers)*l.rounds) > 250*time.Second {
		return fmt.Errorf("the signature is valid for 300 s: use fewer or shorter rounds")
	}
	for i := 0; i < l.rounds; i++ {
		for _, s := range servers {
			stop := l.sampleRSS(s)
			res, err := run(l.generator, s.url, s.headers, l.duration, l.conns)
			stop()
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			lat := ""
			if res.p50 > 0 {
				lat = fmt.Sprintf("  p50 %s  p99 %s", res.p50, res.p99)
			}
			fmt.Printf("  round %d %-6s %10.0f req/s%s\n", i+1, s.name, res.rps, lat)
			s.rps = append(s.rps, res.rps)
			s.p50, s.p99 = append(s.p50, res.p50), append(s.p99, res.p99)
		}
	}
	return nil
}

// sampleRSS prints the server's resident memory every l.sample until the
// returned function is called, and once more then.
func (l load) sampleRSS(s *server) (stop func()) {
	if l.sample <= 0 || s.pid == 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	t0 := time.Now()
	show := func() {
		rss, err := vmRSS(s.pid)
		if err != nil {
			fmt.Printf("    %s: %v\n", s.name, err)
			return
		}
		fmt.Printf("    %-6s t=%5.1fs VmRSS %7.1f MiB\n", s.name, time.Since(t0).Seconds(), float64(rss)/(1<<20))
	}
	go func() {
		defer close(finished)
		tick := time.NewTicker(l.sample)
		defer tick.Stop()
		show()
		for {
			select {
			case <-done:
				show()
				return
			case <-tick.C:
				show()
			}
		}
	}()
	return func() { close(done); <-finished }
}

// vmRSS reads a process's resident memory, in bytes, from /proc (Linux).
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading its memory needs Linux's /proc: %w", err)
	}
	m := regexp.MustCompile(`(?m)^VmRSS:\s+([0-9]+) kB`).FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	kb, err := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10, err
}

// heraldServer is a herald serve process, logged in, with the signed
// request the load sends and its answer.
type heraldServer struct {
	server
	body []byte
	stop func()
}

func startHerald(bin, name string, args []string) (*heraldServer, error) {
	base, p, err := start(bin, args...)
	if err != nil {
		return nil, err
	}
	headers, body, err := signedRequest(base)
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &heraldServer{server: server{name: name, url: base + "/mopay/user_notice_fetch", headers: headers, pid: p.pid}, body: body, stop: p.stop}, nil
}

// serveArgs start the Herald measured: every listener on a free loopback
// port (port 0 for the main one picks one for MNotify's too), so that a
// Herald already serving 8080 or 8443 is no obstacle.
func serveArgs() []string {
	return []string{"serve", "--listen", "127.0.0.1:0", "--seed", "1", "--mopay-rate-limit", "0", "--log-level", "error"}
}

// process is a started server.
type process struct {
	pid  int
	stop func()
}

// start runs a server command and returns the base URL it prints first.
func start(bin string, args ...string) (string, process, error) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", process{}, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", process{}, err
	}
	p := process{pid: cmd.Process.Pid, stop: func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		p.stop()
		return "", process{}, fmt.Errorf("%s printed no address: %w", bin, err)
	}
	m := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	if m == "" {
		p.stop()
		return "", process{}, fmt.Errorf("%s: no address in %q", bin, line)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return m, p, nil
}

// signedRequest logs in as the seeded account with notices and returns the
// signing headers and the answer to one signed user_notice_fetch.
func signedRequest(base string) (http.Header, []byte, error) {
	resp, err := http.Post(base+"/mopay/user_profile_login", "application/json",
		strings.NewReader(`{"emal":"amara.okafor@example.com","pswd":"Notices2023","devt":"Web","devs":"load","devn":"load"}`))
	if err != nil {
		return nil, nil, err
	}
	var env struct {
		DATA struct{ PbcKey, Secret string }
	}
	err = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if err != nil || env.DATA.PbcKey == "" {
		return nil, nil, fmt.Errorf("login failed: %v", err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set(mopay.HeaderKey, env.DATA.PbcKey)
	h.Set(mopay.HeaderTimestamp, ts)
	h.Set(mopay.HeaderSignature, mopay.Signature(env.DATA.Secret, ts))
	h.Set("Content-Type", "application/json")
	req, _ := http.NewRequest(http.MethodGet, base+"/mopay/user_notice_fetch", nil)
	req.Header = h.Clone()
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, nil, fmt.Errorf("signed fetch answered %d: %s", resp.StatusCode, body)
	}
	return h, body, nil
}

func serveBare(file string) {
	body, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("bare serving on http://%s\n", ln.Addr())
	// The same server settings as herald serve, so that only the handler differs.
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
		}),
	}
	_ = srv.Serve(ln)
}

// result is one measurement: throughput, and the latency percentiles when
// the generator gives them.
type result struct {
	rps      float64
	p50, p99 time.Duration
}

func run(generator, url string, h http.Header, d time.Duration, conns int) (result, error) {
	if generator == "wrk" {
		rps, err := runWrk(url, h, d, conns)
		return result{rps: rps}, err
	}
	return runGo(url, h, d, conns)
}

func runWrk(url string, h http.Header, d time.Duration, conns int) (float64, error) {
	args := []string{"-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(d.Seconds()))}
	for k := range h {
		args = append(args, "-H", k+": "+h.Get(k))
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	if bytes.Contains(out, []byte("Non-2xx")) {
		return 0, fmt.Errorf("some answers were not 200:\n%s", out)
	}
	m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func runGo(url string, h http.Header, d time.Duration, conns int) (result, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ok, bad, failed atomic.Int64
	var wg sync.WaitGroup
	lats := make([][]time.Duration, conns)
	startT := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				req.Header = h.Clone()
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if ctx.Err() == nil {
					lats[i] = append(lats[i], time.Since(t0))
				}
				if resp.StatusCode == 200 {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() > 0 || failed.Load() > 0 {
		return result{}, fmt.Errorf("%d answers were not 200, and %d requests got no answer", bad.Load(), failed.Load())
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	res := result{rps: float64(ok.Load()) / time.Since(startT).Seconds()}
	if len(all) > 0 {
		res.p50, res.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return res, nil
}

func median[T float64 | time.Duration](xs []T) T {
	s := append([]T(nil), xs...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[len(s)/2]
}
