package suite

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"herald/fixtures"
	wire "herald/specs/wire/monnet"
	"herald/steps"
	"herald/steps/monnet"
)

// The proof for Monnet: faulty deployments of our own, each a proxy in front
// of an in-process simulator (its payout API, or its notifier's way to the
// suite's receiver) that breaks exactly one documented behaviour. The suite
// runs against each as against a real Monnet: no control API, the merchant's
// credentials and the notifier certificate as Monnet hands them over, the
// suite's receiver on a fixed address that "Monnet" was configured with
// (here: the simulator's receiver URL, set once by the test, points at the
// notifier-side proxy, which forwards to the suite's receiver). Every run
// selects @monnet, what a user testing Monnet runs.

// monnetRig is a simulator dressed as a real Monnet, with a proxy on each
// side that a fault may change.
type monnetRig struct {
	t        *testing.T
	herald   steps.Target // the simulator's own target (its control API is used only to set it up)
	api      string       // the payout API the suite is given: the simulator's, or a faulty proxy's
	receiver string       // where the suite's receiver listens
	params   map[string]string
	key      *rsa.PrivateKey // the notifier's key: a faulty Monnet signs what it changes

	mu       sync.Mutex
	notifier http.Handler // what the simulator's notifier reaches; forwards to the suite's receiver
}

// setNotifier puts a (faulty) handler between the simulator's notifier and
// the suite's receiver.
func (r *monnetRig) setNotifier(h http.HandlerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notifier = h
}

func (r *monnetRig) notifierSide(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	h := r.notifier
	r.mu.Unlock()
	h.ServeHTTP(w, req)
}

// forward posts a notification on to the suite's receiver as it came
// and returns the receiver's status.
func (r *monnetRig) forward(header http.Header, body []byte) int {
	req, err := http.NewRequest(http.MethodPost, "http://"+r.receiver+"/", bytes.NewReader(body))
	if err != nil {
		r.t.Error(err)
		return http.StatusBadGateway
	}
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return http.StatusBadGateway
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// resign is a notification header for body, signed by the notifier's key as
// a faulty Monnet would sign what it changed.
func (r *monnetRig) resign(header http.Header, body []byte) http.Header {
	sig, err := wire.Sign(r.key, monnet.HeraldMerchant, body)
	if err != nil {
		r.t.Error(err)
	}
	h := header.Clone()
	h.Set(wire.HeaderVerification, sig)
	return h
}

// newMonnetRig starts a simulator and both proxies, with no fault.
func newMonnetRig(t *testing.T, seed uint64) *monnetRig {
	t.Helper()
	herald := inProcess(t, seed)
	r := &monnetRig{t: t, herald: herald, api: herald.Systems[monnet.System].BaseURL}
	var err error
	if r.key, err = monnetFixtureKey(fixtures.MonnetNotifierKey); err != nil {
		t.Fatal(err)
	}
	// The suite's receiver listens on a fixed address, as it must for a
	// real Monnet configured with its URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.receiver = ln.Addr().String()
	ln.Close()
	r.setNotifier(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		w.WriteHeader(r.forward(req.Header, body))
	})
	notifierSide := httptest.NewServer(http.HandlerFunc(r.notifierSide))
	t.Cleanup(notifierSide.Close)
	// What Monnet's integration team does: configure the merchant's URL.
	monnetControl(t, herald, http.MethodPut, "monnet/receivers/"+monnet.HeraldMerchant, map[string]string{"url": notifierSide.URL + "/monnet-hook"})
	// This "Monnet" retries 2 s after a failed attempt, so that the runs
	// stay short (the suite waits retry-wait, 8 s, for a new attempt).
	monnetControl(t, herald, http.MethodPut, "monnet/notifier", map[string]any{"backoff": []string{"0s", "2s", "1m"}})
	cert := filepath.Join(t.TempDir(), "notifier.crt")
	if err := os.WriteFile(cert, monnetControl(t, herald, http.MethodGet, "monnet/notifier/certificate", nil), 0o600); err != nil {
		t.Fatal(err)
	}
	seeded := herald.Systems[monnet.System].Params
	r.params = map[string]string{
		monnet.ParamMerchantID: monnet.HeraldMerchant, monnet.ParamAPIKey: seeded[monnet.ParamAPIKey], monnet.ParamAPISecret: seeded[monnet.ParamAPISecret],
		monnet.ParamNotifierCert: cert, monnet.ParamReceiverListen: r.receiver, monnet.ParamReceiverURL: notifierSide.URL + "/monnet-hook",
		monnet.ParamNotificationWait: "15s", monnet.ParamRetryWait: "8s",
	}
	return r
}

func monnetFixtureKey(path string) (*rsa.PrivateKey, error) {
	b, err := fixtures.Read(path)
	if err != nil {
		return nil, err
	}
	return wire.ParsePrivateKey(b)
}

// monnetControl calls the simulator's control API to set the rig up.
func monnetControl(t *testing.T, herald steps.Target, method, path string, body any) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, herald.ControlURL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("control %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return b
}

// apiProxy puts a proxy in front of the payout API; edit changes each
// request on its way, answer each answer on its way back (either nil).
func (r *monnetRig) apiProxy(edit func(*http.Request, []byte) []byte, answer func(*http.Response, []byte) []byte) {
	u, err := url.Parse(r.api)
	if err != nil {
		r.t.Fatal(err)
	}
	p := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		req := pr.Out
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
		}
		if edit != nil { // on the path as the client sent it, relative to the API's base
			body = edit(req, body)
		}
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		pr.SetURL(u)
		req.Host = pr.In.Host // as NewSingleHostReverseProxy's director kept it
	}}
	if answer != nil {
		p.ModifyResponse = func(resp *http.Response) error {
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			b = answer(resp, b)
			resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			resp.Header.Del("Content-Length")
			return nil
		}
	}
	srv := httptest.NewServer(p)
	r.t.Cleanup(srv.Close)
	r.api = srv.URL + "/"
}

// run runs @monnet against the rig as against a real Monnet, and returns
// godog's status and each scenario's result.
func (r *monnetRig) run(allowMutating bool) (int, map[string]string) {
	target := steps.Target{Name: "a Monnet", Systems: map[string]*steps.SystemTarget{
		monnet.System: {BaseURL: r.api, Params: r.params}}}
	return monnetStatuses(r.t, steps.RunOptions{Target: target, Modules: modules(r.t), Tags: "@monnet", AllowMutating: allowMutating, Concurrency: 8})
}

// monnetStatuses is statuses, with the run's console output in the test's
// log when the run could not report (status 2).
func monnetStatuses(t *testing.T, opts steps.RunOptions) (int, map[string]string) {
	t.Helper()
	var out bytes.Buffer
	report := filepath.Join(t.TempDir(), "cucumber.json")
	opts.Format, opts.Output = "progress,cucumber:"+report, &out
	status := steps.Run(opts)
	if _, err := os.Stat(report); err != nil {
		t.Fatalf("status %d, no report: %v\n%s", status, err, out.String())
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var features []struct {
		URI      string `json:"uri"`
		Elements []struct {
			Name  string `json:"name"`
			Line  int    `json:"line"`
			Steps []struct {
				Result struct{ Status string } `json:"result"`
			} `json:"steps"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(b, &features); err != nil {
		t.Fatalf("cucumber report: %v", err)
	}
	results := map[string]string{}
	for _, f := range features {
		for _, e := range f.Elements {
			result := "passed"
			for _, st := range e.Steps {
				if st.Result.Status != "passed" {
					result = st.Result.Status
					break
				}
			}
			results[fmt.Sprintf("%s:%d %s", f.URI, e.Line, e.Name)] = result
		}
	}
	if status == 1 && len(monnetFailed(results)) == 0 {
		t.Logf("the run failed with no scenario failed:\n%s", out.String())
	}
	return status, results
}

// monnetFailed lists the scenarios that failed, sorted.
func monnetFailed(results map[string]string) []string {
	var out []string
	for name, status := range results {
		if status == "failed" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// monnetSignedPath matches a payout-API path: /api/v1/{merchantId}/payouts[/{id}].
var monnetSignedPath = regexp.MustCompile(`^/?api/v1/([^/]+)/payouts(/[^/]*)?$`)

// monnetResign signs a payout-API request again, with the key's secret,
// over its path and timestamp as they now are.
func monnetResign(req *http.Request, body []byte, secret string) {
	q := req.URL.Query()
	resource := "/" + strings.TrimPrefix(req.URL.Path, "/")
	q.Set("signature", wire.PayoutSignature(secret, req.Method, resource, q.Get("timestamp"), body))
	req.URL.RawQuery = q.Encode()
}

// The faults, each breaking one documented behaviour, and the scenario that
// must catch it.
func TestSuiteFailsFaultyMonnets(t *testing.T) {
	type fault struct {
		name          string
		allowMutating bool
		caughtBy      string // a scenario whose name contains this must fail
		apply         func(r *monnetRig)
	}
	faults := []fault{
		{"an API key acting on another merchant's path", false, "A badly authenticated status read is refused with error 1001", func(r *monnetRig) {
			secret, key := r.params[monnet.ParamAPISecret], r.params[monnet.ParamAPIKey]
			r.apiProxy(func(req *http.Request, body []byte) []byte {
				m := monnetSignedPath.FindStringSubmatch(strings.TrimPrefix(req.URL.Path, "/"))
				if m == nil || req.Header.Get(wire.HeaderAPIKey) != key || m[1] == monnet.HeraldMerchant {
					return body
				}
				// Authenticated as signed, over the path as sent; then acted
				// on as the key's merchant, whatever the path says.
				q := req.URL.Query()
				if wire.PayoutSignature(secret, req.Method, req.URL.Path, q.Get("timestamp"), body) != q.Get("signature") {
					return body
				}
				req.URL.Path = "/api/v1/" + monnet.HeraldMerchant + "/payouts" + m[2]
				monnetResign(req, body, secret)
				return body
			}, nil)
		}},
		{"status reads whose signature is never checked", false, "A badly authenticated status read is refused with error 1001", func(r *monnetRig) {
			secret, key := r.params[monnet.ParamAPISecret], r.params[monnet.ParamAPIKey]
			r.apiProxy(func(req *http.Request, body []byte) []byte {
				if req.Method == http.MethodGet && req.Header.Get(wire.HeaderAPIKey) == key {
					monnetResign(req, body, secret)
				}
				return body
			}, nil)
		}},
		{"a status read that differs from the notification", true, "its status read agrees", func(r *monnetRig) {
			r.apiProxy(nil, func(resp *http.Response, b []byte) []byte {
				if resp.Request.Method != http.MethodGet {
					return b
				}
				return bytes.Replace(b, []byte(`"stage":"SUCCESS","status":"PROCESSED"`), []byte(`"stage":"REJECTED","status":"REVERSED"`), 1)
			})
		}},
		{"a repeated orderId that makes a second payout", true, "A repeated orderId is the documented duplicate 2005", func(r *monnetRig) {
			secret := r.params[monnet.ParamAPISecret]
			var mu sync.Mutex
			seen := map[string]bool{}
			r.apiProxy(func(req *http.Request, body []byte) []byte {
				var v map[string]any
				if req.Method != http.MethodPost || json.Unmarshal(body, &v) != nil {
					return body
				}
				order, _ := v["orderId"].(string)
				mu.Lock()
				again := seen[order]
				seen[order] = true
				mu.Unlock()
				if !again {
					return body
				}
				body = bytes.Replace(body, []byte(`"orderId":"`+order+`"`), []byte(`"orderId":"`+order+`-2"`), 1)
				monnetResign(req, body, secret)
				return body
			}, nil)
		}},
		{"a notification signed with another key", true, "A successful payout is notified", func(r *monnetRig) {
			other, err := monnetFixtureKey(fixtures.MonnetForgerKey)
			if err != nil {
				r.t.Fatal(err)
			}
			r.setNotifier(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				sig, _ := wire.Sign(other, monnet.HeraldMerchant, body)
				h := req.Header.Clone()
				h.Set(wire.HeaderVerification, sig)
				w.WriteHeader(r.forward(h, body))
			})
		}},
		{"a notification without its verification header", true, "A successful payout is notified", func(r *monnetRig) {
			r.setNotifier(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				h := req.Header.Clone()
				h.Del(wire.HeaderVerification)
				w.WriteHeader(r.forward(h, body))
			})
		}},
		{"a notification for a stage that is not final", true, "A successful payout is notified", func(r *monnetRig) {
			r.setNotifier(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				early := bytes.Replace(body, []byte(`"stage":"SUCCESS","status":"PROCESSED"`), []byte(`"stage":"IN_PROGRESS","status":"PENDING_BANK"`), 1)
				if !bytes.Equal(early, body) {
					r.forward(r.resign(req.Header, early), early)
				}
				w.WriteHeader(r.forward(req.Header, body))
			})
		}},
		{"a signed body that violates the callback schema", true, "A successful payout is notified", func(r *monnetRig) {
			r.setNotifier(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				body = bytes.Replace(body, []byte(`"amount":"100000"`), []byte(`"amount":"1000.00"`), 1)
				w.WriteHeader(r.forward(r.resign(req.Header, body), body))
			})
		}},
		{"a new attempt after a 5xx with other bytes and signed again", true, "A notification answered with a 5xx and sent again carries the same bytes", func(r *monnetRig) {
			var mu sync.Mutex
			seen := map[string]bool{}
			r.setNotifier(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				key := string(body)
				mu.Lock()
				again := seen[key]
				seen[key] = true
				mu.Unlock()
				h := req.Header
				if again { // a retry: rebuilt, its authorization code changed, and signed again
					body = bytes.Replace(body, []byte(`"authorizationCode":"A`), []byte(`"authorizationCode":"B`), 1)
					h = r.resign(h, body)
				}
				w.WriteHeader(r.forward(h, body))
			})
		}},
		{"a differing re-signed duplicate 5 s after an acknowledged notification", true, "An acknowledged notification is never followed by a different one", func(r *monnetRig) {
			r.setNotifier(func(w http.ResponseWriter, req *http.Request) {
				body, _ := io.ReadAll(req.Body)
				status := r.forward(req.Header, body)
				if status >= 200 && status < 300 {
					late := bytes.Replace(body, []byte(`"authorizationCode":"A`), []byte(`"authorizationCode":"B`), 1)
					h := r.resign(req.Header, late)
					time.AfterFunc(5*time.Second, func() { r.forward(h, late) })
				}
				w.WriteHeader(status)
			})
		}},
	}
	for i, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			r := newMonnetRig(t, uint64(100+i))
			f.apply(r)
			status, results := r.run(f.allowMutating)
			failed := monnetFailed(results)
			caught := false
			for _, name := range failed {
				caught = caught || strings.Contains(name, f.caughtBy)
			}
			if status != 1 || !caught {
				t.Fatalf("status %d, want 1 with %q failed; failed: %v", status, f.caughtBy, failed)
			}
			t.Logf("allow-mutating %v; caught by: %s", f.allowMutating, strings.Join(failed, "; "))
		})
	}
}

// The same runs against the simulator itself, behind pass-through proxies,
// pass: each fault above is the proxy's. Read-only, the run is what a
// merchant without --allow-mutating gets.
func TestSuitePassesTheMonnetSimulatorAsARealMonnet(t *testing.T) {
	t.Parallel()
	for _, allowMutating := range []bool{false, true} {
		r := newMonnetRig(t, 99)
		r.apiProxy(nil, nil)
		status, results := r.run(allowMutating)
		passed := 0
		for name, st := range results {
			switch {
			case st == "passed":
				passed++
			case st != "skipped": // left out by its tags, with its reason
				t.Errorf("%s: %s", name, st)
			case allowMutating && strings.Contains(name, "sent again carries the same bytes"):
				t.Errorf("%s: skipped, but the simulator makes a new attempt after a 5xx", name)
			}
		}
		if status != 0 || passed == 0 {
			t.Fatalf("allow-mutating %v: status %d, %d scenarios passed", allowMutating, status, passed)
		}
		t.Logf("allow-mutating %v: %d Monnet scenarios ran and passed", allowMutating, passed)
	}
}

// A Monnet that never makes a new attempt after a 5xx (the vendor documents
// no retries) does not fail the run: the scenario that waits for one is
// skipped, saying why.
func TestAMonnetThatNeverRetriesSkipsTheResendScenario(t *testing.T) {
	t.Parallel()
	r := newMonnetRig(t, 98)
	r.params[monnet.ParamRetryWait] = "5s"
	r.setNotifier(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.forward(req.Header, body)
		w.WriteHeader(http.StatusOK) // the notifier believes it delivered: it never retries
	})
	target := steps.Target{Name: "a Monnet without retries", Systems: map[string]*steps.SystemTarget{monnet.System: {BaseURL: r.api, Params: r.params}}}
	status, results := monnetStatuses(t, steps.RunOptions{Target: target, Modules: modules(t), Tags: "@monnet", AllowMutating: true, Concurrency: 8})
	skipped := ""
	for name, st := range results {
		if strings.Contains(name, "answered with a 5xx and sent again") {
			skipped = st
		} else if st == "failed" {
			t.Errorf("%s: %s", name, st)
		}
	}
	if status != 0 || skipped != "skipped" {
		t.Fatalf("status %d, the resend scenario %q; want 0 and skipped", status, skipped)
	}
}

// Nothing over-strict: a Monnet that takes a repeated orderId (201) and
// refuses it later, in a REJECTED notification with 2005 (the vendor's
// "REJECTED by business error" example), passes the duplicate scenario.
func TestSuiteAcceptsAMonnetThatRefusesADuplicateInANotification(t *testing.T) {
	t.Parallel()
	r := newMonnetRig(t, 97)
	r.apiProxy(func(req *http.Request, body []byte) []byte {
		var v struct{ OrderID string }
		if req.Method == http.MethodPost && json.Unmarshal(body, &v) == nil {
			req.Header.Set("X-Test-Order", v.OrderID)
		}
		return body
	}, func(resp *http.Response, b []byte) []byte {
		order := resp.Request.Header.Get("X-Test-Order")
		if resp.Request.Method != http.MethodPost || !bytes.Contains(b, []byte(`"code":"2005"`)) {
			return b
		}
		resp.StatusCode = http.StatusCreated
		now := time.Now().UTC()
		note := []byte(`{"payout":{"id":"987654","country":"PER","amount":"100000","currency":"PEN","orderId":"` + order +
			`","merchantId":"22","bankCode":"001","name":"Ana Núñez"},"output":{"stage":"REJECTED","status":"BUSINESS_ERROR","statusChangeDateTime":"` +
			now.Add(time.Second).Format("2006-01-02T15:04:05.000000Z") + `"},"errors":[{"code":"2005","message":"[orderId] Duplicated"}]}`)
		h := r.resign(http.Header{"Content-Type": {"application/json; charset=utf-8"}}, note)
		time.AfterFunc(time.Second, func() { r.forward(h, note) })
		return []byte(`{"payout":{"Id":987654,"country":"PER","amount":100000,"currency":"PEN","orderId":"` + order +
			`"},"output":{"stage":"IN_PROGRESS","status":"CREATED","statusChangeDateTime":"` + now.Format("2006-01-02T15:04:05.000000Z") + `"}}`)
	})
	status, results := r.run(true)
	dup := ""
	for name, st := range results {
		if strings.Contains(name, "A repeated orderId is the documented duplicate 2005") {
			dup = st
		}
	}
	if status != 0 || dup != "passed" {
		t.Fatalf("status %d, the duplicate scenario %q; failed: %v", status, dup, monnetFailed(results))
	}
}
