package suite

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"herald/fixtures"
	"herald/steps"
	"herald/steps/mnotify"
)

// These tests put faulty MNotify deployments of our own in front of the
// simulator, each breaking one documented behaviour, and run the suite
// against each as a QA team runs it against a real deployment: a target with
// no control API, the certificate of every role, and (for read-only
// behaviours) without AllowMutating. Each must fail, naming the scenario
// that caught it; the same run through a proxy that breaks nothing passes.

// mnotifyRoles are the roles whose certificates the proxy recognises, and
// "" (none).
func mnotifyRoles() []string { return append([]string{mnotify.RoleNone}, mnotify.CertRoles()...) }

// mnotifyAnswer is what the deployment answers, as a fault may rewrite it.
type mnotifyAnswer struct {
	status int
	header http.Header
	body   []byte
}

// mnotifyFault breaks one behaviour of the deployment.
type mnotifyFault struct {
	name string
	// as picks whose certificate a request is forwarded with (default: the
	// caller's own).
	as func(role string, r *http.Request) string
	// request rewrites a request before it is forwarded.
	request func(r *http.Request, body []byte) []byte
	// answer rewrites the deployment's answer; forward asks it again, as
	// another role.
	answer func(r *http.Request, role string, a *mnotifyAnswer, forward func(role string) *mnotifyAnswer)
	// caughtBy is the scenario that must fail.
	caughtBy string
	// mutating: the behaviour is caught only by scenarios that create data.
	mutating bool
}

// mnotifyProxy is an MNotify deployment in front of upstream (a Herald's
// MNotify): it terminates TLS with the fixtures' server certificate, asks for
// a client certificate without verifying it, recognises the caller's role by
// its certificate, and forwards the request with that role's certificate,
// through fault.
func mnotifyProxy(t *testing.T, upstream string, fault mnotifyFault) string {
	t.Helper()
	der := map[string]string{} // certificate DER → role
	clients := map[string]*http.Client{}
	for _, role := range mnotifyRoles() {
		name := role
		if role == mnotify.RoleNone {
			name = ""
		} else {
			certPEM, keyPEM, err := fixtures.MNotifyCert(role)
			if err != nil {
				t.Fatal(err)
			}
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				t.Fatal(err)
			}
			der[string(pair.Certificate[0])] = role
		}
		cfg, err := fixtures.MNotifyClientTLS(name)
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 4}
		t.Cleanup(tr.CloseIdleConnections)
		clients[role] = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := mnotify.RoleNone
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			known, ok := der[string(r.TLS.PeerCertificates[0].Raw)]
			if !ok {
				http.Error(w, "unknown client certificate", http.StatusBadGateway)
				return
			}
			role = known
		}
		body, _ := io.ReadAll(r.Body)
		if fault.request != nil {
			body = fault.request(r, body)
		}
		forward := func(as string) *mnotifyAnswer {
			req, err := http.NewRequest(r.Method, strings.TrimSuffix(upstream, "/")+r.URL.RequestURI(), bytes.NewReader(body))
			if err != nil {
				return &mnotifyAnswer{status: http.StatusBadGateway, header: http.Header{}, body: []byte(err.Error())}
			}
			for _, h := range []string{"Content-Type", "Accept"} {
				if v := r.Header.Get(h); v != "" {
					req.Header.Set(h, v)
				}
			}
			resp, err := clients[as].Do(req)
			if err != nil {
				return &mnotifyAnswer{status: http.StatusBadGateway, header: http.Header{}, body: []byte(err.Error())}
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return &mnotifyAnswer{status: resp.StatusCode, header: resp.Header.Clone(), body: b}
		}
		as := role
		if fault.as != nil {
			as = fault.as(role, r)
		}
		a := forward(as)
		if fault.answer != nil {
			fault.answer(r, role, a, forward)
		}
		for k, vs := range a.header {
			if k != "Content-Length" {
				w.Header()[k] = vs
			}
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	})
	certPEM, keyPEM, err := fixtures.MNotifyCert("server")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// realMNotify is the target a QA team gives for a deployment at base: the
// CA that issues its server certificate, and a certificate for every role.
func realMNotify(t *testing.T, name, base string) steps.Target {
	t.Helper()
	caPEM, _, err := fixtures.MNotifyCert("ca")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]mnotify.Identity{}
	for _, role := range mnotify.CertRoles() {
		certPEM, keyPEM, err := fixtures.MNotifyCert(role)
		if err != nil {
			t.Fatal(err)
		}
		ids[role] = mnotify.Identity{CertPEM: certPEM, KeyPEM: keyPEM}
	}
	st, err := mnotify.Target(base, caPEM, ids)
	if err != nil {
		t.Fatal(err)
	}
	return steps.Target{Name: name, Systems: map[string]*steps.SystemTarget{mnotify.System: st}}
}

// upstreamMNotify is an in-process Herald's MNotify as it starts: its
// senders have the history of the fixtures' seed, as a staging's have, and
// nothing more, so that the read-only scenarios run on what it already has.
func upstreamMNotify(t *testing.T, seed uint64) string {
	t.Helper()
	h := inProcess(t, seed)
	return h.Systems[mnotify.System].BaseURL
}

// runMNotify runs the MNotify features against target as a real deployment
// and returns the run's status and each scenario's result.
func runMNotify(t *testing.T, target steps.Target, allowMutating bool) (int, map[string]string) {
	t.Helper()
	return statuses(t, steps.RunOptions{Target: target, Modules: modules(t), Tags: "@mnotify", AllowMutating: allowMutating})
}

// mnotifyResultsOf returns the results of the scenarios named name.
func mnotifyResultsOf(results map[string]string, name string) []string {
	var out []string
	for k, v := range results {
		if strings.HasSuffix(k, " "+name) {
			out = append(out, v)
		}
	}
	return out
}

func mnotifyFailedOf(results map[string]string) []string {
	var out []string
	for k, v := range results {
		if v == "failed" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// mnotifyListPath is the path of a list of notifications or templates.
var mnotifyListPath = regexp.MustCompile(`(?i)^/api/(notification|template)/?$`)

// otherSender is the other registered sender.
func otherSender(role string) string {
	if role == mnotify.RoleSenderB {
		return mnotify.RoleSenderA
	}
	return mnotify.RoleSenderB
}

// mnotifyDropQuery removes a query parameter, in any spelling.
func mnotifyDropQuery(name string) func(r *http.Request, body []byte) []byte {
	return func(r *http.Request, body []byte) []byte {
		q := r.URL.Query()
		for k := range q {
			if strings.EqualFold(k, name) {
				q.Del(k)
			}
		}
		r.URL.RawQuery = q.Encode()
		return body
	}
}

// mnotifyRewriteJSON decodes a 200 answer, lets edit change it, and encodes it again.
func mnotifyRewriteJSON(a *mnotifyAnswer, edit func(v any) any) {
	if a.status != http.StatusOK {
		return
	}
	var v any
	if json.Unmarshal(a.body, &v) != nil {
		return
	}
	a.body, _ = json.Marshal(edit(v))
}

// mnotifyEachObject calls f on every object in v, at any depth.
func mnotifyEachObject(v any, f func(obj map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		f(x)
		for _, c := range x {
			mnotifyEachObject(c, f)
		}
	case []any:
		for _, c := range x {
			mnotifyEachObject(c, f)
		}
	}
}

// mnotifyAcceptAs forwards a role MPass would not accept as a registered sender.
func mnotifyAcceptAs(refused, as string) func(string, *http.Request) string {
	return func(role string, _ *http.Request) string {
		if role == refused {
			return as
		}
		return role
	}
}

// mnotifyRetryAsOwner answers another sender's record as its owner would be
// answered: 403 becomes what the other sender gets.
func mnotifyRetryAsOwner(method string, path *regexp.Regexp) func(*http.Request, string, *mnotifyAnswer, func(string) *mnotifyAnswer) {
	return func(r *http.Request, role string, a *mnotifyAnswer, forward func(string) *mnotifyAnswer) {
		if r.Method == method && path.MatchString(r.URL.Path) && a.status == http.StatusForbidden &&
			(role == mnotify.RoleSenderA || role == mnotify.RoleSenderB) {
			*a = *forward(otherSender(role))
		}
	}
}

func mnotifyFaults() []mnotifyFault {
	notificationByID := regexp.MustCompile(`(?i)^/api/notification/[0-9a-f-]{36}/?$`)
	templateByID := regexp.MustCompile(`(?i)^/api/template/[0-9a-f-]{36}/?$`)
	return []mnotifyFault{
		// Certificates MPass would not accept, accepted.
		{name: "revoked certificate accepted", as: mnotifyAcceptAs(mnotify.RoleRevoked, mnotify.RoleSenderA),
			caughtBy: "A certificate MPass would not accept is refused"},
		{name: "unregistered certificate accepted", as: mnotifyAcceptAs(mnotify.RoleUnregistered, mnotify.RoleSenderB),
			caughtBy: "An unregistered certificate is refused"},
		{name: "expired certificate accepted", as: mnotifyAcceptAs(mnotify.RoleExpired, mnotify.RoleSenderA),
			caughtBy: "A certificate MPass would not accept is refused"},
		{name: "foreign certificate accepted", as: mnotifyAcceptAs(mnotify.RoleForeign, mnotify.RoleSenderA),
			caughtBy: "A certificate MPass would not accept is refused"},
		{name: "no certificate accepted", as: mnotifyAcceptAs(mnotify.RoleNone, mnotify.RoleSenderA),
			caughtBy: "A request without a client certificate is refused"},
		// Wrong status codes.
		{name: "no certificate is 403", answer: func(r *http.Request, role string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			if role == mnotify.RoleNone {
				a.status = http.StatusForbidden
			}
		}, caughtBy: "No client certificate is 401"},
		{name: "a refused certificate is 500", answer: func(r *http.Request, role string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			if role == mnotify.RoleExpired {
				a.status = http.StatusInternalServerError
			}
		}, caughtBy: "A certificate MPass would not accept is refused"},
		{name: "an unknown id is 400", answer: func(r *http.Request, role string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			if a.status == http.StatusNotFound {
				a.status = http.StatusBadRequest
			}
		}, caughtBy: "An unknown id is 404"},
		// One sender seeing another's records.
		{name: "a list shows another sender's notifications", as: func(role string, r *http.Request) string {
			if role == mnotify.RoleSenderB && r.Method == http.MethodGet && mnotifyListPath.MatchString(r.URL.Path) {
				return mnotify.RoleSenderA
			}
			return role
		}, caughtBy: "Another sender's list holds none of the sender's notifications"},
		{name: "SearchBy finds another sender's notification", as: func(role string, r *http.Request) string {
			if role == mnotify.RoleSenderB && r.URL.Query().Get("SearchBy") != "" {
				return mnotify.RoleSenderA
			}
			return role
		}, caughtBy: "Another sender's list holds none of the sender's notifications"},
		{name: "another sender's notification read by id", answer: mnotifyRetryAsOwner(http.MethodGet, notificationByID),
			caughtBy: "Another sender cannot read the sender's notification"},
		{name: "another sender's template read by id", answer: mnotifyRetryAsOwner(http.MethodGet, templateByID),
			caughtBy: "Another sender's templates hold none of the sender's, nor read them"},
		// Paging.
		{name: "Page ignored", request: mnotifyDropQuery("Page"), caughtBy: "Pages of one notification walk the list in order"},
		{name: "ItemsPerPage ignored", request: mnotifyDropQuery("ItemsPerPage"), caughtBy: "Pages of one notification walk the list in order"},
		{name: "OrderField ignored", request: mnotifyDropQuery("OrderField"), caughtBy: "Notifications are ordered by createdAt either way"},
		{name: "SearchBy ignored", request: mnotifyDropQuery("SearchBy"), caughtBy: "SearchBy finds one of the sender's notifications"},
		{name: "Page ignored on templates", request: func(r *http.Request, body []byte) []byte {
			if strings.Contains(strings.ToLower(r.URL.Path), "template") {
				return mnotifyDropQuery("Page")(r, body)
			}
			return body
		}, caughtBy: "Templates page and search like notifications"},
		{name: "the client's lowercase paths not found", answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			if strings.HasPrefix(r.URL.Path, "/api/notification") || strings.HasPrefix(r.URL.Path, "/api/template") {
				*a = mnotifyAnswer{status: http.StatusNotFound, header: http.Header{"Content-Type": {"application/problem+json"}},
					body: []byte(`{"type":"about:blank","title":"Not Found","status":404,"traceId":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}`)}
			}
		}, caughtBy: "The official client's lowercase paths are served"},
		{name: "a list in an envelope", answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			if r.Method == http.MethodGet && mnotifyListPath.MatchString(r.URL.Path) {
				mnotifyRewriteJSON(a, func(v any) any { return map[string]any{"items": v} })
			}
		}, caughtBy: "Pages of one notification walk the list in order"},
		// Answers the official client cannot read.
		{name: "recipients without the client's required audit fields", answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			if r.Method == http.MethodGet && notificationByID.MatchString(r.URL.Path) {
				mnotifyRewriteJSON(a, func(v any) any {
					if n, ok := v.(map[string]any); ok {
						for _, rc := range n["recipients"].([]any) {
							delete(rc.(map[string]any), "createdBy")
							delete(rc.(map[string]any), "lastUpdatedBy")
						}
					}
					return v
				})
			}
		}, caughtBy: "A notification the sender has reads as the official client reads it"},
		{name: "list items without lastUpdatedBy", answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			if r.Method == http.MethodGet && mnotifyListPath.MatchString(r.URL.Path) {
				mnotifyRewriteJSON(a, func(v any) any {
					mnotifyEachObject(v, func(o map[string]any) { delete(o, "lastUpdatedBy") })
					return v
				})
			}
		}, caughtBy: "SearchBy finds one of the sender's notifications"},
		{name: "statuses spelt in lower case", answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			mnotifyRewriteJSON(a, func(v any) any {
				mnotifyEachObject(v, func(o map[string]any) {
					if s, ok := o["status"].(string); ok {
						o["status"] = strings.ToLower(s)
					}
				})
				return v
			})
		}, caughtBy: "A notification the sender has reads as the official client reads it"},
		{name: "message ids that are not Guids", answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			mnotifyRewriteJSON(a, func(v any) any {
				mnotifyEachObject(v, func(o map[string]any) {
					if s, ok := o["messageId"].(string); ok {
						o["messageId"] = strings.ReplaceAll(s, "-", "")
					}
				})
				return v
			})
		}, caughtBy: "A notification the sender has reads as the official client reads it"},
		{name: "createdAt not in ISO 8601", answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			mnotifyRewriteJSON(a, func(v any) any {
				mnotifyEachObject(v, func(o map[string]any) {
					if s, ok := o["createdAt"].(string); ok {
						if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
							o["createdAt"] = t.Format("02.01.2006 15:04:05")
						}
					}
				})
				return v
			})
		}, caughtBy: "A notification the sender has reads as the official client reads it"},
		{name: "a template without bodyShort", answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
			if r.Method == http.MethodGet && templateByID.MatchString(r.URL.Path) {
				mnotifyRewriteJSON(a, func(v any) any {
					if o, ok := v.(map[string]any); ok {
						delete(o, "bodyShort")
					}
					return v
				})
			}
		}, caughtBy: "A template the sender has reads as the official client reads it"},

		// Behaviours only scenarios that create data can see.
		{name: "cancel of a transmitted notification accepted", mutating: true,
			answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
				if r.Method == http.MethodDelete && notificationByID.MatchString(r.URL.Path) && a.status == http.StatusConflict {
					id := strings.Trim(r.URL.Path[strings.LastIndex(strings.TrimSuffix(r.URL.Path, "/"), "/")+1:], "/")
					*a = mnotifyAnswer{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`"` + id + `"`)}
				}
			}, caughtBy: "A transmitted notification cannot be cancelled"},
		{name: "cancel answered but not done", mutating: true,
			as: func(role string, r *http.Request) string {
				if r.Method == http.MethodDelete && notificationByID.MatchString(r.URL.Path) {
					return mnotify.RoleSenderB // refused upstream, answered below as done
				}
				return role
			},
			answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
				if r.Method == http.MethodDelete && notificationByID.MatchString(r.URL.Path) && a.status == http.StatusForbidden {
					id := strings.Trim(r.URL.Path[strings.LastIndex(strings.TrimSuffix(r.URL.Path, "/"), "/")+1:], "/")
					*a = mnotifyAnswer{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}}, body: []byte(`"` + id + `"`)}
				}
			}, caughtBy: "A notification cancelled at once is cancelling, unless it was transmitted already"},
		{name: "an IDNP of 12 digits accepted", mutating: true,
			request: func(r *http.Request, body []byte) []byte {
				return bytes.ReplaceAll(body, []byte(`"222222222222"`), []byte(`"2222222222222"`))
			}, caughtBy: "Documented validation rules name the field at fault"},
		{name: "validation failures are 422", mutating: true,
			answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
				if r.Method == http.MethodPost && a.status == http.StatusBadRequest {
					a.status = http.StatusUnprocessableEntity
				}
			}, caughtBy: "Documented validation rules name the field at fault"},
		{name: "the id answered without quotes", mutating: true,
			answer: func(r *http.Request, _ string, a *mnotifyAnswer, _ func(string) *mnotifyAnswer) {
				if r.Method == http.MethodPost && a.status == http.StatusOK && bytes.HasPrefix(a.body, []byte(`"`)) {
					a.body = bytes.Trim(a.body, `"`)
				}
			}, caughtBy: "A notification is accepted and its id returned as a JSON string"},
		{name: "another sender's template deleted", mutating: true, answer: mnotifyRetryAsOwner(http.MethodDelete, templateByID),
			caughtBy: "A sender cannot change another sender's template"},
		{name: "another sender's template updated", mutating: true, answer: mnotifyRetryAsOwner(http.MethodPut, templateByID),
			caughtBy: "A sender cannot update another sender's template"},
		{name: "another sender's notification cancelled", mutating: true, answer: mnotifyRetryAsOwner(http.MethodDelete, notificationByID),
			caughtBy: "A sender cannot cancel another sender's notification"},
		{name: "another sender's notification in its history", mutating: true,
			as: func(role string, r *http.Request) string {
				if role == mnotify.RoleSenderB && r.Method == http.MethodGet && mnotifyListPath.MatchString(r.URL.Path) {
					return mnotify.RoleSenderA
				}
				return role
			}, caughtBy: "Another sender's history does not show it"},
	}
}

// The suite, run as against a real MNotify with the certificate of every
// role, fails each faulty deployment, naming the scenario that caught it; a
// read-only behaviour is caught without AllowMutating. The same runs through
// a proxy that breaks nothing pass, and run the read-only scenarios rather
// than skip them (the senders have history).
func TestSuiteFailsFaultyMNotifyDeployments(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the MNotify suite against 32 faulty deployments")
	}
	readOnly := upstreamMNotify(t, 21)
	t.Run("no fault", func(t *testing.T) {
		t.Parallel()
		// The simulator itself, as a real deployment.
		if status, results := runMNotify(t, realMNotify(t, "the simulator as a real MNotify", readOnly), false); status != 0 {
			t.Fatalf("the simulator itself: status %d; failed: %v", status, mnotifyFailedOf(results))
		}
		for _, mutating := range []bool{false, true} {
			upstream := readOnly
			if mutating {
				upstream = upstreamMNotify(t, 22)
			}
			target := realMNotify(t, "a faithful MNotify", mnotifyProxy(t, upstream, mnotifyFault{}))
			status, results := runMNotify(t, target, mutating)
			if status != 0 {
				t.Fatalf("allow mutating %v: status %d; failed: %v", mutating, status, mnotifyFailedOf(results))
			}
			for k, v := range results {
				if strings.HasPrefix(k, "mnotify/what-a-sender-has.feature") && v != "passed" {
					t.Errorf("allow mutating %v: %s %s, want passed: the senders have history", mutating, k, v)
				}
			}
			if len(results) < 20 {
				t.Errorf("allow mutating %v: only %d scenarios ran", mutating, len(results))
			}
		}
	})
	for i, f := range mnotifyFaults() {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			upstream := readOnly
			if f.mutating {
				upstream = upstreamMNotify(t, 100+uint64(i))
			}
			target := realMNotify(t, "a faulty MNotify: "+f.name, mnotifyProxy(t, upstream, f))
			status, results := runMNotify(t, target, f.mutating)
			caught := mnotifyResultsOf(results, f.caughtBy)
			if len(caught) == 0 {
				t.Fatalf("no scenario %q ran", f.caughtBy)
			}
			if status != 1 || !mnotifyHas(caught, "failed") {
				t.Fatalf("status %d, scenario %q %v; want it failed. Failed: %v", status, f.caughtBy, caught, mnotifyFailedOf(results))
			}
			t.Logf("caught by %q (allow mutating %v); failed: %d scenarios", f.caughtBy, f.mutating, len(mnotifyFailedOf(results)))
		})
	}
}

func mnotifyHas(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
