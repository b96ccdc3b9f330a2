package mnotify

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"herald/specs"
	wire "herald/specs/wire/mnotify"
	"herald/steps"
)

// answer is one response as the steps saw it.
type answer struct {
	operationID string // the operation the request matched; "" when none
	status      int
	header      http.Header
	body        []byte
	// refused is why a real target refused the TLS handshake of a
	// certificate MPass would not accept (or of none): no HTTP answer, and
	// a refusal all the same.
	refused string
}

// world is one scenario's MNotify state, kept in the scenario's context.
type world struct {
	sc *steps.Scenario
	m  *module
	st *steps.SystemTarget

	role   string            // whose certificate requests carry; "" until chosen
	ids    map[string]string // remembered ids, by name
	unique string            // {unique}: fresh for each scenario
	idnp   string            // {idnp}: a 13-digit IDNP fresh for each scenario
	last   *answer
	// found are the ids alreadyHas read, by kind (notifications, templates).
	found map[string][]string
	// delivered is the simulator's list of a notification's messages.
	delivered []byte
}

type worldKey struct{}

// route is an operation's method and path template, split in segments; a
// segment "" is a parameter.
type route struct {
	id     string
	method string
	segs   []string
}

func routesOf(c *specs.Checker) []route {
	var out []route
	for _, id := range c.OperationIDs() {
		r := c.Route(id)
		segs := strings.Split(strings.Trim(r.Path, "/"), "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				segs[i] = ""
			}
		}
		out = append(out, route{id: id, method: r.Method, segs: segs})
	}
	return out
}

// operationFor finds the operation a request is for, matching the path as
// ASP.NET does (case-insensitively, a trailing slash ignored, the template
// with most literal segments first); "" when none has this path and method.
func (m *module) operationFor(method, target string) string {
	path, _, _ := strings.Cut(target, "?")
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	best, bestLiterals := "", -1
	for _, r := range m.routes {
		if r.method != method || len(r.segs) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i, t := range r.segs {
			if t == "" {
				continue
			}
			if !strings.EqualFold(t, segs[i]) {
				ok = false
				break
			}
			literals++
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = r.id, literals
		}
	}
	return best
}

// placeholder is {name} in step text, not part of a template's {{var}}.
var placeholder = regexp.MustCompile(`\{+[A-Za-z0-9][^{}"]*\}+`)

// expand replaces {unique}, {idnp} and each remembered {name}; a {name}
// that is none of them is an error, so that a typo never sends a literal.
// Doubled braces ({{var}}, a template variable) are left as written.
func (w *world) expand(s string) (string, error) {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(s, func(p string) string {
		if strings.HasPrefix(p, "{{") || strings.HasSuffix(p, "}}") {
			return p
		}
		name := p[1 : len(p)-1]
		switch name {
		case "unique":
			return w.unique
		case "idnp":
			return w.idnp
		}
		if id, ok := w.ids[name]; ok {
			return id
		}
		missing = append(missing, name)
		return p
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no id is remembered as %q (remembered: %v)", missing[0], keys(w.ids))
	}
	return out, nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// client is the chosen role's.
func (w *world) client() (*http.Client, error) {
	if w.role == "" {
		return nil, fmt.Errorf(`no MNotify sender chosen: begin with "Given I am MNotify sender …" or "Given I present no MNotify client certificate"`)
	}
	c := w.st.Clients[w.role]
	if c == nil && w.role == RoleNone {
		// A target file gives the CA's client as the default role; with no
		// CA, the system's roots.
		if c = w.st.Clients[""]; c == nil {
			c = &http.Client{Timeout: 30 * time.Second}
		}
	}
	if c == nil {
		return nil, fmt.Errorf("the target has no MNotify certificate for the role %s (--mnotify-cert %s=CERT,KEY); tag the scenario %s%s", w.role, w.role, TagCert, w.role)
	}
	return c, nil
}

// call sends a request as the chosen role, keeps the answer, and checks it
// against the spec.
func (w *world) call(method, target string, body []byte) error {
	client, err := w.client()
	if err != nil {
		return err
	}
	if target, err = w.expand(target); err != nil {
		return err
	}
	if !strings.HasPrefix(target, "/") {
		return fmt.Errorf("path %q: write it from the root, /api/…", target)
	}
	url := strings.TrimSuffix(w.st.BaseURL, "/") + target
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	op := w.m.operationFor(method, target)
	resp, err := client.Do(req)
	if err != nil {
		var unknownCA x509.UnknownAuthorityError
		if errors.As(err, &unknownCA) {
			err = fmt.Errorf("%w (the suite does not trust the MNotify server's certificate: give the CA that issued it, --mnotify-ca FILE or systems.mnotify.ca in a target file)", err)
		}
		failed := w.sc.Exchanged(System, op, req, body, nil, nil, nil, fmt.Errorf("%s %s as %s: no answer: %w", method, url, w.role, err))
		if refusedHandshake(err) && !w.sc.Target.IsHerald() && w.role != RoleSenderA && w.role != RoleSenderB {
			w.last = &answer{operationID: op, refused: err.Error()}
			return nil
		}
		return failed
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return w.sc.Exchanged(System, op, req, body, resp, nil, nil, fmt.Errorf("%s %s: reading the answer: %w", method, url, err))
	}
	a := &answer{operationID: op, status: resp.StatusCode, header: resp.Header, body: b}
	w.last = a
	return w.sc.Exchanged(System, op, req, body, resp, b, w.checkSpec(a), nil)
}

// refusedHandshake reports whether the server ended the TLS handshake with
// an alert (a certificate it will not take, or none when it needs one).
func refusedHandshake(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// checkSpec checks an answer against its operation or, when the request
// matched none (404, 405), against ProblemDetails; and a success answer of a
// call the official .NET client makes, against the client's models.
//
// The vendor publishes no error body (ProblemDetails is Herald's design), so
// a target that is not a Herald is held, for an error answer, only to a
// status its operation documents (any 5xx: the vendor documents 500 to 503
// per operation), whatever the body.
func (w *world) checkSpec(a *answer) error {
	herald := w.sc.Target.IsHerald()
	if a.operationID == "" {
		if !herald {
			return nil
		}
		if mt, _, err := mime.ParseMediaType(a.header.Get("Content-Type")); err != nil || mt != wire.ProblemContentType {
			return fmt.Errorf("an answer to a request that matches no operation must be application/problem+json, got %q", a.header.Get("Content-Type"))
		}
		var v any
		if err := json.Unmarshal(a.body, &v); err != nil {
			return fmt.Errorf("answer is not JSON: %v", err)
		}
		return w.m.checker.Schema("ProblemDetails", v)
	}
	if !herald && a.status >= 400 {
		if a.status >= 500 {
			return nil
		}
		if r := w.m.checker.Route(a.operationID); r != nil && r.Operation.Responses.Status(a.status) == nil {
			return fmt.Errorf("%s %s: status %d is not documented for the operation", System, a.operationID, a.status)
		}
		return nil
	}
	if err := w.m.checker.Response(a.operationID, a.status, a.header, a.body); err != nil {
		return err
	}
	return w.m.models.ReadAnswer(a.operationID, a.status, a.body)
}

func (w *world) lastAnswer() (*answer, error) {
	if w.last == nil {
		return nil, fmt.Errorf("no MNotify call was made")
	}
	return w.last, nil
}

// ---- Herald's MPass registry (@simulator)

// registration is a registry entry as the control API shows it.
type registration struct {
	Serial string `json:"serial"`
	Sender struct {
		ID   string `json:"senderId"`
		Name string `json:"name"`
		IDNO string `json:"idno,omitempty"`
	} `json:"sender"`
	Revoked bool `json:"revoked"`
}

// certificateOf returns a role's certificate in PEM and its serial number.
func (w *world) certificateOf(role string) (string, string, error) {
	certPEM := w.st.Params[ParamCertificate+role]
	if certPEM == "" { // a target file's clients
		certPEM = w.st.Certificates[role]
	}
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		return "", "", fmt.Errorf("the target has no MNotify certificate for the role %s", role)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", "", fmt.Errorf("MNotify role %s: %w", role, err)
	}
	return certPEM, wire.Serial(cert), nil
}

// remember puts a serial number's registration back as it is now, when the
// scenario ends (steps.Scenario.Cleanup).
func (w *world) remember(serial string) error {
	b, err := w.sc.Control(http.MethodGet, System+"/registrations", nil)
	if err != nil {
		return err
	}
	var regs []registration
	if err := json.Unmarshal(b, &regs); err != nil {
		return fmt.Errorf("the MPass registry list does not decode: %w", err)
	}
	var before *registration
	for i := range regs {
		if regs[i].Serial == serial {
			before = &regs[i]
		}
	}
	w.sc.Cleanup(func() error {
		if err := w.putBack(serial, before); err != nil {
			return fmt.Errorf("putting Herald's MPass registry back: %w", err)
		}
		return nil
	})
	return nil
}

// putBack registers serial as it was before the scenario, or removes it.
func (w *world) putBack(serial string, before *registration) error {
	if before == nil {
		_, err := w.sc.Control(http.MethodDelete, System+"/registrations/"+serial, nil)
		return err
	}
	body := map[string]string{"serial": serial, "senderId": before.Sender.ID, "name": before.Sender.Name}
	if before.Sender.IDNO != "" {
		body["idno"] = before.Sender.IDNO
	}
	if _, err := w.sc.Control(http.MethodPost, System+"/registrations", body); err != nil {
		return err
	}
	if before.Revoked {
		_, err := w.sc.Control(http.MethodPost, System+"/revocations", map[string]string{"serial": serial})
		return err
	}
	return nil
}

func (w *world) revoke(role string) error {
	certPEM, serial, err := w.certificateOf(role)
	if err != nil {
		return err
	}
	if err := w.remember(serial); err != nil {
		return err
	}
	_, err = w.sc.Control(http.MethodPost, System+"/revocations", map[string]string{"certificate": certPEM})
	return err
}

// registerNew registers a role's certificate to a new sender, whose
// notifications and templates are none yet.
func (w *world) registerNew(role string) error {
	certPEM, serial, err := w.certificateOf(role)
	if err != nil {
		return err
	}
	if err := w.remember(serial); err != nil {
		return err
	}
	_, err = w.sc.Control(http.MethodPost, System+"/registrations", map[string]string{
		"certificate": certPEM, "senderId": randomUUID(), "name": "Herald suite sender " + w.unique})
	return err
}

// ---- fresh values

func randomToken(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, n)
	for i := range out {
		k, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		out[i] = alphabet[k.Int64()]
	}
	return string(out)
}

func randomDigits(n int) string {
	out := make([]byte, n)
	for i := range out {
		k, _ := rand.Int(rand.Reader, big.NewInt(10))
		out[i] = byte('0' + k.Int64())
	}
	return string(out)
}

func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
