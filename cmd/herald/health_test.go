package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"herald/simulator"
)

// herald health is the image's health check: a Herald that asks for a token
// (it listens beyond loopback and made one up) is healthy without it, and a
// token given is proven.
func TestHealthNeedsNoToken(t *testing.T) {
	h, err := simulator.New(simulator.Options{Seed: 1, ControlToken: "made-up"})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	defer other.Close()
	t.Setenv("HERALD_CONTROL_TOKEN", "")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"health", "--url", srv.URL}, 0, "herald health: ok"},
		{[]string{"health", "--url", srv.URL, "--control-token", "made-up"}, 0, "herald health: ok"},
		{[]string{"health", "--url", srv.URL, "--control-token", "wrong"}, 1, "token"},
		{[]string{"health", "--url", other.URL}, 1, "not a Herald's"},
		{[]string{"health", "--url", "http://127.0.0.1:1"}, 1, "no Herald answers at http://127.0.0.1:1"},
	} {
		var out, errOut bytes.Buffer
		code := run(c.args, &out, &errOut)
		if code != c.code || !strings.Contains(out.String()+errOut.String(), c.want) {
			t.Errorf("herald %q: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, out.String(), errOut.String(), c.code, c.want)
		}
	}
}
