package steps

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// A target file describes what `herald test --target FILE` runs against:
//
//	name: staging
//	herald: {url: http://127.0.0.1:8080, token: ${HERALD_CONTROL_TOKEN}}   # only for a Herald
//	timeout: 30s
//	systems:
//	  mopay:
//	    url: https://service.mopay-ng.com/
//	    params: {email: qa@example.com, password: ${MOPAY_PASSWORD}}
//	  mnotify:
//	    url: https://mnotify.example/
//	    ca: certs/ca.crt
//	    clients: {sender-a: {cert: certs/a.crt, key: certs/a.key}}
//
// ${VAR} in a value is the environment variable VAR (a missing one is an
// error). Every key can also be set by the flag --set KEY=VALUE or by the
// environment variable HERALD_ followed by the key in capitals, dots and
// dashes as underscores (HERALD_SYSTEMS_MOPAY_PARAMS_EMAIL); a flag wins
// over the environment, which wins over the file. Relative paths are
// relative to the file.

// TargetSources are where a target's values come from besides the file.
type TargetSources struct {
	// Sets are --set values, by dotted key.
	Sets map[string]string
	// Env looks up environment variables; nil is os.LookupEnv.
	Env func(string) (string, bool)
}

// keyPath is a dotted key and the line that gave it (0: not from the file).
type value struct {
	v    string
	line int
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// LoadTargetFile reads a target file; errors name the file, the key at
// fault and its line.
func LoadTargetFile(path string, src TargetSources) (Target, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Target{}, fmt.Errorf("target file: %w", err)
	}
	if src.Env == nil {
		src.Env = os.LookupEnv
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return Target{}, fmt.Errorf("target file %s: %w", path, err)
	}
	vals := map[string]value{}
	fail := func(line int, format string, args ...any) error {
		where := path
		if line > 0 {
			where = fmt.Sprintf("%s line %d", path, line)
		}
		return fmt.Errorf("target file %s: %s", where, fmt.Sprintf(format, args...))
	}
	if len(root.Content) > 0 {
		if err := flatten(root.Content[0], "", vals, fail); err != nil {
			return Target{}, err
		}
	}
	// The environment, then --set, over the file.
	for key := range allowedKeys(vals, src.Sets) {
		if v, ok := src.Env("HERALD_" + envName(key)); ok && v != "" {
			vals[key] = value{v: v}
		}
	}
	for k, v := range src.Sets {
		vals[k] = value{v: v}
	}
	// Check every key, and expand ${VAR}.
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := vals[k]
		if why := keyProblem(k); why != "" {
			return Target{}, fail(val.line, "key %s: %s", k, why)
		}
		var missing string
		val.v = envRef.ReplaceAllStringFunc(val.v, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := src.Env(name)
			if !ok {
				missing = name
			}
			return v
		})
		if missing != "" {
			return Target{}, fail(val.line, "key %s: the environment variable %s is not set", k, missing)
		}
		vals[k] = val
	}

	t := Target{Name: vals["name"].v, Systems: map[string]*SystemTarget{}}
	timeout := 30 * time.Second
	if v, ok := vals["timeout"]; ok {
		if timeout, err = time.ParseDuration(v.v); err != nil || timeout <= 0 {
			return Target{}, fail(v.line, "key timeout: %q is not a positive duration such as 30s", v.v)
		}
	}
	t.Client = &http.Client{Timeout: timeout}
	if u, ok := vals["herald.url"]; ok {
		base, err := absoluteURL(u.v)
		if err != nil {
			return Target{}, fail(u.line, "key herald.url: %v", err)
		}
		t.ControlURL, t.ControlToken = strings.TrimSuffix(base, "/")+"/_herald/v1/", vals["herald.token"].v
		if t.Name == "" {
			t.Name = base
		}
	}
	dir := filepath.Dir(path)
	for _, k := range keys {
		parts := strings.Split(k, ".")
		if parts[0] != "systems" || len(parts) < 3 {
			continue
		}
		name := parts[1]
		st := t.Systems[name]
		if st == nil {
			sysURL, ok := vals["systems."+name+".url"]
			if !ok {
				return Target{}, fail(vals[k].line, "key systems.%s.url is missing: each system needs its base URL", name)
			}
			base, err := absoluteURL(sysURL.v)
			if err != nil {
				return Target{}, fail(sysURL.line, "key systems.%s.url: %v", name, err)
			}
			st = &SystemTarget{BaseURL: base, Params: map[string]string{}, Clients: map[string]*http.Client{}}
			t.Systems[name] = st
		}
		if parts[2] == "params" {
			st.Params[strings.Join(parts[3:], ".")] = vals[k].v
		}
	}
	for name, st := range t.Systems {
		if err := buildClients(name, st, vals, dir, timeout, fail); err != nil {
			return Target{}, err
		}
	}
	if len(t.Systems) == 0 {
		return Target{}, fail(0, "no systems: give at least one under systems:, such as systems.mopay.url")
	}
	if t.Name == "" {
		t.Name = path
	}
	return t, nil
}

// flatten turns the YAML tree into dotted keys with their lines.
func flatten(n *yaml.Node, prefix string, out map[string]value, fail func(int, string, ...any) error) error {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := k.Value
			if prefix != "" {
				key = prefix + "." + k.Value
			}
			if _, dup := out[key]; dup {
				return fail(k.Line, "key %s is given twice", key)
			}
			if err := flatten(v, key, out, fail); err != nil {
				return err
			}
		}
	case yaml.ScalarNode:
		out[prefix] = value{v: n.Value, line: n.Line}
	default:
		return fail(n.Line, "key %s: want a value or a mapping, not a list", prefix)
	}
	return nil
}

var (
	systemKey = regexp.MustCompile(`^systems\.[a-z][a-z0-9]*\.(url|ca|params\.[A-Za-z0-9_.-]+|clients\.[A-Za-z0-9_-]+\.(cert|key))$`)
	topKeys   = map[string]bool{"name": true, "timeout": true, "herald.url": true, "herald.token": true}
)

// keyProblem says what is wrong with a key, "" when it is one of the file's.
func keyProblem(k string) string {
	if topKeys[k] || systemKey.MatchString(k) {
		return ""
	}
	return "unknown key (want name, timeout, herald.url, herald.token, and per system systems.NAME.url, .ca, .params.KEY, .clients.ROLE.cert and .key)"
}

// allowedKeys are the keys the environment may set: those of the file and
// of --set, and each system's URL and the Herald's.
func allowedKeys(vals map[string]value, sets map[string]string) map[string]bool {
	out := map[string]bool{"name": true, "timeout": true, "herald.url": true, "herald.token": true}
	for k := range vals {
		out[k] = true
	}
	for k := range sets {
		out[k] = true
	}
	return out
}

func envName(key string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}

func absoluteURL(raw string) (string, error) {
	if !strings.HasPrefix(raw, "http://") && !strings.HasPrefix(raw, "https://") {
		return "", fmt.Errorf("%q is not an http:// or https:// URL", raw)
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw, nil
}

// buildClients makes one HTTP client per role from its certificate and key,
// trusting the system's CA when one is given.
func buildClients(name string, st *SystemTarget, vals map[string]value, dir string, timeout time.Duration, fail func(int, string, ...any) error) error {
	resolve := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	prefix := "systems." + name + "."
	var roots *x509.CertPool
	if ca, ok := vals[prefix+"ca"]; ok {
		pem, err := os.ReadFile(resolve(ca.v))
		if err != nil {
			return fail(ca.line, "key %sca: %v", prefix, err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fail(ca.line, "key %sca: %s holds no PEM certificate", prefix, ca.v)
		}
	}
	roles := map[string]bool{}
	for k := range vals {
		if rest, ok := strings.CutPrefix(k, prefix+"clients."); ok {
			role, _, _ := strings.Cut(rest, ".")
			roles[role] = true
		}
	}
	newClient := func(certs []tls.Certificate) *http.Client {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12}
		return &http.Client{Transport: tr, Timeout: timeout}
	}
	if roots != nil {
		st.Clients[""] = newClient(nil)
	}
	for role := range roles {
		cert, ok1 := vals[prefix+"clients."+role+".cert"]
		key, ok2 := vals[prefix+"clients."+role+".key"]
		if !ok1 || !ok2 {
			line := cert.line + key.line
			return fail(line, "key %sclients.%s: give both cert and key", prefix, role)
		}
		pair, err := tls.LoadX509KeyPair(resolve(cert.v), resolve(key.v))
		if err != nil {
			return fail(cert.line, "key %sclients.%s: %v", prefix, role, err)
		}
		st.Clients[role] = newClient([]tls.Certificate{pair})
		if st.Certificates == nil {
			st.Certificates = map[string]string{}
		}
		st.Certificates[role] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pair.Certificate[0]}))
	}
	return nil
}
