package suite

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mopaywire "herald/specs/wire/mopay"
	"herald/steps"
	"herald/steps/mopay"
)

// mopayProxy is a Mopay deployment with one documented behaviour broken: a
// proxy in front of the simulator that rewrites requests or answers. It
// learns each key pair from the login and registration answers it passes
// on, so that a fault can sign again as Mopay would have accepted.
type mopayProxy struct {
	base     string // the simulator's Mopay base path, "/mopay/"
	upstream *url.URL
	fault    mopayFault

	mu      sync.Mutex
	secrets map[string]string // pbcKey -> secret
	okBody  map[string][]byte // pbcKey + action -> the last OK answer
	other   [2]string         // another user's pbcKey and secret
}

// mopayFault breaks one behaviour. intercept answers a request itself
// (true: answered); request rewrites one before it goes on; response
// rewrites an answer (status and body).
type mopayFault struct {
	name string
	// catches is the scenario that must fail; the run selects @mopay, as a
	// user testing Mopay would.
	catches   string
	intercept func(p *mopayProxy, w http.ResponseWriter, r *http.Request) bool
	request   func(p *mopayProxy, r *http.Request)
	response  func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte)
}

// action names the Mopay action of a request, in either documented form.
func (p *mopayProxy) action(r *http.Request) string {
	if a := strings.TrimPrefix(r.URL.Path, p.base); a != "" {
		return a
	}
	return r.URL.Query().Get("req")
}

// signer returns the key a request is validly signed with, if any.
func (p *mopayProxy) signer(r *http.Request) (key string, ok bool) {
	key, ts := r.Header.Get(mopaywire.HeaderKey), r.Header.Get(mopaywire.HeaderTimestamp)
	p.mu.Lock()
	secret, known := p.secrets[key]
	p.mu.Unlock()
	unix, err := strconv.ParseInt(ts, 10, 64)
	fresh := err == nil && time.Since(time.Unix(unix, 0)).Abs() < 5*time.Minute
	return key, known && fresh && strings.EqualFold(r.Header.Get(mopaywire.HeaderSignature), mopaywire.Signature(secret, ts))
}

// sign signs a request afresh with a key the proxy knows.
func (p *mopayProxy) sign(r *http.Request, key, secret string) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	r.Header.Set(mopaywire.HeaderKey, key)
	r.Header.Set(mopaywire.HeaderTimestamp, ts)
	r.Header.Set(mopaywire.HeaderSignature, mopaywire.Signature(secret, ts))
}

// anyKey returns a key pair the proxy has seen issued.
func (p *mopayProxy) anyKey() (string, string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	keys := make([]string, 0, len(p.secrets))
	for k := range p.secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return "", "", false
	}
	return keys[0], p.secrets[keys[0]], true
}

func (p *mopayProxy) learn(body []byte) {
	var env struct {
		DATA struct{ PbcKey, Secret string }
	}
	if json.Unmarshal(body, &env) == nil && env.DATA.PbcKey != "" {
		p.mu.Lock()
		p.secrets[env.DATA.PbcKey] = env.DATA.Secret
		p.mu.Unlock()
	}
}

func (p *mopayProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.fault.intercept != nil && p.fault.intercept(p, w, r) {
		return
	}
	if p.fault.request != nil {
		p.fault.request(p, r)
	}
	proxy := httputil.NewSingleHostReverseProxy(p.upstream)
	proxy.ModifyResponse = func(resp *http.Response) error {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		p.learn(b)
		status := resp.StatusCode
		if key := resp.Request.Header.Get(mopaywire.HeaderKey); status == http.StatusOK && key != "" {
			p.mu.Lock()
			p.okBody[key+p.action(resp.Request)] = b
			p.mu.Unlock()
		}
		if p.fault.response != nil {
			status, b = p.fault.response(p, resp.Request, status, b)
		}
		resp.StatusCode = status
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	proxy.ServeHTTP(w, r)
}

// startFaulty starts a faulty Mopay in front of the simulator at upstream
// and returns its base URL. It registers an account of its own first, whose
// key pair a fault may use as another user's.
func startFaulty(t *testing.T, upstream string, f mopayFault) string {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	p := &mopayProxy{base: u.Path, upstream: &url.URL{Scheme: u.Scheme, Host: u.Host}, fault: f,
		secrets: map[string]string{}, okBody: map[string][]byte{}}
	body := `{"fsnm":"Other","lsnm":"User","emal":"other.` + strconv.FormatInt(time.Now().UnixNano(), 36) + `@example.com","pswd":"Other-Pass1","devt":"Web","devs":"proxy","devn":"proxy"}`
	resp, err := http.Post(upstream+"user_profile_create", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var env struct {
		DATA struct{ PbcKey, Secret string }
	}
	if err := json.Unmarshal(b, &env); err != nil || env.DATA.Secret == "" {
		t.Fatalf("registering the proxy's own account: %s", b)
	}
	p.other = [2]string{env.DATA.PbcKey, env.DATA.Secret}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL + u.Path
}

// rewriteJSON decodes an envelope, lets edit change it, and encodes it.
func rewriteJSON(body []byte, edit func(env map[string]any)) []byte {
	var env map[string]any
	if json.Unmarshal(body, &env) != nil {
		return body
	}
	edit(env)
	b, _ := json.Marshal(env)
	return b
}

func failed(body []byte) bool {
	var env struct{ REQUEST struct{ STATUS string } }
	return json.Unmarshal(body, &env) == nil && env.REQUEST.STATUS == "FAILED"
}

func setQuery(r *http.Request, edit func(q url.Values)) {
	q := r.URL.Query()
	edit(q)
	r.URL.RawQuery = q.Encode()
}

func reverse(list []any) {
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
}

var mpsRef = regexp.MustCompile(` \(MPS[0-9]{15}\)$`)

func mopayFaults() []mopayFault {
	return []mopayFault{
		{name: "ignores the page cursor", catches: "Walking every page of notices",
			request: func(p *mopayProxy, r *http.Request) {
				if p.action(r) == "user_notice_fetch" {
					setQuery(r, func(q url.Values) { q.Del("page") })
				}
			}},
		{name: "answers past the last page with an empty page", catches: "A cursor older than every notice is empty",
			response: func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte) {
				if p.action(r) != "user_notice_fetch" || !bytes.Contains(body, []byte(`"response_empty"`)) {
					return status, body
				}
				page := r.URL.Query().Get("page")
				return http.StatusOK, []byte(`{"REQUEST":{"VERSION":"1.0","ACTION":"user_notice_fetch","STATUS":"OK"},"DATA":{"result":[],"pagination":"` + page + `"}}`)
			}},
		{name: "serves another user's notices", catches: "Walking every page of notices",
			request: func(p *mopayProxy, r *http.Request) {
				if _, ok := p.signer(r); ok && p.action(r) == "user_notice_fetch" {
					p.sign(r, p.other[0], p.other[1])
				}
			}},
		{name: "serves notices oldest first", catches: "Walking every page of notices",
			response: func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte) {
				if p.action(r) != "user_notice_fetch" || status != http.StatusOK {
					return status, body
				}
				return status, rewriteJSON(body, func(env map[string]any) {
					if data, ok := env["DATA"].(map[string]any); ok {
						if list, ok := data["result"].([]any); ok {
							reverse(list)
						}
					}
				})
			}},
		{name: "serves notifications oldest first", catches: "rqtp=all returns notifications newest first",
			response: func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte) {
				if p.action(r) != "user_notification_fetch" || status != http.StatusOK {
					return status, body
				}
				return status, rewriteJSON(body, func(env map[string]any) {
					if list, ok := env["DATA"].([]any); ok {
						reverse(list)
					}
				})
			}},
		{name: "ignores rqvl for rqtp=user", catches: "rqtp=user with rqvl returns that user's notifications, newest first",
			request: func(p *mopayProxy, r *http.Request) {
				if p.action(r) == "user_notification_fetch" && r.URL.Query().Get("rqtp") == "user" {
					setQuery(r, func(q url.Values) { q.Del("rqvl") })
				}
			}},
		{name: "answers rqtp=user without rqvl with every user's notifications", catches: "rqtp=user without rqvl is the caller's notifications",
			request: func(p *mopayProxy, r *http.Request) {
				if q := r.URL.Query(); p.action(r) == "user_notification_fetch" && q.Get("rqtp") == "user" && q.Get("rqvl") == "" {
					setQuery(r, func(q url.Values) { q.Set("rqtp", "all") })
				}
			}},
		{name: "ignores the marker of rqtp=mk", catches: "rqtp=mk returns the notification with that marker",
			request: func(p *mopayProxy, r *http.Request) {
				if p.action(r) == "user_notification_fetch" && r.URL.Query().Get("rqtp") == "mk" {
					setQuery(r, func(q url.Values) { q.Set("rqtp", "all"); q.Del("rqvl") })
				}
			}},
		{name: "ignores the country filter of locations", catches: "rtyp=countries filters on the country",
			request: func(p *mopayProxy, r *http.Request) {
				if p.action(r) == "user_location_fetch" && r.URL.Query().Get("rtyp") == "countries" {
					setQuery(r, func(q url.Values) { q.Del("rtyp"); q.Del("rqvl") })
				}
			}},
		{name: "accepts a stale timestamp", catches: "A stale or future timestamp is refused, however well signed",
			request: func(p *mopayProxy, r *http.Request) {
				key := r.Header.Get(mopaywire.HeaderKey)
				p.mu.Lock()
				secret, known := p.secrets[key]
				p.mu.Unlock()
				unix, err := strconv.ParseInt(r.Header.Get(mopaywire.HeaderTimestamp), 10, 64)
				if known && err == nil && time.Since(time.Unix(unix, 0)) > time.Hour &&
					strings.EqualFold(r.Header.Get(mopaywire.HeaderSignature), mopaywire.Signature(secret, r.Header.Get(mopaywire.HeaderTimestamp))) {
					p.sign(r, key, secret)
				}
			}},
		{name: "accepts a key it never issued", catches: "A public key that was never issued is refused",
			request: func(p *mopayProxy, r *http.Request) {
				key := r.Header.Get(mopaywire.HeaderKey)
				p.mu.Lock()
				_, known := p.secrets[key]
				p.mu.Unlock()
				if k, s, ok := p.anyKey(); key != "" && !known && ok {
					p.sign(r, k, s)
				}
			}},
		{name: "accepts a request without its signature", catches: "A request without one of the signing headers is refused",
			request: func(p *mopayProxy, r *http.Request) {
				key := r.Header.Get(mopaywire.HeaderKey)
				p.mu.Lock()
				secret, known := p.secrets[key]
				p.mu.Unlock()
				if known && r.Header.Get(mopaywire.HeaderSignature) == "" {
					p.sign(r, key, secret)
				}
			}},
		{name: "does not limit a key's rate", catches: "A key gets no more than the documented 100 requests a minute",
			response: func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte) {
				if status != http.StatusTooManyRequests {
					return status, body
				}
				p.mu.Lock()
				ok := p.okBody[r.Header.Get(mopaywire.HeaderKey)+p.action(r)]
				p.mu.Unlock()
				if ok == nil {
					return status, body
				}
				return http.StatusOK, ok
			}},
		{name: "answers documented errors with HTTP 200", catches: "Documented errors carry their name under the vendor's key",
			response: func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte) {
				if failed(body) {
					return http.StatusOK, body
				}
				return status, body
			}},
		{name: "names errors under the other key (MSG for ID)", catches: "An unsigned call is refused, under the vendor's key for its action",
			response: func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte) {
				return status, rewriteJSON(body, func(env map[string]any) {
					if e, ok := env["ERRORS"].(map[string]any); ok && e["ID"] != nil {
						e["MSG"] = e["ID"]
						delete(e, "ID")
					}
				})
			}},
		{name: "says STATUS OK in error envelopes", catches: "A wrongly signed request is refused",
			response: func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte) {
				return status, rewriteJSON(body, func(env map[string]any) {
					if req, ok := env["REQUEST"].(map[string]any); ok && env["ERRORS"] != nil {
						req["STATUS"] = "OK"
					}
				})
			}},
		{name: "names another action in ACTION", catches: "Without parameters every location is returned",
			response: func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte) {
				if p.action(r) != "user_location_fetch" {
					return status, body
				}
				return status, rewriteJSON(body, func(env map[string]any) {
					if req, ok := env["REQUEST"].(map[string]any); ok {
						req["ACTION"] = "user_notice_fetch"
					}
				})
			}},
		{name: "does not serve the documented ?req= form", catches: "The documented base form /?req=<action> reaches the same action",
			intercept: func(p *mopayProxy, w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != p.base {
					return false
				}
				http.NotFound(w, r)
				return true
			}},
		{name: "refuses a GET with the documented body {}", catches: "A GET may carry the documented body {}",
			intercept: func(p *mopayProxy, w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodGet || r.ContentLength <= 0 {
					return false
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"REQUEST":{"VERSION":"1.0","ACTION":"` + p.action(r) + `","STATUS":"FAILED"},"ERRORS":{"CODE":400,"MSG":"body_invalid","DETAILS":"A GET takes no body (MPS000000000000001)"}}`))
				return true
			}},
		{name: "logs anyone in", catches: "A wrong password does not log in to the account",
			response: func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte) {
				if p.action(r) != "user_profile_login" || !failed(body) {
					return status, body
				}
				return http.StatusOK, []byte(`{"REQUEST":{"VERSION":"1.0","ACTION":"user_profile_login","STATUS":"OK"},"DATA":{"pbcKey":"` + p.other[0] + `","secret":"` + p.other[1] + `"}}`)
			}},
		{name: "drops the (MPS…) reference from DETAILS", catches: "Documented errors carry their name under the vendor's key",
			response: func(p *mopayProxy, r *http.Request, status int, body []byte) (int, []byte) {
				return status, rewriteJSON(body, func(env map[string]any) {
					if e, ok := env["ERRORS"].(map[string]any); ok {
						if d, ok := e["DETAILS"].(string); ok {
							e["DETAILS"] = mpsRef.ReplaceAllString(d, "")
						}
					}
				})
			}},
	}
}

// realMopay is the target of a real Mopay deployment at base, with the
// seeded account with notices given as a QA team gives theirs.
func realMopay(name, base string) steps.Target {
	return steps.Target{Name: name, Systems: map[string]*steps.SystemTarget{mopay.System: {BaseURL: base,
		Params: map[string]string{mopay.ParamEmail: mopay.SeededNoticeEmail, mopay.ParamPassword: mopay.SeededNoticePassword}}}}
}

// Each faulty Mopay, run against as a real deployment with an account and
// without --allow-mutating (every fault here breaks a read-only behaviour),
// fails the scenario named; a proxy without a fault passes the same run, so
// the fault is what fails it.
func TestSuiteFailsFaultyMopays(t *testing.T) {
	herald := inProcess(t, 8)
	upstream := herald.Systems[mopay.System].BaseURL
	run := func(t *testing.T, target steps.Target) (int, map[string]string) {
		return statuses(t, steps.RunOptions{Target: target, Modules: modules(t), Tags: "@mopay"})
	}
	status, results := run(t, realMopay("faultless proxy", startFaulty(t, upstream, mopayFault{name: "none"})))
	if status != 0 {
		for k, v := range results {
			if v != "passed" && v != "skipped" {
				t.Errorf("%s: %s", k, v)
			}
		}
		t.Fatalf("the proxy without a fault: status %d", status)
	}
	ran := 0
	for _, v := range results {
		if v == "passed" {
			ran++
		}
	}
	if ran < 40 {
		t.Fatalf("with an account and without --allow-mutating only %d Mopay scenarios ran", ran)
	}
	for _, f := range mopayFaults() {
		t.Run(f.name, func(t *testing.T) {
			status, results := run(t, realMopay("Mopay that "+f.name, startFaulty(t, upstream, f)))
			var caught []string
			for k, v := range results {
				if _, name, _ := strings.Cut(k, " "); v == "failed" && !contains(caught, name) {
					caught = append(caught, name)
				}
			}
			sort.Strings(caught)
			if status != 1 || !contains(caught, f.catches) {
				t.Fatalf("status %d, want 1 with %q failed; failed: %q", status, f.catches, caught)
			}
			t.Logf("caught by %q (and %d other scenarios)", f.catches, len(caught)-1)
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// With an issued key pair instead of an email and password (and no user id:
// the suite reads it from the account's notices), the read-only scenarios run
// on the key, none skipped within; those that log in are left out, with a
// reason.
func TestMopayWithAnIssuedKey(t *testing.T) {
	herald := inProcess(t, 9)
	base := herald.Systems[mopay.System].BaseURL
	body := `{"emal":"` + mopay.SeededNoticeEmail + `","pswd":"` + mopay.SeededNoticePassword + `","devt":"Web","devs":"qa-laptop","devn":"QA"}`
	resp, err := http.Post(base+"user_profile_login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		DATA struct{ PbcKey, Secret string }
	}
	err = json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	if err != nil || env.DATA.Secret == "" {
		t.Fatalf("login: %v", err)
	}
	target := steps.Target{Name: "staging Mopay", Systems: map[string]*steps.SystemTarget{mopay.System: {BaseURL: base,
		Params: map[string]string{mopay.ParamKey: env.DATA.PbcKey, mopay.ParamSecret: env.DATA.Secret}}}}
	var out bytes.Buffer
	status := steps.Run(steps.RunOptions{Target: target, Modules: modules(t), Tags: "@mopay", Format: "progress", Output: &out})
	text := out.String()
	m := regexp.MustCompile(`(\d+) scenarios \((\d+) passed\)`).FindStringSubmatch(text)
	if status != 0 || m == nil || m[1] != m[2] {
		t.Fatalf("status %d:\n%s", status, text)
	}
	if st := regexp.MustCompile(`(\d+) steps \((\d+) passed\)`).FindStringSubmatch(text); st == nil || st[1] != st[2] {
		t.Fatalf("a step was skipped within a scenario:\n%s", text)
	}
	if n, _ := strconv.Atoi(m[1]); n < 40 {
		t.Fatalf("only %d scenarios ran on the key:\n%s", n, text)
	}
	if !regexp.MustCompile(`\d+ — @mopay-login: they log in with the account's email and password, and the target gives only an issued key pair[^\n]*\n\s+[^\n]*mopay/profile\.feature:[0-9,]*\b18\b`).MatchString(text) {
		t.Fatalf("the login scenario is not reported left out for want of a password:\n%s", text)
	}
}
