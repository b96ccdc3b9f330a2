package heraldcontainer

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"herald/steps"
	"herald/steps/monnet"
	"herald/steps/suite"
)

// testImage is the tag these tests build: apart from the user's herald:dev,
// and from any other run's on the same engine. TestMain removes it.
func testImage() string { return fmt.Sprintf("herald:heraldcontainer-test-%d", os.Getpid()) }

func TestMain(m *testing.M) {
	// No registry here: Ryuk cannot be pulled, and only the exact "true"
	// turns it off. Tests that run in a container reach published ports on
	// loopback only.
	if _, ok := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !ok {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" {
		os.Setenv("TESTCONTAINERS_HOST_OVERRIDE", "127.0.0.1")
	}
	code := m.Run()
	_ = exec.Command("docker", "rmi", "-f", testImage()).Run()
	os.Exit(code)
}

// needDocker skips loudly without Docker, and fails instead when
// HERALD_REQUIRE_DOCKER=1 (as CI sets it).
func needDocker(t *testing.T) {
	t.Helper()
	if err := exec.Command("docker", "info").Run(); err != nil {
		if os.Getenv("HERALD_REQUIRE_DOCKER") == "1" {
			t.Fatalf("Docker is required (HERALD_REQUIRE_DOCKER=1) and does not answer: %v", err)
		}
		t.Skipf("SKIPPED: Docker does not answer (%v); set HERALD_REQUIRE_DOCKER=1 to make this a failure", err)
	}
}

// repoRoot is the checkout this test runs in.
func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// buildImage builds the image as make image does, under testImage().
func buildImage(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	root := repoRoot(t)
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "herald"), "./cmd/herald")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), df, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker", "build", "-q", "-t", testImage(), dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0") // no buildx here: the classic builder
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
}

func TestImageRunsTheSuite(t *testing.T) {
	needDocker(t)
	buildImage(t)
	ctx := context.Background()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c, err := Run(ctx, WithImage(testImage()), WithSeed(9), WithArgs("--log-level", "warn"), WithClock(at, true))
	testcontainers.CleanupContainer(t, c)
	if err != nil {
		t.Fatal(err)
	}
	var clk struct {
		Now    time.Time
		Frozen bool
	}
	if err := c.Control(ctx, "GET", "clock", nil, &clk); err != nil || !clk.Now.Equal(at) || !clk.Frozen {
		t.Fatalf("clock %+v, want frozen at %s: %v", clk, at, err)
	}
	if cert, err := c.MonnetNotifierCert(ctx); err != nil || !strings.HasPrefix(string(cert), "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("Monnet's notifier certificate: %q, %v", cert, err)
	}
	// The Herald in the container reports the published ports, which
	// answer from here.
	var info struct {
		AddressNote string
		Systems     []struct{ Name, BaseURL string }
	}
	if err := c.Control(ctx, "GET", "info", nil, &info); err != nil || info.AddressNote != "" {
		t.Fatalf("info: %+v, %v", info, err)
	}
	for _, s := range info.Systems {
		if s.BaseURL != c.URLs[s.Name] {
			t.Errorf("the Herald reports %s at %s, published at %s", s.Name, s.BaseURL, c.URLs[s.Name])
		}
	}
	// The suite signs with the time now: the clock runs on from it again.
	if err := c.Control(ctx, "PUT", "clock", map[string]any{"now": time.Now().UTC().Format(time.RFC3339), "frozen": false}, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.URLs["mopay"], c.URL+"/mopay/") || c.Token == "" {
		t.Fatalf("URLs %v, token %q", c.URLs, c.Token)
	}
	modules, err := suite.Modules()
	if err != nil {
		t.Fatal(err)
	}
	// A listener of a system's own (MNotify's HTTPS) is published on a
	// port the container chose: the Herald inside reports its own, 8443;
	// the suite is told where it is published, as herald test
	// --listener-url does.
	published := map[string]string{}
	for name, u := range c.Listeners {
		if name != "http" {
			published[name] = u
		}
	}
	target, err := steps.DiscoverPublished(ctx, c.URL, c.Token, nil, modules, published)
	if err != nil {
		t.Fatal(err)
	}
	if got := target.Systems["mnotify"].BaseURL; got != c.URLs["mnotify"] {
		t.Fatalf("the suite sends MNotify to %s, published at %s", got, c.URLs["mnotify"])
	}
	if !strings.HasPrefix(c.URLs["mnotify"], "https://") {
		t.Fatalf("MNotify's listener is not published: URLs %v", c.URLs)
	}
	// Monnet's notifier, in the container, delivers to the suite's
	// receiver on the host.
	if mt := target.Systems[monnet.System]; mt != nil {
		ln, err := net.Listen("tcp", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		ln.Close()
		mt.Params[monnet.ParamReceiverListen] = "0.0.0.0:" + port
		mt.Params[monnet.ParamReceiverURL] = "http://" + HostGateway + ":" + port + "/"
	}
	var report strings.Builder
	if status := steps.Run(steps.RunOptions{Target: target, Modules: modules, Format: "progress", Output: &report, Concurrency: 2}); status != 0 {
		t.Fatalf("the suite against the container: status %d\n%s", status, report.String())
	}

	w, err := c.World(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.URLs["mopay"], "/_herald/worlds/"+w.ID+"/mopay/") {
		t.Fatalf("world URLs %v", w.URLs)
	}
	var clock struct{ Frozen bool }
	if err := w.Control(ctx, "PUT", "clock", map[string]any{"now": "2030-01-01T00:00:00Z"}, &clock); err != nil || !clock.Frozen {
		t.Fatalf("world clock: %v %v", clock, err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// The consumer module uses this package and heraldtest exactly as an
// integrator would, through a replace of this checkout.
func TestConsumerModule(t *testing.T) {
	needDocker(t)
	buildImage(t)
	cmd := exec.Command("go", "test", "-count=1", "./...")
	cmd.Dir = filepath.Join(repoRoot(t), "simulator", "heraldcontainer", "testdata", "consumer")
	cmd.Env = append(os.Environ(), "HERALD_IMAGE="+testImage(), "GOFLAGS=-mod=mod")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(8 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
	}
	if err != nil {
		t.Fatalf("the consumer's tests: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
