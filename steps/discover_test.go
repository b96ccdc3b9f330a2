package steps

import (
	"context"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cucumber/godog"

	"herald/specs"
)

// ownModule is a system served on a listener of its own, as MNotify is.
type ownModule struct{ name string }

func (m ownModule) System() string                      { return m.name }
func (m ownModule) Features() fs.FS                     { return nil }
func (m ownModule) Checker() *specs.Checker             { return nil }
func (m ownModule) ForHerald(base string) *SystemTarget { return &SystemTarget{BaseURL: base} }
func (m ownModule) Exclusions(Target) []Exclusion       { return nil }
func (m ownModule) Init(*godog.ScenarioContext)         {}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// fakeHerald answers GET /_herald/v1/info as a Herald in a container does:
// its own listener's URL is the bind address and the port inside.
func fakeHerald(t *testing.T, ownURL string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{"name":"herald","version":"dev","seed":1,"systems":[` +
			`{"name":"alpha","listener":"http","basePath":"/alpha/","baseURL":"http://[::]:8080/alpha/"},` +
			`{"name":"beta","listener":"beta","basePath":"/","baseURL":"` + ownURL + `/"}]}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A Herald in a container published with -p 127.0.0.1::8080 -p
// 127.0.0.1::8443 reports its listener's port inside: the port published
// for it, named once, is where the suite sends that system.
func TestDiscoverPublishedListener(t *testing.T) {
	published := httptest.NewServer(http.NotFoundHandler())
	defer published.Close()
	base := fakeHerald(t, "https://[::]:"+closedPort(t))
	modules := []Module{ownModule{"alpha"}, ownModule{"beta"}}

	target, err := DiscoverPublished(context.Background(), base, "", nil, modules, map[string]string{"beta": published.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got := target.Systems["beta"].BaseURL; got != published.URL+"/" {
		t.Errorf("beta at %s, want %s/", got, published.URL)
	}
	if got := target.Systems["alpha"].BaseURL; got != base+"/alpha/" {
		t.Errorf("alpha at %s, want %s/alpha/", got, base)
	}
}

// Without it, one clear error names the flag, rather than every scenario
// of the system failing with "connection refused".
func TestDiscoverUnreachableListener(t *testing.T) {
	port := closedPort(t)
	base := fakeHerald(t, "https://[::]:"+port)
	modules := []Module{ownModule{"alpha"}, ownModule{"beta"}}
	_, err := Discover(context.Background(), base, "", nil, modules)
	if err == nil {
		t.Fatal("a listener that answers nowhere was taken")
	}
	for _, want := range []string{"beta", "--listener-url beta=", "127.0.0.1:" + port, "https://[::]:" + port} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	// A system not under test is not probed; a listener the Herald lacks
	// is refused by name.
	if _, err := Discover(context.Background(), base, "", nil, modules[:1]); err != nil {
		t.Errorf("a listener of a system not under test was probed: %v", err)
	}
	_, err = DiscoverPublished(context.Background(), base, "", nil, modules, map[string]string{"gamma": "https://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "gamma") || !strings.Contains(err.Error(), "beta") {
		t.Errorf("an unknown listener: %v", err)
	}
}
