package heraldcontainer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"herald/fixtures"
	jwire "herald/specs/wire/journal"
)

// HostGateway is the name the container reaches the host by: give a
// receiver on the host (Monnet's notifications) as http://host.docker.internal:PORT/,
// listening on an address the container can reach (not loopback).
const HostGateway = "host.docker.internal"

// DefaultImage is what `make image` builds.
const DefaultImage = "herald:dev"

// defaultPorts are the ports the image serves: the main listener, and the
// listeners systems have of their own.
func defaultPorts() []string { return []string{"8080/tcp", "8443/tcp"} }

type config struct {
	image   string
	seed    *uint64
	token   string
	clock   *clockSetting
	args    []string
	env     map[string]string
	ports   []string
	timeout time.Duration
	// entrypoint is the container's, and hostOverride the host its ports
	// are reached at ("": testcontainers'); tests change them.
	entrypoint   string
	hostOverride string
}

type clockSetting struct {
	now    time.Time
	frozen bool
}

// Option adjusts the container Run starts.
type Option func(*config)

// WithImage names the image (default herald:dev).
func WithImage(image string) Option { return func(c *config) { c.image = image } }

// WithSeed sets the random seed, so that a run repeats.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = &seed } }

// WithToken sets the control API's token (default: one made up here).
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithClock sets the simulator clock once the container is healthy:
// frozen at now, or running on from it; heraldtest.WithClock takes the same.
func WithClock(now time.Time, frozen bool) Option {
	return func(c *config) { c.clock = &clockSetting{now, frozen} }
}

// WithArgs adds herald serve flags, such as "--mopay-rate-limit", "0".
func WithArgs(args ...string) Option { return func(c *config) { c.args = append(c.args, args...) } }

// WithEnv adds an environment variable to the container.
func WithEnv(key, value string) Option {
	return func(c *config) {
		if c.env == nil {
			c.env = map[string]string{}
		}
		c.env[key] = value
	}
}

// WithStartupTimeout bounds the wait for the control API (default 60 s).
func WithStartupTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// Container is a running Herald.
type Container struct {
	testcontainers.Container
	// URL is the main listener's base on the host: "http://127.0.0.1:PORT".
	URL string
	// ControlURL is the control API's base, ending in "/".
	ControlURL string
	// Token is the control API's bearer token.
	Token string
	// URLs holds each system's base URL on the host, ending in "/".
	URLs map[string]string
	// Listeners holds each listener's base URL on the host, by name
	// ("http", "mnotify"…), as heraldtest.Server.Listeners does: for
	// herald test --listener-url or steps.DiscoverPublished.
	Listeners map[string]string
	// Client sends control requests with the token.
	Client *http.Client
	host   string // where its ports are reached; "": testcontainers' Host
}

// Run starts a Herald container and waits until its control API answers,
// inside the container and from here. On error it terminates and removes
// whatever it started, and returns nil: nothing is left behind, even with
// Ryuk off. The error says what to set or run when the cause is known (no
// image: make image; TESTCONTAINERS_RYUK_DISABLED;
// TESTCONTAINERS_HOST_OVERRIDE).
func Run(ctx context.Context, opts ...Option) (*Container, error) {
	cfg := config{image: DefaultImage, ports: defaultPorts(), timeout: 60 * time.Second, entrypoint: "/herald"}
	for _, o := range opts {
		o(&cfg)
	}
	if err := preflight(ctx, cfg.image); err != nil {
		return nil, err
	}
	if cfg.token == "" {
		cfg.token = fmt.Sprintf("tc-%d", time.Now().UnixNano())
	}
	env := map[string]string{"HERALD_CONTROL_TOKEN": cfg.token}
	for k, v := range cfg.env {
		env[k] = v
	}
	cmd := []string{"serve", "--host", "0.0.0.0"}
	if cfg.seed != nil {
		cmd = append(cmd, "--seed", strconv.FormatUint(*cfg.seed, 10))
	}
	cmd = append(cmd, cfg.args...)
	ctr, err := testcontainers.Run(ctx, cfg.image,
		testcontainers.WithEntrypoint(cfg.entrypoint),
		testcontainers.WithCmd(cmd...),
		testcontainers.WithEnv(env),
		testcontainers.WithExposedPorts(cfg.ports...),
		// The container reaches the host as host.docker.internal, as on
		// Docker Desktop: Monnet's notifier delivers to a merchant's
		// receiver that runs on the host.
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.ExtraHosts = append(hc.ExtraHosts, HostGateway+":host-gateway")
		}),
		// Ready when herald health answers inside the container (the
		// token is in its environment): this needs no route from here,
		// and fails at once when the container has exited.
		testcontainers.WithWaitStrategy(wait.ForExec([]string{"/herald", "health"}).
			WithPollInterval(200*time.Millisecond).WithStartupTimeout(cfg.timeout)),
	)
	if err != nil {
		return nil, abandon(ctr, fmt.Errorf("heraldcontainer: the container did not become ready: %w", err))
	}
	c := &Container{Container: ctr, Token: cfg.token, URLs: map[string]string{}, Listeners: map[string]string{},
		Client: &http.Client{Timeout: 30 * time.Second}, host: cfg.hostOverride}
	if err := c.discover(ctx); err != nil {
		return nil, abandon(ctr, err)
	}
	if cfg.clock != nil {
		body := map[string]any{"now": cfg.clock.now.UTC().Format(time.RFC3339Nano), "frozen": cfg.clock.frozen}
		if err := c.Control(ctx, http.MethodPut, "clock", body, nil); err != nil {
			return nil, abandon(ctr, err)
		}
	}
	return c, nil
}

// abandon terminates and removes a container that did not start as it
// should (Created, Exited, or running but unusable), and returns err with
// the end of its output, which says why.
func abandon(ctr testcontainers.Container, err error) error {
	if ctr == nil || reflect.ValueOf(ctr).IsNil() {
		return err
	}
	// The caller's context may be what ended: clean up on one of our own.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if logs, lerr := ctr.Logs(ctx); lerr == nil {
		b, _ := io.ReadAll(io.LimitReader(logs, 64<<10))
		logs.Close()
		if out := briefly(string(b)); out != "" {
			err = fmt.Errorf("%w; the container's output:\n%s", err, out)
		}
	}
	if terr := testcontainers.TerminateContainer(ctr, testcontainers.StopContext(ctx)); terr != nil {
		err = fmt.Errorf("%w; removing the container failed too (docker rm -f %s): %v", err, ctr.GetContainerID(), terr)
	}
	return err
}

// briefly is a container's output, its first and last three lines when
// longer: an error comes first, before a usage text.
func briefly(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 6 {
		lines = append(append(lines[:3:3], "…"), lines[len(lines)-3:]...)
	}
	return strings.Join(lines, "\n")
}

// preflight checks, before anything is started, what would otherwise fail
// late or obscurely: Docker answers, the image is there (nothing is
// pulled), and Ryuk is off unless its image is there too.
func preflight(ctx context.Context, image string) error {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("heraldcontainer: Docker: %w", err)
	}
	defer p.Close()
	has := func(ref string) (bool, error) {
		_, err := p.Client().ImageInspect(ctx, ref)
		switch {
		case err == nil:
			return true, nil
		case cerrdefs.IsNotFound(err):
			return false, nil
		}
		return false, err
	}
	return checkSetup(image, has, testcontainers.ReadConfig().RyukDisabled)
}

// checkSetup is preflight's judgement: has tells whether the local Docker
// holds an image.
func checkSetup(image string, has func(string) (bool, error), ryukDisabled bool) error {
	ok, err := has(image)
	if err != nil {
		return fmt.Errorf("heraldcontainer: Docker does not answer (is it running, and DOCKER_HOST right?): %w", err)
	}
	if !ok {
		return fmt.Errorf("heraldcontainer: no image %s in the local Docker: build it with `make image` (heraldcontainer never pulls one)", image)
	}
	if !ryukDisabled {
		//lint:ignore SA1019 the name of the reaper's image is what must be in the local Docker; testcontainers still starts this one
		reaper := testcontainers.ReaperDefaultImage
		if ok, err := has(reaper); err != nil || !ok {
			return fmt.Errorf("heraldcontainer: Ryuk, testcontainers' reaper, is on and its image %s is not in the local Docker, so it would be pulled from a registry: "+
				"set TESTCONTAINERS_RYUK_DISABLED=true (exactly true) where there is no registry; heraldcontainer removes what it started itself, and testcontainers.CleanupContainer the rest", reaper)
		}
	}
	return nil
}

// hostURL is where a port of the container answers on the host.
func (c *Container) hostURL(ctx context.Context, scheme, port string) (string, error) {
	host := c.host
	if host == "" {
		var err error
		if host, err = c.Host(ctx); err != nil {
			return "", fmt.Errorf("heraldcontainer: %w", err)
		}
	}
	mapped, err := c.MappedPort(ctx, port+"/tcp")
	if err != nil {
		return "", fmt.Errorf("heraldcontainer: port %s is not published (is it among the exposed ports?): %w", port, err)
	}
	return scheme + "://" + net.JoinHostPort(host, mapped.Port()), nil
}

// discover reads the systems from the control API and maps each listener's
// port to the host.
func (c *Container) discover(ctx context.Context) error {
	var err error
	if c.URL, err = c.hostURL(ctx, "http", "8080"); err != nil {
		return err
	}
	c.ControlURL = c.URL + "/_herald/v1/"
	c.Listeners["http"] = c.URL
	// The Herald answers inside the container; from here, its published
	// port must too.
	if conn, err := (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, "tcp", strings.TrimPrefix(c.URL, "http://")); err != nil {
		return fmt.Errorf("heraldcontainer: the Herald is up in the container, but its published port answers nowhere at %s from here (%v): "+
			"where the tests run inside a container, set TESTCONTAINERS_HOST_OVERRIDE to the address the published ports answer at (127.0.0.1 when it shares the host's network)", c.URL, err)
	} else {
		conn.Close()
	}
	var info struct {
		Systems []struct {
			Name, Listener, BasePath string
			BaseURL                  string `json:"baseURL"`
		}
	}
	if err := c.Control(ctx, http.MethodGet, "info", nil, &info); err != nil {
		return err
	}
	for _, s := range info.Systems {
		if s.Listener == "http" {
			c.URLs[s.Name] = c.URL + s.BasePath
			continue
		}
		u, err := url.Parse(s.BaseURL)
		if err != nil || u.Port() == "" {
			return fmt.Errorf("heraldcontainer: system %s has no usable base URL (%q)", s.Name, s.BaseURL)
		}
		base, err := c.hostURL(ctx, u.Scheme, u.Port())
		if err != nil {
			return err
		}
		c.Listeners[s.Listener] = base
		c.URLs[s.Name] = base + s.BasePath
	}
	// The Herald reports these from now on: its info and new worlds give
	// URLs usable from here.
	return c.Control(ctx, http.MethodPut, "listeners", c.Listeners, nil)
}

// Control calls the control API: method, a path under ControlURL, a JSON
// body or nil; the answer is decoded into out when given (a JSON answer
// into anything json.Unmarshal takes, any answer as it is into a *[]byte
// or *string: a PEM certificate, say).
func (c *Container) Control(ctx context.Context, method, path string, body, out any) error {
	return control(ctx, c.Client, c.ControlURL, c.Token, method, path, body, out)
}

// World is an isolated world of the Herald: its own state, clock and random
// streams at other base URLs.
type World struct {
	ID         string
	ControlURL string
	URLs       map[string]string
	c          *Container
}

// World opens an isolated world; Close deletes it.
func (c *Container) World(ctx context.Context) (*World, error) {
	var info struct {
		ID       string
		BasePath string
		Systems  []struct{ Name, BasePath string }
	}
	if err := c.Control(ctx, http.MethodPost, "worlds", nil, &info); err != nil {
		return nil, err
	}
	w := &World{ID: info.ID, ControlURL: c.URL + info.BasePath + "_herald/v1/", URLs: map[string]string{}, c: c}
	for _, s := range info.Systems {
		// The world's path under each system's own base URL: swap the
		// root's base path for the world's.
		root := c.URLs[s.Name]
		u, err := url.Parse(root)
		if err != nil {
			return nil, err
		}
		u.Path = s.BasePath
		w.URLs[s.Name] = u.String()
	}
	return w, nil
}

// Control calls the world's control API, as Container.Control does.
func (w *World) Control(ctx context.Context, method, path string, body, out any) error {
	return control(ctx, w.c.Client, w.ControlURL, w.c.Token, method, path, body, out)
}

// The journal's types, shared with heraldtest (herald/specs/wire/journal):
// a Match built for one works with the other.
type (
	// Journal reads a world's journal through the control API, with the
	// token.
	Journal = jwire.Client
	// Match is what a count asks of an exchange: every field given must
	// hold.
	Match = jwire.Match
	// JournalFilter selects the exchanges Journal.List returns.
	JournalFilter = jwire.Filter
	// JournalEntry is one exchange the journal kept.
	JournalEntry = jwire.Entry
)

// Journal reads the default world's journal:
//
//	c.Journal().AssertReceived(t, heraldcontainer.Match{System: "mopay", Operation: "user_notice_fetch", Status: "2xx"}, 1)
func (c *Container) Journal() *Journal {
	return &Journal{ControlURL: c.ControlURL, Token: c.Token, HTTP: c.Client}
}

// Journal reads the world's journal, which holds only its own exchanges.
func (w *World) Journal() *Journal {
	return &Journal{ControlURL: w.ControlURL, Token: w.c.Token, HTTP: w.c.Client}
}

// Close deletes the world.
func (w *World) Close(ctx context.Context) error {
	return w.c.Control(ctx, http.MethodDelete, "worlds/"+w.ID, nil, nil)
}

func control(ctx context.Context, client *http.Client, base, token, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+strings.TrimPrefix(path, "/"), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("heraldcontainer: control %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("heraldcontainer: control %s %s answered %d: %s", method, path, resp.StatusCode, b)
	}
	switch out := out.(type) {
	case nil:
	case *[]byte:
		*out = b
	case *string:
		*out = string(b)
	default:
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("heraldcontainer: control %s %s: %w", method, path, err)
		}
	}
	return nil
}

// MonnetNotifierCert is the certificate (PEM) Monnet's notifier signs
// with, as Monnet hands it to merchants: what a merchant's receiver
// verifies notifications against.
func (c *Container) MonnetNotifierCert(ctx context.Context) ([]byte, error) {
	var pem []byte
	if err := c.Control(ctx, http.MethodGet, "monnet/notifier/certificate", nil, &pem); err != nil {
		return nil, err
	}
	return pem, nil
}

// MNotifyClient is an HTTP client of MNotify presenting role's test
// certificate ("sender-a", "sender-b", "unregistered", "expired", "revoked",
// "foreign"; "" presents none), trusting the test CA. TestCA is that CA's
// PEM, for clients of your own.
func (c *Container) MNotifyClient(role string) (*http.Client, error) {
	cfg, err := fixtures.MNotifyClientTLS(role)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// TestCA is the PEM of the CA that issued the MNotify server and sender
// test certificates.
func (c *Container) TestCA() []byte {
	ca, _, _ := fixtures.MNotifyCert("ca")
	return ca
}
