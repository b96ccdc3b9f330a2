package mnotify

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"herald/steps"
)

// Steps that check what a sender already has, so that a run without
// --allow-mutating still checks paging, ordering, isolation and reading
// against a real MNotify; and steps that wait for what a real MNotify does
// in its own time.

// registerReading binds them (features/mnotify/STEPS.md).
func registerReading(sc *godog.ScenarioContext) {
	on := func(f any) any { return steps.On[*world](worldKey{}, f) }
	sc.Step(`^the MNotify sender already has at least (\d+) (notifications?|templates?)$`, on(func(w *world, n int, kind string) error {
		return w.alreadyHas(n, strings.TrimSuffix(kind, "s")+"s")
	}))
	sc.Step(`^the MNotify answer lists none of the (notifications|templates) found before$`, on((*world).listsNoneFound))
	sc.Step(`^the MNotify answer is ordered by "([^"]*)" (ascending|descending)$`, on((*world).orderedBy))
	sc.Step(`^the MNotify notification "([^"]*)" has been transmitted$`, on((*world).transmitted))
	sc.Step(`^the MNotify notification "([^"]*)" has status "([^"]*)" or "([^"]*)"$`, on(func(w *world, name, a, b string) error {
		if err := w.notificationStatus(name, a); err == nil {
			return nil
		}
		return w.notificationStatus(name, b)
	}))
	sc.Step(`^the MNotify answer is the id "([^"]*)", unless it was transmitted already$`, on((*world).cancelledUnlessTransmitted))
}

// Kinds of record a sender has.
const (
	kindNotifications = "notifications"
	kindTemplates     = "templates"
)

func listPath(kind string) string {
	if kind == kindTemplates {
		return "/api/Template"
	}
	return "/api/Notification"
}

// singular names the kind's remembered ids: {notification 1}, {template 2}.
func singular(kind string) string { return strings.TrimSuffix(kind, "s") }

// alreadyHas reads the first n records of the chosen sender, by id (the
// vendor's documented default order), and remembers them as {notification
// 1} … {notification n} (or {template 1} …). A real target whose sender has
// fewer skips the scenario, saying why: it reads without creating anything.
// A Herald is topped up first, so that the scenario always runs there.
func (w *world) alreadyHas(n int, kind string) error {
	if n < 1 || n > 100 {
		return fmt.Errorf("at least %d: want 1 to 100 (one page)", n)
	}
	items, err := w.firstPage(kind, n)
	if err != nil {
		return err
	}
	if len(items) < n && w.sc.Target.IsHerald() {
		for i := len(items); i < n; i++ {
			if err := w.create(kind); err != nil {
				return err
			}
		}
		if items, err = w.firstPage(kind, n); err != nil {
			return err
		}
	}
	if len(items) < n {
		return fmt.Errorf("%w: MNotify sender %s has %d %s on %s, fewer than the %d this scenario reads without creating any: "+
			"give a sender with that many, or run with --allow-mutating, whose scenarios send some",
			godog.ErrSkip, w.role, len(items), kind, w.sc.Target.Name, n)
	}
	w.found[kind] = items
	for i, id := range items {
		w.ids[singular(kind)+" "+strconv.Itoa(i+1)] = id
	}
	return nil
}

// firstPage lists the first n records by id and returns their ids; more than
// n is a failure (ItemsPerPage ignored).
func (w *world) firstPage(kind string, n int) ([]string, error) {
	if err := w.call(http.MethodGet, fmt.Sprintf("%s?Page=1&ItemsPerPage=%d&OrderField=Id", listPath(kind), n), nil); err != nil {
		return nil, err
	}
	if err := w.answerIs(http.StatusOK); err != nil {
		return nil, err
	}
	ids, err := idsOf(w.last.body)
	if err != nil {
		return nil, err
	}
	if len(ids) > n {
		return nil, fmt.Errorf("asked for ItemsPerPage=%d, MNotify answered %d %s: %s", n, len(ids), kind, steps.Clip(w.last.body))
	}
	return ids, nil
}

// idsOf reads the ids of a bare JSON array of records.
func idsOf(body []byte) ([]string, error) {
	var items []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &items); err != nil || items == nil {
		return nil, fmt.Errorf("expected a bare JSON array of records with ids, but actual is %s", steps.Clip(body))
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out, nil
}

// create makes one record for the chosen sender, on a Herald only.
func (w *world) create(kind string) error {
	body := `{"subject":{"ro":"Deja"},"body":{"ro":"Trimis mai devreme"},"recipients":[{"value":"already.sent@example.md","type":"Email"}],"priority":"Low"}`
	if kind == kindTemplates {
		body = `{"name":"Already there ` + randomToken(8) + `","description":"d","subject":{"ro":"S"},"body":{"ro":"B"}}`
	}
	if err := w.call(http.MethodPost, listPath(kind), []byte(body)); err != nil {
		return err
	}
	return w.answerIs(http.StatusOK)
}

func (w *world) listsNoneFound(kind string) error {
	found := w.found[kind]
	if len(found) == 0 {
		return fmt.Errorf("no %s were found before: begin with \"the MNotify sender already has at least …\"", kind)
	}
	if err := w.answerIs(http.StatusOK); err != nil {
		return err
	}
	ids, err := idsOf(w.last.body)
	if err != nil {
		return err
	}
	for _, id := range ids {
		for i, f := range found {
			if strings.EqualFold(id, f) {
				return fmt.Errorf("the answer to %s lists {%s %d} (%s), which belongs to another sender", w.role, singular(kind), i+1, id)
			}
		}
	}
	return nil
}

// orderedBy checks that a list answer is ordered by a field: timestamps as
// times, anything else as text.
func (w *world) orderedBy(field, direction string) error {
	if err := w.answerIs(http.StatusOK); err != nil {
		return err
	}
	var items []map[string]any
	if err := json.Unmarshal(w.last.body, &items); err != nil || items == nil {
		return fmt.Errorf("expected a bare JSON array, but actual is %s", steps.Clip(w.last.body))
	}
	if len(items) < 2 {
		return fmt.Errorf("expected at least 2 items to check an order, but actual is %d", len(items))
	}
	key := func(i int) (string, time.Time, error) {
		v, ok := items[i][field]
		if !ok {
			return "", time.Time{}, fmt.Errorf("item %d has no %q: %s", i, field, steps.Clip(w.last.body))
		}
		s := fmt.Sprint(v)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return s, time.Time{}, nil
		}
		return "", t, nil
	}
	for i := 1; i < len(items); i++ {
		as, at, err := key(i - 1)
		if err != nil {
			return err
		}
		bs, bt, err := key(i)
		if err != nil {
			return err
		}
		cmp := strings.Compare(as, bs)
		if as == "" && bs == "" {
			cmp = at.Compare(bt)
		}
		if (direction == "ascending" && cmp > 0) || (direction == "descending" && cmp < 0) {
			return fmt.Errorf("items %d and %d are not in %s order of %q: %s", i-1, i, direction, field, steps.Clip(w.last.body))
		}
	}
	return nil
}

// transmittedStatus reports the statuses of a notification MNotify has sent on: the
// vendor documents that it can then no longer be cancelled.
func transmittedStatus(st string) bool { return st == "Sent" || st == "Delivered" || st == "Read" }

// transmitWait bounds how long a real target is given to transmit.
const transmitWait = 60 * time.Second

// transmitted waits until the remembered notification is Sent, Delivered or
// Read. On a Herald it moves the simulator clock on rather than waiting; a
// real target that has not transmitted it in a minute, or could not (Failed),
// skips the scenario, saying so: the vendor promises no timing.
func (w *world) transmitted(name string) error {
	id, ok := w.ids[name]
	if !ok {
		return fmt.Errorf("no id is remembered as %q", name)
	}
	deadline := time.Now().Add(transmitWait)
	for {
		if err := w.call(http.MethodGet, "/api/Notification/"+id, nil); err != nil {
			return err
		}
		if err := w.answerIs(http.StatusOK); err != nil {
			return err
		}
		st, err := lookup(w.last.body, "status")
		if err != nil {
			return fmt.Errorf("%w in %s", err, steps.Clip(w.last.body))
		}
		switch {
		case transmittedStatus(st):
			return nil
		case st == "Failed" || st == "Cancelled" || st == "Cancelling":
			return fmt.Errorf("%w: %s did not transmit notification %s: it is %s", godog.ErrSkip, w.sc.Target.Name, id, st)
		case time.Now().After(deadline):
			return fmt.Errorf("%w: %s had not transmitted notification %s after %s: it is still %s", godog.ErrSkip, w.sc.Target.Name, id, transmitWait, st)
		}
		if w.sc.Target.IsHerald() {
			if _, err := w.sc.Control(http.MethodPost, "clock/advance", map[string]string{"by": "1s"}); err != nil {
				return err
			}
			w.sc.ClockChanged()
			if err := w.sc.SyncClock(); err != nil {
				return err
			}
			continue
		}
		time.Sleep(time.Second)
	}
}

// cancelledUnlessTransmitted checks the answer to an immediate cancel: the
// notification's id, as documented; a 409 means the target transmitted it
// first, which the vendor allows, so the scenario is skipped, saying so.
func (w *world) cancelledUnlessTransmitted(name string) error {
	id, ok := w.ids[name]
	if !ok {
		return fmt.Errorf("no id is remembered as %q", name)
	}
	if w.last != nil && w.last.status == http.StatusConflict {
		return fmt.Errorf("%w: %s had transmitted notification %s before it could be cancelled (409)", godog.ErrSkip, w.sc.Target.Name, id)
	}
	if err := w.answerIs(http.StatusOK); err != nil {
		return err
	}
	var got string
	if err := json.Unmarshal(w.last.body, &got); err != nil || !strings.EqualFold(got, id) {
		return fmt.Errorf("expected the cancelled notification's id %s as a JSON string, but actual is %s", id, steps.Clip(w.last.body))
	}
	return nil
}
