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
	if err := measure(*heraldBin, *generator, *duration, *conns, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "herald-load:", err)
		os.Exit(1)
	}
}

func measure(heraldBin, generator string, duration time.Duration, conns, rounds int) error {
	if duration*time.Duration(2*rounds) > 250*time.Second {
		return fmt.Errorf("the signature is valid for 300 s: use fewer or shorter rounds")
	}
	herald, stopHerald, err := start(heraldBin, serveArgs()...)
	if err != nil {
		return err
	}
	defer stopHerald()
	heraldURL := herald + "/mopay/user_notice_fetch"

	headers, body, err := signedRequest(herald)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp("", "herald-load-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, _ = f.Write(body)
	f.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bare, stopBare, err := start(self, "-bare-serve", f.Name())
	if err != nil {
		return err
	}
	defer stopBare()
	bareURL := bare + "/mopay/user_notice_fetch"

	fmt.Printf("generator %s, %d connections, %s per measurement, %d rounds; answer %d bytes\n", generator, conns, duration, rounds, len(body))
	var hr, br []float64
	for i := 0; i < rounds; i++ {
		for _, target := range []struct {
			name string
			url  string
			out  *[]float64
		}{{"bare", bareURL, &br}, {"herald", heraldURL, &hr}} {
			rps, err := run(generator, target.url, headers, duration, conns)
			if err != nil {
				return fmt.Errorf("%s: %w", target.name, err)
			}
			fmt.Printf("  round %d %-6s %10.0f req/s\n", i+1, target.name, rps)
			*target.out = append(*target.out, rps)
		}
	}
	h, b := median(hr), median(br)
	fmt.Printf("median: herald %.0f req/s, bare %.0f req/s, ratio %.2f\n", h, b, h/b)
	return nil
}

// serveArgs start the Herald measured: every listener on a free loopback
// port (port 0 for the main one picks one for MNotify's too), so that a
// Herald already serving 8080 or 8443 is no obstacle.
func serveArgs() []string {
	return []string{"serve", "--listen", "127.0.0.1:0", "--seed", "1", "--mopay-rate-limit", "0", "--log-level", "error"}
}

// start runs a server command and returns the base URL it prints first.
func start(bin string, args ...string) (string, func(), error) {
	cmd := exec.Command(bin, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("%s printed no address: %w", bin, err)
	}
	m := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	if m == "" {
		stop()
		return "", nil, fmt.Errorf("%s: no address in %q", bin, line)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return m, stop, nil
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

func run(generator, url string, h http.Header, d time.Duration, conns int) (float64, error) {
	if generator == "wrk" {
		return runWrk(url, h, d, conns)
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

func runGo(url string, h http.Header, d time.Duration, conns int) (float64, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ok, bad, failed atomic.Int64
	var wg sync.WaitGroup
	startT := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				req.Header = h.Clone()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
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
		return 0, fmt.Errorf("%d answers were not 200, and %d requests got no answer", bad.Load(), failed.Load())
	}
	return float64(ok.Load()) / time.Since(startT).Seconds(), nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
