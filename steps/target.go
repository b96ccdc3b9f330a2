package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Target is what the suite runs against: a Herald, or a real deployment of
// one or more systems.
type Target struct {
	// Name describes the target in reports: "in-process simulator", a URL.
	Name string
	// ControlURL is the base of a Herald's control API, ending in "/":
	// "http://127.0.0.1:8080/_herald/v1/". Empty for a real deployment.
	ControlURL string
	// ControlToken is the bearer token the control API asks for, if any.
	ControlToken string
	// Client sends control requests, and system requests unless the system
	// names its own; nil is a client with a 30 s timeout.
	Client *http.Client
	// Systems holds, by system name, how to reach each system. A system
	// without an entry is not under test: its scenarios are left out.
	Systems map[string]*SystemTarget
}

// SystemTarget is how to reach one system.
type SystemTarget struct {
	// BaseURL ends in "/": "http://127.0.0.1:8080/mopay/".
	BaseURL string
	// Clients by role, for systems whose credential is the connection (a
	// client certificate per sender, say); "" is the default role.
	Clients map[string]*http.Client
	// Params are the system's other settings: accounts, passwords, forms.
	// Each module documents the keys it reads.
	Params map[string]string
	// Certificates holds, by role, the client certificate (PEM) that role's
	// client presents, for steps that must name it (registering it with a
	// Herald, say). A target file fills it beside Clients.
	Certificates map[string]string
}

// Client returns the client of a role, falling back to the default role and
// then to the target's client.
func (t Target) ClientFor(system, role string) *http.Client {
	if st := t.Systems[system]; st != nil {
		if c := st.Clients[role]; c != nil {
			return c
		}
		if c := st.Clients[""]; c != nil {
			return c
		}
	}
	if t.Client != nil {
		return t.Client
	}
	return http.DefaultClient
}

// Param returns a system's parameter, "" when unset.
func (t Target) Param(system, key string) string {
	if st := t.Systems[system]; st != nil {
		return st.Params[key]
	}
	return ""
}

// IsHerald reports whether the target has Herald's control API.
func (t Target) IsHerald() bool { return t.ControlURL != "" }

// SystemInfo is what a Herald's control API says of one system.
type SystemInfo struct {
	Name     string `json:"name"`
	Listener string `json:"listener"`
	BasePath string `json:"basePath"`
	BaseURL  string `json:"baseURL"`
}

// Herald returns the Target of a Herald whose systems are described by
// infos, with each module's seeded credentials; controlURL ends in "/".
func Herald(controlURL string, infos []SystemInfo, modules []Module) Target {
	t := Target{Name: strings.TrimSuffix(strings.TrimSuffix(controlURL, "/"), "/_herald/v1"), ControlURL: controlURL, Systems: map[string]*SystemTarget{}}
	for _, info := range infos {
		for _, m := range modules {
			if m.System() == info.Name {
				base := info.BaseURL
				if !strings.HasSuffix(base, "/") {
					base += "/"
				}
				t.Systems[info.Name] = m.ForHerald(base)
			}
		}
	}
	return t
}

// Discover asks the Herald at base ("http://127.0.0.1:8080") where its
// systems are, and returns its Target. It fails with one clear message when
// no Herald answers there, or when a listener of a system under test
// answers nowhere.
func Discover(ctx context.Context, base, token string, client *http.Client, modules []Module) (Target, error) {
	return DiscoverPublished(ctx, base, token, client, modules, nil)
}

// DiscoverPublished is Discover for a Herald whose listeners of their own
// are published elsewhere than it says (a container's remapped ports):
// published gives, by listener name, the URL a listener answers at
// ("mnotify": "https://127.0.0.1:49153"); the main listener is base.
func DiscoverPublished(ctx context.Context, base, token string, client *http.Client, modules []Module, published map[string]string) (Target, error) {
	base = strings.TrimSuffix(base, "/")
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	controlURL := base + "/_herald/v1/"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, controlURL+"info", nil)
	if err != nil {
		return Target{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Target{}, fmt.Errorf("no Herald answers there: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		if token != "" {
			return Target{}, fmt.Errorf("its control API refuses the token given (--control-token or HERALD_CONTROL_TOKEN)")
		}
		return Target{}, fmt.Errorf("its control API asks for a token: give --control-token or HERALD_CONTROL_TOKEN (the one herald serve was given, or made up and printed)")
	}
	var info struct {
		Name    string
		Systems []SystemInfo
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&info); err != nil || resp.StatusCode != http.StatusOK || info.Name != "herald" {
		return Target{}, fmt.Errorf("this is not a Herald (GET %sinfo answered %d)", controlURL, resp.StatusCode)
	}
	if err := checkPublished(info.Systems, published); err != nil {
		return Target{}, err
	}
	tested := map[string]bool{}
	for _, m := range modules {
		tested[m.System()] = true
	}
	for i, s := range info.Systems {
		info.Systems[i].BaseURL = reachable(base, s, published[s.Listener])
		if tested[s.Name] && !onMain(s) {
			if err := probe(ctx, info.Systems[i].BaseURL); err != nil {
				return Target{}, fmt.Errorf("the listener %s (system %s) answers nowhere at %s (the Herald reports %s): %v; "+
					"if its port is published elsewhere (a container started with -p 127.0.0.1::PORT), name it: --listener-url %s=%s://HOST:PORT",
					s.Listener, s.Name, info.Systems[i].BaseURL, s.BaseURL, err, s.Listener, schemeOf(s.BaseURL))
			}
		}
	}
	t := Herald(controlURL, info.Systems, modules)
	t.Name, t.ControlToken = base, token
	return t, nil
}

// checkPublished refuses a published URL for a listener the Herald lacks,
// or that is no http(s) URL.
func checkPublished(systems []SystemInfo, published map[string]string) error {
	own := map[string]bool{}
	var names []string
	for _, s := range systems {
		if !onMain(s) && !own[s.Listener] {
			own[s.Listener] = true
			names = append(names, s.Listener)
		}
	}
	for name, raw := range published {
		if !own[name] {
			have := "none"
			if len(names) > 0 {
				have = strings.Join(names, ", ")
			}
			return fmt.Errorf("--listener-url %s: the Herald has no listener of that name besides its main one, which is the target URL itself (listeners of their own: %s)", name, have)
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--listener-url %s=%s: want an http:// or https:// URL such as https://127.0.0.1:49153", name, raw)
		}
	}
	return nil
}

func onMain(s SystemInfo) bool { return s.Listener == "" || s.Listener == "http" }

func schemeOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" {
		return u.Scheme
	}
	return "https"
}

// probe checks that something accepts connections at a URL's host.
func probe(ctx context.Context, raw string) error { return probeWithin(ctx, raw, 5*time.Second) }

// probeWithin is probe with its dial's timeout.
func probeWithin(ctx context.Context, raw string, timeout time.Duration) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", host)
	if err != nil {
		return err
	}
	return conn.Close()
}

// reachable is the URL a system answers at, as seen from where base was
// reached: on the main listener, base and its path (a Herald's own idea of
// its address may be a container's or 0.0.0.0); on a listener of its own,
// published (where the user says that listener answers) and its path, else
// the URL the Herald gives, on base's host when it names all interfaces.
func reachable(base string, s SystemInfo, published string) string {
	if onMain(s) || (s.BaseURL == "" && published == "") {
		return base + s.BasePath
	}
	if published != "" {
		return strings.TrimSuffix(published, "/") + s.BasePath
	}
	u, err := url.Parse(s.BaseURL)
	if err != nil {
		return s.BaseURL
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		if b, err := url.Parse(base); err == nil {
			u.Host = net.JoinHostPort(b.Hostname(), u.Port())
		}
	}
	return u.String()
}

// CheckReachable dials, once and briefly, the host of every system of a
// real deployment, before anything is sent, so that a URL where nothing
// answers is one error rather than the same failure in every scenario.
// givenBy names, by system, where its URL was given (a flag, a target
// file's key), for the error. A Herald's systems are not dialled: finding
// the Herald checked them (Discover).
func CheckReachable(ctx context.Context, t Target, givenBy map[string]string) error {
	if t.IsHerald() {
		return nil
	}
	names := make([]string, 0, len(t.Systems))
	for name := range t.Systems {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		base := t.Systems[name].BaseURL
		if err := probeWithin(ctx, base, reachTimeout); err != nil {
			where := ""
			if g := givenBy[name]; g != "" {
				where = " (given by " + g + ")"
			}
			return fmt.Errorf("%s: nothing answers at %s%s: %v; check the URL, and that the deployment is up and reachable from here", name, base, where, err)
		}
	}
	return nil
}

// reachTimeout bounds CheckReachable's dial of one system.
const reachTimeout = 3 * time.Second
