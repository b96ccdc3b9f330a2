package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"herald/simulator/system"
	"herald/specs/wire/mopay"
)

type exchange struct {
	status int
	body   map[string]any
	raw    string
}

func call(t *testing.T, h http.Handler, method, target, body string, header http.Header) exchange {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var v map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &v)
	return exchange{rec.Code, v, rec.Body.String()}
}

// registerAt registers the same account under a Mopay base path and returns
// its key pair.
func registerAt(t *testing.T, h http.Handler, base string) (key, secret string) {
	t.Helper()
	ex := call(t, h, "POST", base+"user_profile_create",
		`{"fsnm":"A","lsnm":"B","emal":"world@example.com","pswd":"Passw0rdX","devt":"Web","devs":"d","devn":"n"}`, nil)
	data, _ := ex.body["DATA"].(map[string]any)
	key, _ = data["pbcKey"].(string)
	secret, _ = data["secret"].(string)
	if ex.status != 200 || key == "" {
		t.Fatalf("register at %s: %d %s", base, ex.status, ex.raw)
	}
	return key, secret
}

func signedNotices(t *testing.T, h *Herald, base, key, secret string, now time.Time) exchange {
	ts := fmt.Sprint(now.Unix())
	hd := http.Header{}
	hd.Set(mopay.HeaderKey, key)
	hd.Set(mopay.HeaderTimestamp, ts)
	hd.Set(mopay.HeaderSignature, mopay.Signature(secret, ts))
	return call(t, h.Handler(), "GET", base+"user_notification_fetch?rqtp=user", "", hd)
}

func TestWorldsAreIsolated(t *testing.T) {
	h, err := New(Options{Seed: 11, Clock: fixedClock{}})
	if err != nil {
		t.Fatal(err)
	}
	h.SetBaseURL(MainListener, "http://herald.test")
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	created := call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", nil)
	if created.status != 201 || created.body["id"] != "w1" || created.body["baseURL"] != "http://herald.test/_herald/worlds/w1/" {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	w1 := "/_herald/worlds/w1"
	k0, s0 := registerAt(t, h.Handler(), "/mopay/")
	k1, s1 := registerAt(t, h.Handler(), w1+"/mopay/")
	if k0 == k1 {
		t.Fatal("the default world and w1 handed out the same key")
	}
	now := fixedClock{}.Now()
	if ex := signedNotices(t, h, w1+"/mopay/", k1, s1, now); ex.status != 401 || !strings.Contains(ex.raw, "response_empty") {
		t.Fatalf("w1's key in w1: %d %s", ex.status, ex.raw) // authenticated: this new user has no notification
	}
	if ex := signedNotices(t, h, "/mopay/", k1, s1, now); ex.status != 401 || !strings.Contains(ex.raw, `"Unauthorized"`) {
		t.Fatalf("w1's key in the default world: %d %s", ex.status, ex.raw)
	}
	if ex := signedNotices(t, h, w1+"/mopay/", k0, s0, now); !strings.Contains(ex.raw, `"Unauthorized"`) {
		t.Fatalf("the default world's key in w1: %d %s", ex.status, ex.raw)
	}

	// Its own clock, info and reset.
	if ex := call(t, h.Handler(), "PUT", w1+"/_herald/v1/clock", `{"now":"2030-01-01T00:00:00Z"}`, nil); ex.status != 200 {
		t.Fatalf("set w1's clock: %d %s", ex.status, ex.raw)
	}
	if ex := call(t, h.Handler(), "GET", "/_herald/v1/clock", "", nil); ex.body["frozen"] != false {
		t.Fatalf("w1's clock moved the default one: %s", ex.raw)
	}
	info := call(t, h.Handler(), "GET", w1+"/_herald/v1/info", "", nil)
	systems, _ := json.Marshal(info.body["systems"])
	if info.body["world"] != "w1" || !strings.Contains(string(systems), `"basePath":"/_herald/worlds/w1/mopay/"`) {
		t.Fatalf("w1's info: %s", info.raw)
	}
	if ex := call(t, h.Handler(), "POST", w1+"/_herald/v1/worlds", "", nil); ex.status != 404 {
		t.Fatalf("a world inside a world: %d %s", ex.status, ex.raw)
	}
	call(t, h.Handler(), "POST", w1+"/_herald/v1/reset", "", nil)
	if ex := signedNotices(t, h, "/mopay/", k0, s0, now); !strings.Contains(ex.raw, "response_empty") {
		t.Fatalf("w1's reset touched the default world: %d %s", ex.status, ex.raw)
	}

	// Listed, deleted, gone.
	var list []any
	ex := call(t, h.Handler(), "GET", "/_herald/v1/worlds", "", nil)
	if err := json.Unmarshal([]byte(ex.raw), &list); err != nil || len(list) != 1 {
		t.Fatalf("list: %s", ex.raw)
	}
	if ex := call(t, h.Handler(), "DELETE", "/_herald/v1/worlds/w1", "", nil); ex.status != 200 {
		t.Fatalf("delete: %d %s", ex.status, ex.raw)
	}
	if ex := call(t, h.Handler(), "GET", w1+"/_herald/v1/info", "", nil); ex.status != 404 {
		t.Fatalf("a deleted world answers: %d %s", ex.status, ex.raw)
	}
	if ex := call(t, h.Handler(), "DELETE", "/_herald/v1/worlds/w1", "", nil); ex.status != 404 {
		t.Fatalf("deleted twice: %d", ex.status)
	}
}

// The same seed gives the same world: a run in worlds is reproducible.
func TestWorldsAreReproducible(t *testing.T) {
	keys := make([]string, 2)
	for i := range keys {
		h, err := New(Options{Seed: 12, Clock: fixedClock{}})
		if err != nil {
			t.Fatal(err)
		}
		call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", nil)
		keys[i], _ = registerAt(t, h.Handler(), "/_herald/worlds/w1/mopay/")
		h.Close()
	}
	if keys[0] != keys[1] {
		t.Fatalf("same seed, different keys in w1: %s and %s", keys[0], keys[1])
	}
}

func TestWorldsAreBounded(t *testing.T) {
	h, err := New(Options{Seed: 1, MaxWorlds: 2, WorldIdle: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for i := 0; i < 2; i++ {
		if ex := call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", nil); ex.status != 201 {
			t.Fatalf("world %d: %d %s", i, ex.status, ex.raw)
		}
	}
	if ex := call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", nil); ex.status != 429 || !strings.Contains(ex.raw, "limit_reached") {
		t.Fatalf("a third world: %d %s", ex.status, ex.raw)
	}
	// Unused worlds expire.
	for deadline := time.Now().Add(10 * time.Second); len(h.ListWorlds()) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("idle worlds kept: %v", h.ListWorlds())
		}
	}
	if ex := call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", nil); ex.status != 201 || ex.body["id"] != "w3" {
		t.Fatalf("after expiry: %d %s (ids are never reused)", ex.status, ex.raw)
	}
}

// A system on its own listener is served there for every world.
func TestWorldsOnOwnListeners(t *testing.T) {
	h, err := New(Options{Seed: 5, Systems: []system.Definition{echoDefinition(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	own := h.Listeners()[1].Handler
	first := call(t, own, "GET", "/token", "", nil)
	call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", nil)
	inWorld := call(t, own, "GET", "/_herald/worlds/w1/token", "", nil)
	if first.status != 200 || inWorld.status != 200 || first.body["token"] == inWorld.body["token"] {
		t.Fatalf("default %s, w1 %s: want two answers from two streams", first.raw, inWorld.raw)
	}
	if ex := call(t, own, "GET", "/_herald/worlds/w9/token", "", nil); ex.status != 404 {
		t.Fatalf("an unknown world on the own listener: %d", ex.status)
	}
}

// With a token, every control route asks for it, in every world; the
// systems do not.
func TestControlToken(t *testing.T) {
	h, err := New(Options{Seed: 1, ControlToken: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	bearer := http.Header{"Authorization": {"Bearer s3cret"}}
	for _, hd := range []http.Header{nil, {"Authorization": {"Bearer wrong"}}, {"Authorization": {"s3cret"}}, {"Authorization": {"Bearer s3cret", "Bearer s3cret"}},
		{"Authorization": {"Basic s3cret"}}, {"Authorization": {"Bearers3cret"}}} {
		if ex := call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", hd); ex.status != 401 || !strings.Contains(ex.raw, "unauthorized") {
			t.Fatalf("with %v: %d %s", hd, ex.status, ex.raw)
		}
	}
	if ex := call(t, h.Handler(), "POST", "/_herald/v1/worlds", "", bearer); ex.status != 201 {
		t.Fatalf("with the token: %d %s", ex.status, ex.raw)
	}
	// RFC 9110: the scheme is case-insensitive.
	for _, scheme := range []string{"bearer", "BEARER"} {
		if ex := call(t, h.Handler(), "GET", "/_herald/v1/info", "", http.Header{"Authorization": {scheme + " s3cret"}}); ex.status != 200 {
			t.Fatalf("with the scheme %q: %d %s", scheme, ex.status, ex.raw)
		}
	}
	for _, p := range []string{"/_herald/worlds/w1/_herald/v1/info", "/_herald/v1/mopay/verification-codes/a@example.com"} {
		if ex := call(t, h.Handler(), "GET", p, "", nil); ex.status != 401 {
			t.Fatalf("%s without the token: %d", p, ex.status)
		}
	}
	if ex := call(t, h.Handler(), "GET", "/_herald/worlds/w1/_herald/v1/info", "", bearer); ex.status != 200 {
		t.Fatalf("world info with the token: %d", ex.status)
	}
	registerAt(t, h.Handler(), "/_herald/worlds/w1/mopay/") // systems ask for no token
	// The liveness probe alone needs no token, and tells nothing else.
	if ex := call(t, h.Handler(), "GET", "/_herald/v1/health", "", nil); ex.status != 200 || ex.raw != `{"name":"herald","status":"ok"}` {
		t.Fatalf("health without the token: %d %s", ex.status, ex.raw)
	}
	for _, p := range []string{"/_herald/v1/health/../info", "/_herald/v1/healthz", "/_herald/v1/health/x"} {
		if ex := call(t, h.Handler(), "GET", p, "", nil); ex.status != 401 {
			t.Fatalf("%s without the token: %d %s", p, ex.status, ex.raw)
		}
	}
}

// The control API reports what the simulators answered, per spec, until a
// reset.
func TestServedCoverage(t *testing.T) {
	h, err := New(Options{Seed: 1, Clock: fixedClock{}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	coverage := func() map[string]any {
		ex := call(t, h.Handler(), "GET", "/_herald/v1/coverage", "", nil)
		var list []map[string]any
		if err := json.Unmarshal([]byte(ex.raw), &list); err != nil || ex.status != 200 || len(list) != len(Registered()) {
			t.Fatalf("coverage: %d %s", ex.status, ex.raw)
		}
		for _, c := range list {
			if c["system"] == "mopay" {
				return c
			}
		}
		t.Fatalf("coverage has no mopay: %s", ex.raw)
		return nil
	}
	if ops := coverage()["operations"].(map[string]any); ops["covered"] != 0.0 || ops["total"] != 7.0 {
		t.Fatalf("before any call: %v", ops)
	}
	registerAt(t, h.Handler(), "/mopay/")
	c := coverage()
	if ops := c["operations"].(map[string]any); ops["covered"] != 1.0 || strings.Contains(fmt.Sprint(ops["missing"]), "user_profile_create") {
		t.Fatalf("after a registration: %v", c)
	}
	call(t, h.Handler(), "POST", "/_herald/v1/reset", "", nil)
	if ops := coverage()["operations"].(map[string]any); ops["covered"] != 0.0 {
		t.Fatalf("after a reset: %v", ops)
	}
}
