package console_test

// The console in a real browser: headless Chromium, driven with chromedp,
// against a Herald started by heraldtest. Each test polls the page's DOM
// with a deadline; none sleeps.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"herald/simulator/heraldtest"
)

// chromium finds the browser, or skips the test loudly (fails it with
// HERALD_REQUIRE_CHROMIUM=1, as CI sets).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("HERALD_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("chromium is required (HERALD_REQUIRE_CHROMIUM=1)")
	}
	t.Skip("SKIPPED: chromium is not installed (apt-get install chromium); set HERALD_REQUIRE_CHROMIUM=1 to make this a failure")
	return ""
}

// browser is one headless Chromium tab, with what the page reported.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string // uncaught exceptions, console errors, CSP violations
	urls     []string // every URL the page requested
	expected []string // console messages a test expects (a 401 it provokes)
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.WindowSize(1440, 960),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{t: t}
	ctx, cancelTab := chromedp.NewContext(alloc, chromedp.WithListener(b.listen))
	ctx, cancelTime := context.WithTimeout(ctx, 120*time.Second)
	b.ctx = ctx
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	t.Cleanup(b.checkProblems)
	return b
}

// listen records what the page reports: exceptions, console errors, CSP
// violations, and every URL it requests.
func (b *browser) listen(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg := e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
		b.problems = append(b.problems, "exception: "+msg)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.problems = append(b.problems, "console: "+strings.Join(args, " "))
		}
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || strings.Contains(e.Entry.Text, "Content Security Policy") {
			b.problems = append(b.problems, "log: "+e.Entry.Text+" "+e.Entry.URL)
		}
	case *network.EventRequestWillBeSent:
		b.urls = append(b.urls, e.Request.URL+e.Request.URLFragment)
	}
}

// expect declares console errors the test provokes (containing text).
func (b *browser) expect(text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expected = append(b.expected, text)
}

func (b *browser) checkProblems() {
	b.mu.Lock()
	defer b.mu.Unlock()
next:
	for _, p := range b.problems {
		for _, e := range b.expected {
			if strings.Contains(p, e) {
				continue next
			}
		}
		b.t.Errorf("the page reported: %s", p)
	}
}

func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.shot("failure")
		b.t.Fatalf("browser: %v", err)
	}
}

// until waits for a JavaScript expression to be true, within 20 s.
func (b *browser) until(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	ok, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+expr+")", chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil || !ok {
		b.shot("failure")
		text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('main').innerText.slice(0, 3000)`))
		b.t.Fatalf("waiting for %s: %v\nthe page shows:\n%s", what, err, text)
	}
}

// text is the textContent of the first element matching a CSS selector
// ("" when none does).
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(function(){var e=document.querySelector(%q);return e?e.textContent:''})()`, sel)))
	if err != nil {
		b.t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

// eval runs a script in the page and gives its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// shot writes a full-page screenshot to HERALD_SCREENSHOT_DIR (a relative
// one is taken from the module's root), or to the test's temporary folder.
func (b *browser) shot(name string) string {
	dir := screenshotDir(b.t)
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	file := filepath.Join(dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
	}
	b.t.Logf("screenshot: %s", file)
	return file
}

func screenshotDir(t *testing.T) string {
	dir := os.Getenv("HERALD_SCREENSHOT_DIR")
	if dir == "" {
		return t.TempDir()
	}
	if !filepath.IsAbs(dir) {
		root, err := os.Getwd()
		for err == nil {
			if _, statErr := os.Stat(filepath.Join(root, "go.mod")); statErr == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				t.Fatalf("HERALD_SCREENSHOT_DIR %s is relative, and no go.mod is above the test", dir)
			}
			root = parent
		}
		dir = filepath.Join(root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (b *browser) requested() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.urls...)
}

// console opens the console at a view ("journal", "inbox", "deliveries").
func (b *browser) open(s *heraldtest.Server, view string) {
	b.t.Helper()
	b.navigate(s, view)
	b.until("the page to start", `document.querySelector('#clock-now') && document.querySelector('#clock-now').textContent !== '…'`)
}

// navigate loads the console's page at a view, and waits for nothing.
func (b *browser) navigate(s *heraldtest.Server, view string) {
	b.t.Helper()
	b.run(chromedp.Navigate(s.URL + "/_herald/ui/#" + view))
}

// ---- requests to the simulated systems

func do(t *testing.T, client *http.Client, method, url string, headers map[string]string, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// mopayUser registers a Mopay user and returns its public key.
func mopayUser(t *testing.T, s *heraldtest.Server) string {
	t.Helper()
	key, _ := mopayKeys(t, s)
	return key
}

// mopayKeys registers a Mopay user and returns its key pair.
func mopayKeys(t *testing.T, s *heraldtest.Server) (pbcKey, secret string) {
	t.Helper()
	status, body := do(t, s.Client, "POST", s.URLs["mopay"]+"user_profile_create", nil,
		`{"fsnm":"Ana","lsnm":"Rusu","emal":"ana.rusu@example.com","pswd":"Passw0rdX","devt":"Web","devs":"console-test","devn":"Browser"}`)
	var v struct {
		DATA struct{ PbcKey, Secret string }
	}
	if status != 200 || json.Unmarshal([]byte(body), &v) != nil || v.DATA.PbcKey == "" {
		t.Fatalf("registering a Mopay user: %d %s", status, body)
	}
	return v.DATA.PbcKey, v.DATA.Secret
}

// nodeCount counts the elements matching a CSS selector.
func (b *browser) nodeCount(sel string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel))
}
