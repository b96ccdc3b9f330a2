package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"

	"herald/fixtures"
	"herald/simulator"
	"herald/simulator/proxy"
	wire "herald/specs/wire/mnotify"
	"herald/steps"
)

// DefaultProxyMNotifyAddr is where herald proxy serves MNotify unless told
// otherwise (--listen mnotify=ADDRESS): beside a Herald's 8443.
const DefaultProxyMNotifyAddr = "127.0.0.1:8453"

// mnotifyProxyFlags are herald proxy's flags for MNotify's mutual TLS.
type mnotifyProxyFlags struct {
	ca    *string
	any   *bool
	roles roleFlag
}

func declareMNotifyProxyFlags(fs *flag.FlagSet) *mnotifyProxyFlags {
	f := &mnotifyProxyFlags{roles: roleFlag{}}
	f.ca = fs.String("mnotify-client-ca", "", "PEM `file` of the certificate authorities whose client certificates the MNotify listener lets in, each mapped by --mnotify-role (default: the fixtures' MNotify client certificates, each as the role of its name)")
	fs.Var(f.roles, "mnotify-role", "map the client certificate with this serial number (lowercase hex) to a role of the target file: `SERIAL=ROLE`; repeatable")
	f.any = fs.Bool("mnotify-any-client", false, "test mode: let in a client certificate from any issuer; it must still map to a role (--mnotify-role)")
	return f
}

// given reports whether any of the flags was given.
func (f *mnotifyProxyFlags) given() bool { return *f.ca != "" || *f.any || len(f.roles) > 0 }

// roleFlag collects --mnotify-role SERIAL=ROLE, by normalised serial.
type roleFlag map[string]string

func (r roleFlag) String() string { return "" }
func (r roleFlag) Set(v string) error {
	serial, role, ok := strings.Cut(v, "=")
	if !ok || role == "" {
		return fmt.Errorf("%q: want SERIAL=ROLE, such as 1001=sender-a", v)
	}
	key, err := wire.NormalizeSerial(serial)
	if err != nil {
		return err
	}
	if _, dup := r[key]; dup {
		return fmt.Errorf("serial %s given twice", key)
	}
	r[key] = role
	return nil
}

// mutualTLS is how the proxy terminates and re-originates MNotify's mutual
// TLS: the roles of the flags (or the fixtures'), and the clients of the
// target file's roles. It also returns the roles mapped that the target
// file gives no certificate, for the banner.
func (f *mnotifyProxyFlags) mutualTLS(st *steps.SystemTarget) (*proxy.MutualTLS, []string, error) {
	clients := map[string]*http.Client{}
	for role, c := range st.Clients {
		if role != "" {
			clients[role] = c
		}
	}
	m := &proxy.MutualTLS{Clients: clients, DefaultAddr: DefaultProxyMNotifyAddr}
	switch {
	case len(f.roles) == 0 && (*f.ca != "" || *f.any):
		return nil, nil, fmt.Errorf("--mnotify-client-ca and --mnotify-any-client let certificates in, but each must still map to a role: give --mnotify-role SERIAL=ROLE")
	case len(f.roles) == 0:
		roles, err := proxy.FixtureRoles()
		if err != nil {
			return nil, nil, err
		}
		m.Roles = roles
	default:
		m.Roles = proxy.ClientRoles{Serials: f.roles, AnyClient: *f.any}
		var pemBytes []byte
		var err error
		if *f.ca != "" {
			if pemBytes, err = os.ReadFile(*f.ca); err != nil {
				return nil, nil, fmt.Errorf("--mnotify-client-ca: %w", err)
			}
		} else if pemBytes, _, err = fixtures.MNotifyCert("ca"); err != nil {
			return nil, nil, err
		}
		m.Roles.CAs = x509.NewCertPool()
		if !m.Roles.CAs.AppendCertsFromPEM(pemBytes) {
			return nil, nil, fmt.Errorf("--mnotify-client-ca %s holds no PEM certificate", *f.ca)
		}
		var serials []string
		for serial := range f.roles {
			serials = append(serials, serial)
		}
		sort.Strings(serials)
		for _, serial := range serials {
			if role := f.roles[serial]; clients[role] == nil {
				return nil, nil, fmt.Errorf("--mnotify-role %s=%s: the target file gives role %s no certificate and key (systems.mnotify.clients.%s.cert and .key)", serial, role, role, role)
			}
		}
	}
	var missing []string
	for _, role := range m.Roles.Mapped() {
		if clients[role] == nil {
			missing = append(missing, role)
		}
	}
	return m, missing, nil
}

// boundOwn is a listener of the proxy's own, bound.
type boundOwn struct {
	name, base string
	srv        *http.Server
	ln         net.Listener
}

type boundOwns []boundOwn

func (b boundOwns) servers() []*http.Server {
	out := make([]*http.Server, 0, len(b))
	for _, o := range b {
		out = append(out, o.srv)
	}
	return out
}

// bindOwn binds the proxy's listeners besides the main one, each at its
// --listen NAME=ADDRESS or its default; port 0 for the main listener picks
// a free port for them too, as herald serve does. Closing what it bound
// when one fails.
func bindOwn(listeners []proxy.Listener, listen listenFlag, logger *slog.Logger) (boundOwns, error) {
	known := map[string]bool{simulator.MainListener: true}
	names := []string{simulator.MainListener}
	for _, l := range listeners {
		known[l.Name] = true
		names = append(names, l.Name)
	}
	for name := range listen {
		if !known[name] {
			return nil, fmt.Errorf("--listen %s=…: no such listener (have %s)", name, strings.Join(names, ", "))
		}
	}
	mainHost, mainPort, _ := net.SplitHostPort(listen[simulator.MainListener])
	var out boundOwns
	for _, l := range listeners {
		addr := listen[l.Name]
		if addr == "" {
			addr = l.DefaultAddr
			if mainPort == "0" {
				addr = net.JoinHostPort(mainHost, "0")
			}
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, o := range out {
				o.ln.Close()
			}
			return nil, fmt.Errorf("listener %s: %v (choose another with --listen %s=ADDRESS; port 0 picks a free one)", l.Name, err, l.Name)
		}
		srv := newServer(l.Handler, readTimeout, logger)
		srv.TLSConfig = l.TLS
		out = append(out, boundOwn{name: l.Name, base: "https://" + ln.Addr().String(), srv: srv, ln: tls.NewListener(ln, l.TLS)})
	}
	return out, nil
}
