package mnotify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/cucumber/godog"

	wire "herald/specs/wire/mnotify"
	"herald/steps"
)

// register binds the MNotify steps (features/mnotify/STEPS.md). Every text
// names MNotify (or MPass), so that no other module's step matches it.
func register(sc *godog.ScenarioContext) {
	on := func(f any) any { return steps.On[*world](worldKey{}, f) }

	// Who calls.
	sc.Step(`^I am MNotify sender "([^"]*)"$`, on(func(w *world, role string) error {
		if !KnownRole(role) {
			return fmt.Errorf("MNotify role %q: want one of %v", role, CertRoles())
		}
		w.role = role
		return nil
	}))
	sc.Step(`^I present no MNotify client certificate$`, on(func(w *world) error { w.role = RoleNone; return nil }))

	// Simulator only, through the control API.
	sc.Step(`^the MNotify simulator clock is frozen at "([^"]*)"$`, on((*world).freezeClock))
	sc.Step(`^the MNotify simulator clock advances by (\d+) seconds?$`, on((*world).advanceClock))
	sc.Step(`^MPass revokes the MNotify certificate of "([^"]*)"$`, on((*world).revoke))
	sc.Step(`^MPass registers the MNotify certificate of "([^"]*)"$`, on((*world).registerNew))
	sc.Step(`^I read the MNotify messages of "([^"]*)" from the simulator$`, on((*world).readMessages))
	sc.Step(`^the MNotify simulator delivered (\d+) messages?$`, on((*world).deliveredCount))
	sc.Step(`^the MNotify simulator delivered "([^"]*)" equal to "([^"]*)"$`, on((*world).deliveredHas))

	// Requests.
	sc.Step(`^I send an MNotify (GET|POST|PUT|DELETE|PATCH) to "([^"]*)"$`, on(func(w *world, method, path string) error {
		return w.call(method, path, nil)
	}))
	sc.Step(`^I send an MNotify (GET|POST|PUT|DELETE|PATCH) to "([^"]*)" with:$`, on(func(w *world, method, path string, doc *godog.DocString) error {
		body, err := w.expand(doc.Content)
		if err != nil {
			return err
		}
		return w.call(method, path, []byte(body))
	}))

	// Answers.
	sc.Step(`^the MNotify answer is (\d+)$`, on((*world).answerIs))
	sc.Step(`^the MNotify answer is an id remembered as "([^"]*)"$`, on((*world).rememberID))
	sc.Step(`^the MNotify answer is a problem (\d+)$`, on(func(w *world, status int) error { return w.problem(status, "") }))
	sc.Step(`^the MNotify answer is a problem (\d+) naming "([^"]*)"$`, on((*world).problem))
	sc.Step(`^the MNotify answer refuses the caller(?:, with (401|403) on a Herald)?$`, on((*world).refusesCaller))
	sc.Step(`^the MNotify answer is (\d+) or (\d+)$`, on((*world).answerIsEither))
	sc.Step(`^the MNotify answer is a list of (\d+) items?$`, on((*world).listOf))
	sc.Step(`^the MNotify answer has "([^"]*)" equal to "([^"]*)"$`, on((*world).answerHas))
	sc.Step(`^the MNotify notification "([^"]*)" has status "([^"]*)"$`, on((*world).notificationStatus))
}

func (w *world) answerIs(status int) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if a.refused != "" {
		// A real MNotify that refuses a certificate at the TLS handshake
		// refuses the caller as surely as with 401 or 403.
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			return nil
		}
		return fmt.Errorf("expected MNotify to answer %d, but it refused the TLS handshake: %s", status, a.refused)
	}
	if a.status != status {
		return fmt.Errorf("expected MNotify to answer %d, but actual is %d: %s", status, a.status, steps.Clip(a.body))
	}
	return nil
}

var uuidText = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (w *world) rememberID(name string) error {
	if err := w.answerIs(http.StatusOK); err != nil {
		return err
	}
	var id string
	if err := json.Unmarshal(w.last.body, &id); err != nil || !uuidText.MatchString(id) {
		return fmt.Errorf("expected a UUID as a JSON string, but actual is %s", steps.Clip(w.last.body))
	}
	w.ids[name] = id
	return nil
}

// problem checks a refusal: its status on every target; on a Herald also
// the body, ProblemDetails naming the field at fault, which is Herald's
// design (the vendor publishes no error shape).
func (w *world) problem(status int, field string) error {
	if err := w.answerIs(status); err != nil {
		return err
	}
	if !w.sc.Target.IsHerald() {
		return nil
	}
	a := w.last
	if mt, _, err := mime.ParseMediaType(a.header.Get("Content-Type")); err != nil || mt != wire.ProblemContentType {
		return fmt.Errorf("expected %s, but actual is %q: %s", wire.ProblemContentType, a.header.Get("Content-Type"), steps.Clip(a.body))
	}
	var p wire.Problem
	if err := json.Unmarshal(a.body, &p); err != nil || p.Status != status || p.Title == "" {
		return fmt.Errorf("expected ProblemDetails with status %d and a title, but actual is %s", status, steps.Clip(a.body))
	}
	if field != "" && len(p.Errors[field]) == 0 {
		return fmt.Errorf("expected errors to name %q, but actual is %s", field, steps.Clip(a.body))
	}
	return nil
}

// refusesCaller checks what the vendor documents of a refused caller: 401
// (not identified) or 403 (not allowed), whatever the body. heraldStatus,
// when given, is the one of the two a Herald must answer, as a problem:
// which of them a refused certificate gets is Herald's reading.
func (w *world) refusesCaller(heraldStatus string) error {
	if w.last == nil {
		return fmt.Errorf("no MNotify answer yet")
	}
	if heraldStatus != "" && w.sc.Target.IsHerald() {
		n, _ := strconv.Atoi(heraldStatus)
		return w.problem(n, "")
	}
	if w.last.refused != "" {
		return nil
	}
	if st := w.last.status; st != http.StatusUnauthorized && st != http.StatusForbidden {
		return fmt.Errorf("expected the caller refused with 401 or 403, but actual is %d: %s", st, steps.Clip(w.last.body))
	}
	return nil
}

// answerIsEither checks a status the vendor leaves open between two.
func (w *world) answerIsEither(a, b int) error {
	if w.last == nil {
		return fmt.Errorf("no MNotify answer yet")
	}
	if w.answerIs(a) == nil || w.answerIs(b) == nil {
		return nil
	}
	if st := w.last.status; st != a && st != b {
		return fmt.Errorf("expected MNotify to answer %d or %d, but actual is %d: %s", a, b, st, steps.Clip(w.last.body))
	}
	return nil
}

func (w *world) listOf(n int) error {
	if err := w.answerIs(http.StatusOK); err != nil {
		return err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(w.last.body, &items); err != nil || items == nil {
		return fmt.Errorf("expected a bare JSON array, but actual is %s", steps.Clip(w.last.body))
	}
	if len(items) != n {
		return fmt.Errorf("expected %d items, but actual is %d: %s", n, len(items), steps.Clip(w.last.body))
	}
	return nil
}

func (w *world) answerHas(path, want string) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	return w.valueIs(a.body, path, want)
}

// valueIs compares the value at path in a JSON document with want, after
// expanding want's placeholders.
func (w *world) valueIs(doc []byte, path, want string) error {
	want, err := w.expand(want)
	if err != nil {
		return err
	}
	got, err := lookup(doc, path)
	if err != nil {
		return fmt.Errorf("%w in %s", err, steps.Clip(doc))
	}
	if got != want {
		return fmt.Errorf("expected %q to be %q, but actual is %q", path, want, got)
	}
	return nil
}

var pathToken = regexp.MustCompile(`^([^.\[\]]*)((?:\[\d+\])*)$`)

// lookup reads a value in a JSON document by a path such as
// recipients[0].messages[1].channel, body.ro or [0].id ("" is the whole
// document), and writes it as text: a string as it is, anything else as
// JSON.
func lookup(doc []byte, path string) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("the answer is not JSON")
	}
	if path != "" {
		for _, part := range strings.Split(path, ".") {
			m := pathToken.FindStringSubmatch(part)
			if m == nil {
				return "", fmt.Errorf("path %q: %q is not name[index]…", path, part)
			}
			if m[1] != "" {
				obj, ok := v.(map[string]any)
				if !ok {
					return "", fmt.Errorf("path %q: no object holds %q", path, m[1])
				}
				if v, ok = obj[m[1]]; !ok {
					return "", fmt.Errorf("path %q: no %q", path, m[1])
				}
			}
			for _, idx := range strings.Split(strings.Trim(m[2], "[]"), "][") {
				if idx == "" {
					continue
				}
				i, _ := strconv.Atoi(idx)
				arr, ok := v.([]any)
				if !ok || i >= len(arr) {
					return "", fmt.Errorf("path %q: no item %d", path, i)
				}
				v = arr[i]
			}
		}
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, _ := json.Marshal(v)
	return string(b), nil
}

func (w *world) notificationStatus(name, status string) error {
	id, ok := w.ids[name]
	if !ok {
		return fmt.Errorf("no id is remembered as %q", name)
	}
	if err := w.call(http.MethodGet, "/api/Notification/"+id, nil); err != nil {
		return err
	}
	if err := w.answerIs(http.StatusOK); err != nil {
		return err
	}
	return w.valueIs(w.last.body, "status", status)
}

// ---- through the control API (@simulator)

func (w *world) freezeClock(at string) error {
	if _, err := w.sc.Control(http.MethodPut, "clock", map[string]any{"now": at, "frozen": true}); err != nil {
		return err
	}
	w.sc.ClockChanged()
	return w.sc.SyncClock()
}

func (w *world) advanceClock(seconds int) error {
	if _, err := w.sc.Control(http.MethodPost, "clock/advance", map[string]string{"by": strconv.Itoa(seconds) + "s"}); err != nil {
		return err
	}
	w.sc.ClockChanged()
	return w.sc.SyncClock()
}

// readMessages asks the simulator what a notification delivered; the
// answer is kept apart from MNotify's, for the "delivered" steps.
func (w *world) readMessages(name string) error {
	id, ok := w.ids[name]
	if !ok {
		return fmt.Errorf("no id is remembered as %q", name)
	}
	b, err := w.sc.Control(http.MethodGet, System+"/notifications/"+id+"/messages", nil)
	if err != nil {
		return err
	}
	w.delivered = b
	return nil
}

func (w *world) deliveredCount(n int) error {
	if w.delivered == nil {
		return fmt.Errorf("no messages were read from the simulator")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(w.delivered, &items); err != nil || len(items) != n {
		return fmt.Errorf("expected %d delivered messages, but actual is %s", n, steps.Clip(w.delivered))
	}
	return nil
}

func (w *world) deliveredHas(path, want string) error {
	if w.delivered == nil {
		return fmt.Errorf("no messages were read from the simulator")
	}
	return w.valueIs(w.delivered, path, want)
}
