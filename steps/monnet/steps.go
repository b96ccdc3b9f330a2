package monnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"herald/fixtures"
	wire "herald/specs/wire/monnet"
	"herald/steps"
)

// How long the steps wait, on the real clock, for what the notifier does in
// the background once it is due.
const settle = 30 * time.Second

// register binds the Monnet steps, grouped as the features use them.
func register(sc *godog.ScenarioContext) {
	on := func(f any) any { return steps.On[*world](worldKey{}, f) }

	// The merchant's receiver.
	sc.Step(`^the Monnet merchant's receiver answers (\d+)$`, on(func(w *world, s int) error {
		return w.receive(answerWith{statuses: []int{s}})
	}))
	sc.Step(`^the Monnet merchant's receiver answers (\d+), then (\d+)$`, on(func(w *world, s1, s2 int) error {
		return w.receive(answerWith{statuses: []int{s1, s2}})
	}))
	sc.Step(`^the Monnet merchant's receiver does not answer within the attempt timeout, then answers (\d+)$`, on(func(w *world, s int) error {
		return w.receive(answerWith{statuses: []int{s}, hangFirst: true})
	}))
	sc.Step(`^the Monnet merchant's receiver is down$`, on((*world).down))
	sc.Step(`^the Monnet merchant's receiver comes back and answers (\d+)$`, on(func(w *world, s int) error {
		return w.receive(answerWith{statuses: []int{s}})
	}))
	sc.Step(`^the Monnet merchant's receiver is the suite's verifying receiver$`, on(func(w *world) error {
		pub, err := w.notifierKey()
		if err != nil {
			return err
		}
		return w.receive(verifying{pub: pub})
	}))
	sc.Step(`^the Monnet merchant's receiver is the suite's lax receiver$`, on(func(w *world) error { return w.receive(lax{}) }))

	// The simulator's controls.
	sc.Step(`^the simulator clock is frozen for Monnet$`, on(func(w *world) error { return w.freeze(nil) }))
	sc.Step(`^the simulator clock is frozen for Monnet at Unix milliseconds (\d+)$`, on(func(w *world, ms int64) error {
		t := time.UnixMilli(ms)
		return w.freeze(&t)
	}))
	sc.Step(`^the Monnet notifier retries at "([^"]*)" with an attempt timeout of "([^"]*)"$`, on((*world).schedule))
	sc.Step(`^the Monnet outcome of orderId "([^"]*)" is picked as "([^"]*)" with code "([^"]*)"$`, on((*world).pickOutcome))

	// The payout API.
	sc.Step(`^the Monnet merchant creates a payout with orderId "([^"]*)"$`, on(func(w *world, order string) error {
		_, err := w.create(order, "", signing{})
		return err
	}))
	sc.Step(`^the Monnet merchant creates a payout with orderId "([^"]*)" and description "([^"]*)"$`, on(func(w *world, order, d string) error {
		_, err := w.create(order, d, signing{})
		return err
	}))
	sc.Step(`^the Monnet merchant created a payout with orderId "([^"]*)"$`, on(func(w *world, order string) error {
		a, err := w.create(order, "", signing{})
		if err == nil && a.status != http.StatusCreated {
			err = fmt.Errorf("creating the payout answered %d: %s", a.status, steps.Clip(a.body))
		}
		return err
	}))
	sc.Step(`^the Monnet merchant creates a payout with orderId "([^"]*)" but (.+)$`, on((*world).createFaulty))
	sc.Step(`^the Monnet merchant creates a payout with (no "[^"]*"|"[^"]*" as the string "[^"]*"|an unknown property "[^"]*"|a body that is not JSON)$`, on((*world).createChanged))
	sc.Step(`^the Monnet merchant gets the payout's status$`, on(func(w *world) error {
		if w.payout == nil {
			return errors.New("no payout: create one first")
		}
		_, err := w.call(request{operation: "getPayout", payoutID: w.payout.id})
		return err
	}))
	sc.Step(`^the Monnet merchant gets the payout with id "([^"]*)"$`, on(func(w *world, id string) error {
		_, err := w.call(request{operation: "getPayout", payoutID: id})
		return err
	}))
	sc.Step(`^the Monnet merchant gets the payout with id "([^"]*)" but (.+)$`, on((*world).getFaulty))
	sc.Step(`^the Monnet merchant gets the payout's status but (.+)$`, on(func(w *world, fault string) error {
		if w.payout == nil {
			return errors.New("no payout: create one first")
		}
		return w.getFaulty(w.payout.id, fault)
	}))
	sc.Step(`^the Monnet merchant creates a payout with orderId "([^"]*)" again$`, on((*world).createAgain))
	sc.Step(`^the Monnet merchant creates a payout with amount (\S+)$`, on((*world).createWithAmount))
	sc.Step(`^the vendor's Monnet HMAC example request is sent as published$`, on((*world).vendorExample))
	sc.Step(`^the Monnet payout reaches its final stage$`, on((*world).reachFinal))

	// Answers of the payout API.
	sc.Step(`^the Monnet answer has status (\d+)$`, on(func(w *world, s int) error { return w.answerIs(s, "", "", "") }))
	sc.Step(`^the Monnet answer has status (\d+) and payout stage "([^"]*)" and status "([^"]*)"$`, on(func(w *world, s int, stage, status string) error {
		return w.answerIs(s, stage, status, "")
	}))
	sc.Step(`^the Monnet answer has status (\d+) and error code "([^"]*)"$`, on(func(w *world, s int, code string) error {
		return w.answerIs(s, "", "", code)
	}))
	sc.Step(`^the Monnet answer has error code "([^"]*)"$`, on(func(w *world, code string) error { return w.answerIs(0, "", "", code) }))
	sc.Step(`^the Monnet answer shows the signature was accepted$`, on((*world).signatureAccepted))
	sc.Step(`^the Monnet answer conforms to the spec$`, on((*world).answerConforms))
	sc.Step(`^the Monnet error message is "([^"]*)"$`, on(func(w *world, m string) error { return w.message(m, true) }))
	sc.Step(`^the Monnet error message names "([^"]*)"$`, on(func(w *world, m string) error { return w.message(m, false) }))
	sc.Step(`^the Monnet payout's status is "([^"]*)"$`, on((*world).payoutStatus))
	sc.Step(`^the Monnet answer has amount (\S+) as written$`, on((*world).answerAmount))
	sc.Step(`^the Monnet payout's status read has amount (\S+) as written$`, on(func(w *world, lit string) error {
		if w.payout == nil {
			return errors.New("no payout: create one first")
		}
		if _, err := w.call(request{operation: "getPayout", payoutID: w.payout.id}); err != nil {
			return err
		}
		return w.answerAmount(lit)
	}))
	sc.Step(`^the Monnet answer does not show the payout$`, on((*world).answerHidesPayout))
	sc.Step(`^the repeated Monnet orderId is refused as the documented duplicate 2005, at once or in a REJECTED notification of its own$`, on((*world).duplicateRefused))

	// Notifications, as the suite's receiver got them.
	sc.Step(`^a Monnet (SUCCESS|REJECTED) notification for the payout arrives within (\d+) s$`, on(func(w *world, stage string, within int) error {
		return w.arrives(stage, time.Duration(within)*time.Second)
	}))
	sc.Step(`^a Monnet (SUCCESS|REJECTED) notification for the payout arrives$`, on(func(w *world, stage string) error {
		return w.arrives(stage, w.noteWait)
	}))
	sc.Step(`^no other Monnet notification for the payout arrives within (\d+) s$`, on((*world).noOther))
	sc.Step(`^no differing Monnet notification for the payout arrives within (\d+) s$`, on(func(w *world, within int) error {
		return w.noDiffering(time.Duration(within) * time.Second)
	}))
	sc.Step(`^no differing Monnet notification for the payout arrives within the retry wait$`, on((*world).noDifferingWhileRetrying))
	sc.Step(`^no Monnet notification for another payout with the orderId (arrives|is a SUCCESS) within (\d+) s$`, on((*world).noOtherPayout))
	sc.Step(`^the Monnet receiver answered that notification (\d+)$`, on((*world).answeredNote))
	sc.Step(`^a new Monnet attempt at that notification, if one comes within the retry wait, carries the same bytes, body and verification header$`, on((*world).newAttemptIdentical))
	sc.Step(`^the Monnet payout's status read agrees with the notification$`, on((*world).statusAgrees))
	sc.Step(`^no Monnet notification for the payout has arrived$`, on(func(w *world) error { return w.received(0) }))
	sc.Step(`^the Monnet notification's signature verifies for the merchant with the notifier certificate$`, on(func(w *world) error {
		return w.verifies(w.merchantID)
	}))
	sc.Step(`^the Monnet notification's signature verifies for merchant "([^"]*)" with the notifier certificate$`, on((*world).verifies))
	sc.Step(`^the Monnet notification's signature does not verify for another merchant or another body$`, on((*world).verifiesOnlyAsSent))
	sc.Step(`^the Monnet notification's body conforms to the spec$`, on((*world).noteConforms))
	sc.Step(`^the Monnet notification has amount "([^"]*)" as a string$`, on(func(w *world, v string) error { return w.noteField("payout", "amount", v) }))
	sc.Step(`^the Monnet notification has output status "([^"]*)"$`, on(func(w *world, v string) error { return w.noteField("output", "status", v) }))
	sc.Step(`^the Monnet notification has no "([^"]*)" member$`, on((*world).noteLacks))
	sc.Step(`^the Monnet notification's errors are "([^"]*)"$`, on((*world).noteErrors))
	sc.Step(`^the Monnet receiver has received (\d+) notifications? for the payout$`, on((*world).received))
	sc.Step(`^the Monnet notifications received for the payout are byte-identical, body and verification header$`, on((*world).identical))

	// The delivery log (control API).
	sc.Step(`^the Monnet delivery log of the payout shows exactly:$`, on((*world).logShows))
	sc.Step(`^the Monnet delivery log of the payout has (\d+) attempts$`, on(func(w *world, n int) error { return w.logHas(n, false) }))
	sc.Step(`^the Monnet delivery log of the payout has (\d+) attempts, the last marked as a redelivery$`, on(func(w *world, n int) error {
		return w.logHas(n, true)
	}))
	sc.Step(`^the Monnet delivery of the payout is "(pending|delivered|failed)"$`, on((*world).deliveryState))
	sc.Step(`^no Monnet delivery of the payout is pending$`, on((*world).nonePending))
	sc.Step(`^the Monnet notification of the payout is redelivered through the control API$`, on((*world).redeliver))
	sc.Step(`^the Monnet receiver acknowledged the redelivery with a 2xx status$`, on((*world).redeliveryAcknowledged))

	// Negative fixtures.
	sc.Step(`^a Monnet payout whose SUCCESS notification was delivered$`, on((*world).deliveredPayout))
	sc.Step(`^the simulator sends the Monnet forged notification "([^"]*)" of the payout$`, on((*world).forge))
	sc.Step(`^the Monnet receiver refused the forged notification with a non-2xx status$`, on(func(w *world) error { return w.forgeryRefused() }))
	sc.Step(`^the Monnet check of the forged notification fails, naming "([^"]*)"$`, on((*world).forgeryCaught))
}

func (w *world) freeze(at *time.Time) error {
	now := at
	if now == nil {
		b, err := w.sc.Control(http.MethodGet, "clock", nil)
		if err != nil {
			return err
		}
		var c struct{ Now time.Time }
		if err := json.Unmarshal(b, &c); err != nil {
			return fmt.Errorf("reading the simulator clock: %w", err)
		}
		now = &c.Now
	}
	if _, err := w.sc.Control(http.MethodPut, "clock", map[string]any{"now": now.UTC().Format(time.RFC3339Nano), "frozen": true}); err != nil {
		return err
	}
	w.sc.ClockChanged()
	return w.sc.SyncClock()
}

// schedule sets the notifier's retry schedule and attempt timeout, and
// restores them after the scenario.
func (w *world) schedule(backoff, timeout string) error {
	b, err := w.sc.Control(http.MethodGet, "monnet/notifier", nil)
	if err != nil {
		return err
	}
	var before map[string]any
	if err := json.Unmarshal(b, &before); err != nil {
		return fmt.Errorf("the notifier's schedule: %w", err)
	}
	w.sc.Cleanup(func() error { // configuration: a reset keeps it
		_, err := w.sc.Control(http.MethodPut, "monnet/notifier", before)
		return err
	})
	_, err = w.sc.Control(http.MethodPut, "monnet/notifier", map[string]any{"backoff": strings.Split(backoff, ","), "attemptTimeout": timeout})
	return err
}

func (w *world) pickOutcome(order, status, code string) error {
	_, err := w.sc.Control(http.MethodPut, "monnet/outcomes/"+w.merchantID+"/"+w.order(order), map[string]string{"status": status, "code": code})
	return err
}

// createFaulty creates a payout signed or sent wrongly in one way.
func (w *world) createFaulty(order, fault string) error {
	s, err := w.fault(fault)
	if err != nil {
		return err
	}
	_, err = w.create(order, "", s)
	return err
}

// getFaulty reads a payout, signed or sent wrongly in one way.
func (w *world) getFaulty(id, fault string) error {
	s, err := w.fault(fault)
	if err != nil {
		return err
	}
	if s.tamper {
		return errors.New("a GET has no body to change")
	}
	_, err = w.call(request{operation: "getPayout", payoutID: id, sign: s})
	return err
}

// fault is how a request is signed or sent wrongly, as a step says it.
func (w *world) fault(fault string) (signing, error) {
	var s signing
	switch {
	case fault == "with an unknown API key":
		s.key = "herald-unknown-api-key"
	case fault == "without the monnet-api-key header":
		s.noKey = true
	case fault == "with a signature made with another secret":
		s.secret = "herald-another-secret"
	case fault == "without the signature query parameter":
		s.noSignature = true
	case fault == "with the body changed after signing":
		s.tamper = true
	case fault == "with the path of another merchant":
		s.pathOf = w.merchantID + "9"
	case fault == "with the timestamp changed after signing":
		s.tsChanged = true
	case fault == "with a signature made over another path":
		s.otherPath = true
	case strings.HasPrefix(fault, "with a timestamp ") && strings.HasSuffix(fault, " minutes old"):
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(fault, "with a timestamp "), " minutes old"))
		if err != nil {
			return s, fmt.Errorf("fault %q: want a number of minutes", fault)
		}
		s.tsOffset = -time.Duration(n) * time.Minute
	case strings.HasPrefix(fault, `with the query parameter "`) && strings.HasSuffix(fault, `" given twice`):
		s.twiceQuery = strings.TrimSuffix(strings.TrimPrefix(fault, `with the query parameter "`), `" given twice`)
	case strings.HasPrefix(fault, `with the header "`) && strings.HasSuffix(fault, `" given twice`):
		s.twiceHeader = strings.TrimSuffix(strings.TrimPrefix(fault, `with the header "`), `" given twice`)
	default:
		return s, fmt.Errorf("unknown fault %q", fault)
	}
	return s, nil
}

// createChanged creates a payout whose body is changed in one way.
func (w *world) createChanged(change string) error {
	order := w.order("CHANGED")
	if change == "a body that is not JSON" {
		_, err := w.createBody(order, []byte(`{"country":`), signing{})
		return err
	}
	body := payoutBody(order, "")
	field := between(change, `"`, `"`)
	parent, key := body, field
	for {
		head, rest, nested := strings.Cut(key, ".")
		if !nested {
			break
		}
		next, ok := parent[head].(map[string]any)
		if !ok {
			next = map[string]any{}
			parent[head] = next
		}
		parent, key = next, rest
	}
	switch {
	case strings.HasPrefix(change, "no "):
		delete(parent, key)
	case strings.HasPrefix(change, "an unknown property "):
		parent[key] = "herald"
	default: // "FIELD" as the string "V"
		parent[key] = between(strings.TrimPrefix(change, `"`+field+`"`), `"`, `"`)
	}
	b, _ := json.Marshal(body)
	_, err := w.createBody(order, b, signing{})
	return err
}

// between is the text between the first open and the next close.
func between(s, open, close string) string {
	_, rest, _ := strings.Cut(s, open)
	v, _, _ := strings.Cut(rest, close)
	return v
}

// vendorExample sends the vendor's signed HMAC example, byte for byte.
func (w *world) vendorExample() error {
	index, err := fixtures.Read("monnet/vendor/index.json")
	if err != nil {
		return err
	}
	var idx struct {
		Examples []struct {
			File string
			HMAC *struct{ APIKey, Method, ResourcePath, Timestamp, Signature string } `json:"hmac"`
		}
	}
	if err := json.Unmarshal(index, &idx); err != nil {
		return err
	}
	for _, e := range idx.Examples {
		if e.HMAC == nil {
			continue
		}
		body, err := fixtures.Read("monnet/vendor/" + e.File)
		if err != nil {
			return err
		}
		h := e.HMAC
		req, err := http.NewRequest(h.Method, w.base+strings.TrimPrefix(h.ResourcePath, "/")+"?timestamp="+h.Timestamp+"&signature="+h.Signature, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(wire.HeaderAPIKey, h.APIKey)
		_, err = w.send("createPayout", req, body)
		return err
	}
	return errors.New("the vendor fixtures hold no HMAC example")
}

// reachFinal brings the payout to its final stage: on a Herald it moves the
// simulator clock past it (Herald's stages end 5 s after creation); a real
// Monnet takes its own time, which the next step waits for.
func (w *world) reachFinal() error {
	if !w.sc.Target.IsHerald() {
		return nil
	}
	if _, err := w.sc.Control(http.MethodPost, "clock/advance", map[string]string{"by": wire.FinalAfter.String()}); err != nil {
		return err
	}
	w.sc.ClockChanged()
	return w.sc.SyncClock()
}

func (w *world) lastAnswer() (*answer, error) {
	if w.last == nil {
		return nil, errors.New("no Monnet answer yet")
	}
	return w.last, nil
}

func (w *world) answerIs(status int, stage, outStatus, code string) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if status != 0 && a.status != status {
		return fmt.Errorf("status %d, want %d: %s", a.status, status, steps.Clip(a.body))
	}
	// The stage a payout is in when created is Herald's design: the vendor
	// documents 201 and the stages, not which one comes first (a real
	// Monnet may answer PENDING_BALANCE, say).
	if stage != "" && w.sc.Target.IsHerald() && (a.v.Output.Stage != stage || a.v.Output.Status != outStatus) {
		return fmt.Errorf("output %s/%s, want %s/%s: %s", a.v.Output.Stage, a.v.Output.Status, stage, outStatus, steps.Clip(a.body))
	}
	if code != "" {
		if a.status < 400 || len(a.v.Errors) != 1 || a.v.Errors[0].Code != code {
			return fmt.Errorf("want one error with code %s, got %d: %s", code, a.status, steps.Clip(a.body))
		}
	}
	return nil
}

// signatureAccepted: 201, or the duplicate 2005, which only a request past
// authentication gets (an earlier run used the example's fixed orderId).
func (w *world) signatureAccepted() error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if a.status == http.StatusCreated || (len(a.v.Errors) == 1 && a.v.Errors[0].Code == "2005") {
		return nil
	}
	return fmt.Errorf("the signature was refused: %d %s", a.status, steps.Clip(a.body))
}

func (w *world) answerConforms() error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	return w.checker.Response(a.operation, a.status, a.header, a.body)
}

func (w *world) message(want string, exact bool) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if len(a.v.Errors) == 0 {
		return fmt.Errorf("the answer has no error: %d %s", a.status, steps.Clip(a.body))
	}
	got := a.v.Errors[0].Message
	if (exact && got != want) || (!exact && !strings.Contains(got, want)) {
		return fmt.Errorf("error message %q, want %s %q", got, map[bool]string{true: "exactly", false: "a mention of"}[exact], want)
	}
	return nil
}

func (w *world) payoutStatus(want string) error {
	if w.payout == nil {
		return errors.New("no payout: create one first")
	}
	a, err := w.call(request{operation: "getPayout", payoutID: w.payout.id})
	if err != nil {
		return err
	}
	if a.status != http.StatusOK || a.v.Output.Status != want {
		return fmt.Errorf("payout status %q (answer %d), want %q: %s", a.v.Output.Status, a.status, want, steps.Clip(a.body))
	}
	return nil
}

// got is what the receiver got about the scenario's payout.
func (w *world) got() ([]*received, error) {
	if w.payout == nil {
		return nil, errors.New("no payout: create one first")
	}
	if w.box == nil {
		return nil, nil
	}
	if err := w.reachable(); err != nil {
		return nil, err
	}
	return w.box.about(w.payout.id), nil
}

func (w *world) arrives(stage string, within time.Duration) error {
	var found *received
	err := waitFor(context.Background(), within, func() (bool, error) {
		got, err := w.got()
		for _, r := range got {
			if r.stage == stage {
				found = r
			}
		}
		return found != nil, err
	})
	if errors.Is(err, errWaited) {
		got, _ := w.got()
		where := "the suite's receiver"
		if w.box != nil {
			where = w.box.url
			if !w.sc.Target.IsHerald() {
				where = "the URL Monnet was configured with (--monnet-receiver-url), which must reach " + w.module.host.listening() + " (--monnet-receiver-listen)"
			}
		}
		return fmt.Errorf("no %s notification for payout %s arrived within %s at %s (%d other notifications of it arrived; the target parameter %s sets the wait)",
			stage, w.payout.id, within, where, len(got), ParamNotificationWait)
	}
	w.note = found
	return err
}

// noOther waits, then holds a Herald to its design, one notification per
// payout and stage once acknowledged; any target to the documented part:
// whatever else arrives for the payout conforms, verifies, and repeats the
// first of its stage byte for byte (the receiver's watch).
func (w *world) noOther(within int) error {
	if err := w.noDiffering(time.Duration(within) * time.Second); err != nil {
		return err
	}
	if w.sc.Target.IsHerald() {
		return w.received(1)
	}
	return nil
}

// noDiffering waits within seconds, failing as soon as the receiver's watch
// finds something wrong with a notification of the payout: one that does
// not conform or verify, or a later one for the same stage that is not the
// same bytes as the first, however late it comes.
func (w *world) noDiffering(within time.Duration) error {
	if w.payout == nil {
		return errors.New("no payout: create one first")
	}
	if w.box == nil {
		return errors.New("the suite's receiver was not set up: no notification can arrive")
	}
	err := waitFor(context.Background(), within, func() (bool, error) {
		if ps := w.box.problemsOf(w.payout.id); len(ps) > 0 {
			return true, fmt.Errorf("within %s: %s", within, strings.Join(ps, "\n"))
		}
		return false, nil
	})
	if err != nil && !errors.Is(err, errWaited) {
		return err
	}
	got, err := w.got()
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return fmt.Errorf("no notification of payout %s arrived", w.payout.id)
	}
	return nil
}

// noDifferingWhileRetrying watches the payout's notifications for as long
// as a sender might still send one again: the retry wait on a real target;
// on a Herald, its whole retry schedule, run at once on its clock.
func (w *world) noDifferingWhileRetrying() error {
	if !w.sc.Target.IsHerald() {
		return w.noDiffering(w.retryWait)
	}
	b, err := w.sc.Control(http.MethodGet, "monnet/notifier", nil)
	if err != nil {
		return err
	}
	var sched struct{ Backoff []string }
	if err := json.Unmarshal(b, &sched); err != nil || len(sched.Backoff) == 0 {
		return fmt.Errorf("the Herald's notifier schedule: %s", steps.Clip(b))
	}
	last, err := time.ParseDuration(sched.Backoff[len(sched.Backoff)-1])
	if err != nil {
		return err
	}
	if _, err := w.sc.Control(http.MethodPost, "clock/advance", map[string]string{"by": (last + time.Second).String()}); err != nil {
		return err
	}
	w.sc.ClockChanged()
	if err := w.sc.SyncClock(); err != nil {
		return err
	}
	return w.noDiffering(2 * time.Second)
}

// noOtherPayout: no notification (or no SUCCESS) arrives within n s about a
// payout other than the scenario's, with its orderId: a repeated orderId
// made no second payout that is paid.
func (w *world) noOtherPayout(what string, within int) error {
	if w.payout == nil || w.box == nil {
		return errors.New("no payout: create one first")
	}
	time.Sleep(time.Duration(within) * time.Second)
	for _, r := range w.box.all() {
		if r.orderID != w.payout.orderID || r.payout == w.payout.id {
			continue
		}
		if what == "arrives" || r.stage == "SUCCESS" {
			return fmt.Errorf("a %s notification arrived for payout %s, another payout with orderId %s: %s", r.stage, r.payout, r.orderID, clipBytes(r.body))
		}
	}
	return nil
}

// answeredNote: the receiver answered the notification the checks look at
// with status.
func (w *world) answeredNote(status int) error {
	n, err := w.notification()
	if err != nil {
		return err
	}
	if n.answered != status {
		return fmt.Errorf("the suite's receiver answered the notification %d, want %d", n.answered, status)
	}
	return nil
}

// newAttemptIdentical waits for a new attempt at the notification the
// receiver answered with a 5xx: it must carry the same bytes, body and
// verification header. The vendor documents no retries, so when none
// comes within the retry wait the scenario is skipped, saying so; a Herald
// retries by design, so none from a Herald fails.
func (w *world) newAttemptIdentical() error {
	first, err := w.notification()
	if err != nil {
		return err
	}
	if first.answered < 500 {
		return fmt.Errorf("the suite's receiver answered the notification %d: a new attempt is awaited after a 5xx", first.answered)
	}
	wait := w.retryWait
	if w.sc.Target.IsHerald() {
		wait = settle
		if err := w.untilNextAttempt(); err != nil {
			return err
		}
	}
	var again *received
	err = waitFor(context.Background(), wait, func() (bool, error) {
		got, err := w.got()
		for _, r := range got {
			if r != first && r.stage == first.stage {
				again = r
			}
		}
		return again != nil, err
	})
	if err != nil && !errors.Is(err, errWaited) {
		return err
	}
	if ps := w.box.problemsOf(w.payout.id); len(ps) > 0 {
		return errors.New(strings.Join(ps, "\n"))
	}
	if again == nil {
		if w.sc.Target.IsHerald() {
			return fmt.Errorf("the Herald made no new attempt at payout %s's notification within %s of the receiver answering %d: its notifier retries by design", w.payout.id, wait, first.answered)
		}
		return fmt.Errorf("%w: the target made no new attempt at payout %s's notification within %s of the suite's receiver answering %d; Monnet documents no retries, so there is nothing to hold it to (the target parameter %s waits longer)",
			godog.ErrSkip, w.payout.id, wait, first.answered, ParamRetryWait)
	}
	return nil // the watch compared its bytes with the first's as it arrived
}

// untilNextAttempt moves a Herald's clock to the next scheduled attempt at
// the payout's notification.
func (w *world) untilNextAttempt() error {
	d, err := w.settled(func(d delivery) bool { return len(d.Attempts) > 0 || d.State != wire.StatePending })
	if err != nil {
		return err
	}
	if d.State != wire.StatePending {
		return fmt.Errorf("the Herald's delivery of payout %s is %s, not pending, after an attempt answered with a 5xx: %+v", w.payout.id, d.State, d.Attempts)
	}
	by := d.Next.Sub(w.sc.Now()) + time.Second
	if by < time.Second {
		by = time.Second
	}
	if _, err := w.sc.Control(http.MethodPost, "clock/advance", map[string]string{"by": by.Round(time.Second).String()}); err != nil {
		return err
	}
	w.sc.ClockChanged()
	return w.sc.SyncClock()
}

// statusAgrees reads the payout's status and compares it with the
// notification: the same payout (Id, orderId, amount, currency), the same
// stage and status (BUSSINESS_ERROR, the status table's spelling, is
// BUSINESS_ERROR), the same error codes.
func (w *world) statusAgrees() error {
	n, err := w.notification()
	if err != nil {
		return err
	}
	a, err := w.call(request{operation: "getPayout", payoutID: w.payout.id})
	if err != nil {
		return err
	}
	if a.status != http.StatusOK {
		return fmt.Errorf("the status read answered %d: %s", a.status, steps.Clip(a.body))
	}
	var note struct {
		Payout map[string]any
		Output struct{ Stage, Status string }
		Errors []struct{ Code string }
	}
	if err := json.Unmarshal(n.body, &note); err != nil {
		return fmt.Errorf("the notification is not JSON: %w", err)
	}
	str := func(v any) string {
		switch x := v.(type) {
		case string:
			return x
		case json.Number:
			return string(x)
		case nil:
			return ""
		}
		return fmt.Sprint(v)
	}
	spelling := func(s string) string { return strings.Replace(s, "BUSSINESS_ERROR", "BUSINESS_ERROR", 1) }
	var diffs []string
	differ := func(what, read, notified string) {
		if read != notified {
			diffs = append(diffs, fmt.Sprintf("%s: the status read says %q, the notification %q", what, read, notified))
		}
	}
	noteID := str(note.Payout["id"])
	if noteID == "" {
		noteID = str(note.Payout["Id"])
	}
	differ("the payout id", str(a.v.Payout["Id"]), noteID)
	differ("orderId", str(a.v.Payout["orderId"]), str(note.Payout["orderId"]))
	differ("amount", str(a.v.Payout["amount"]), str(note.Payout["amount"]))
	differ("currency", str(a.v.Payout["currency"]), str(note.Payout["currency"]))
	if c := str(note.Payout["country"]); c != "" {
		differ("country", str(a.v.Payout["country"]), c)
	}
	differ("output.stage", a.v.Output.Stage, note.Output.Stage)
	differ("output.status", spelling(a.v.Output.Status), spelling(note.Output.Status))
	var readCodes, noteCodes []string
	for _, e := range a.v.Errors {
		readCodes = append(readCodes, e.Code)
	}
	for _, e := range note.Errors {
		noteCodes = append(noteCodes, e.Code)
	}
	differ("the error codes", strings.Join(readCodes, ","), strings.Join(noteCodes, ","))
	if len(diffs) > 0 {
		return fmt.Errorf("payout %s's status read differs from its notification:\n- %s\nstatus read: %s\nnotification: %s",
			w.payout.id, strings.Join(diffs, "\n- "), steps.Clip(a.body), clipBytes(n.body))
	}
	return nil
}

func (w *world) received(n int) error {
	var got []*received
	err := waitFor(context.Background(), settle, func() (bool, error) {
		var err error
		got, err = w.got()
		return len(got) >= n, err
	})
	if err != nil && !errors.Is(err, errWaited) {
		return err
	}
	if len(got) != n {
		return fmt.Errorf("the receiver got %d notifications of payout %s, want %d", len(got), w.payout.id, n)
	}
	if n > 0 && w.note == nil {
		w.note = got[0]
	}
	return nil
}

func (w *world) notification() (*received, error) {
	if w.note == nil {
		return nil, errors.New("no notification arrived yet")
	}
	return w.note, nil
}

func (w *world) verifies(merchantID string) error {
	n, err := w.notification()
	if err != nil {
		return err
	}
	pub, err := w.notifierKey()
	if err != nil {
		return err
	}
	values := n.header.Values(wire.HeaderVerification)
	if len(values) != 1 {
		return fmt.Errorf("the notification has %d verification headers, want 1", len(values))
	}
	if err := wire.Verify(pub, merchantID, n.body, values[0]); err != nil {
		return fmt.Errorf("merchant %s: %w", merchantID, err)
	}
	return nil
}

// verifiesOnlyAsSent: the signature covers the merchantId and every byte.
func (w *world) verifiesOnlyAsSent() error {
	n, err := w.notification()
	if err != nil {
		return err
	}
	pub, err := w.notifierKey()
	if err != nil {
		return err
	}
	sig := n.header.Get(wire.HeaderVerification)
	if wire.Verify(pub, w.merchantID+"9", n.body, sig) == nil {
		return errors.New("the signature verifies for another merchantId")
	}
	if wire.Verify(pub, "", n.body, sig) == nil {
		return errors.New("the signature verifies over the body alone, without the merchantId")
	}
	if wire.Verify(pub, w.merchantID, append(bytes.Clone(n.body), '\n'), sig) == nil {
		return errors.New("the signature verifies over the body with a newline added")
	}
	return nil
}

func (w *world) noteConforms() error {
	n, err := w.notification()
	if err != nil {
		return err
	}
	return w.checker.Webhook("payoutNotification", n.method, n.header, n.body)
}

func (w *world) noteJSON() (map[string]json.RawMessage, error) {
	n, err := w.notification()
	if err != nil {
		return nil, err
	}
	var v map[string]json.RawMessage
	if err := json.Unmarshal(n.body, &v); err != nil {
		return nil, fmt.Errorf("the notification is not a JSON object: %w", err)
	}
	return v, nil
}

func (w *world) noteField(member, field, want string) error {
	v, err := w.noteJSON()
	if err != nil {
		return err
	}
	var m map[string]any
	_ = json.Unmarshal(v[member], &m)
	if got, ok := m[field].(string); !ok || got != want {
		return fmt.Errorf("%s.%s is %#v, want the string %q", member, field, m[field], want)
	}
	return nil
}

func (w *world) noteLacks(member string) error {
	v, err := w.noteJSON()
	if err != nil {
		return err
	}
	if raw, ok := v[member]; ok {
		return fmt.Errorf("the notification has %q: %s", member, raw)
	}
	return nil
}

// noteErrors: "none" for no errors array, else the codes, comma-separated.
func (w *world) noteErrors(want string) error {
	v, err := w.noteJSON()
	if err != nil {
		return err
	}
	raw, ok := v["errors"]
	if want == "none" {
		if ok {
			return fmt.Errorf("the notification has errors: %s", raw)
		}
		return nil
	}
	var list []struct{ Code, Message string }
	if err := json.Unmarshal(raw, &list); err != nil {
		return fmt.Errorf("errors is not a list of {code, message}: %s", raw)
	}
	var codes []string
	for _, e := range list {
		if e.Message == "" {
			return fmt.Errorf("error %s has no message", e.Code)
		}
		codes = append(codes, e.Code)
	}
	if strings.Join(codes, ",") != want {
		return fmt.Errorf("error codes %v, want %s", codes, want)
	}
	return nil
}

func (w *world) identical() error {
	got, err := w.got()
	if err != nil {
		return err
	}
	if len(got) < 2 {
		return fmt.Errorf("%d notifications of the payout arrived; want at least 2 to compare", len(got))
	}
	for i, r := range got[1:] {
		if !bytes.Equal(r.body, got[0].body) {
			return fmt.Errorf("notification %d's body differs from the first:\n%s\n%s", i+2, got[0].body, r.body)
		}
		if a, b := r.header.Values(wire.HeaderVerification), got[0].header.Values(wire.HeaderVerification); strings.Join(a, "\n") != strings.Join(b, "\n") {
			return fmt.Errorf("notification %d's verification header differs from the first", i+2)
		}
	}
	return nil
}

// settled reads the payout's genuine delivery until ok accepts it.
func (w *world) settled(ok func(delivery) bool) (delivery, error) {
	var d delivery
	err := waitFor(context.Background(), settle, func() (bool, error) {
		var err error
		d, err = w.genuine()
		return err == nil && ok(d), err
	})
	if errors.Is(err, errWaited) {
		err = nil // the caller says what is wrong with d
	}
	return d, err
}

// logShows compares the delivery log with a table: attempt, after final
// stage ("10 s"), status, error (a prefix, such as "timeout").
func (w *world) logShows(table *godog.Table) error {
	rows := table.Rows[1:]
	d, err := w.settled(func(d delivery) bool { return len(d.Attempts) >= len(rows) })
	if err != nil {
		return err
	}
	if len(d.Attempts) != len(rows) {
		return fmt.Errorf("the log has %d attempts, want %d: %+v", len(d.Attempts), len(rows), d.Attempts)
	}
	for i, row := range rows {
		a := d.Attempts[i]
		cell := func(j int) string { return strings.TrimSpace(row.Cells[j].Value) }
		after := strings.TrimSuffix(cell(1), " s")
		secs, err := strconv.ParseFloat(after, 64)
		if err != nil {
			return fmt.Errorf("row %d: %q is not a number of seconds", i+1, cell(1))
		}
		status, _ := strconv.Atoi(cell(2))
		if got := a.At.Sub(d.Due); got != time.Duration(secs*float64(time.Second)) {
			return fmt.Errorf("attempt %d was %v after the final stage, want %s s", i+1, got, after)
		}
		if a.Status != status {
			return fmt.Errorf("attempt %d: status %d, want %d (error %q)", i+1, a.Status, status, a.Error)
		}
		if want := cell(3); (want == "") != (a.Error == "") || !strings.HasPrefix(a.Error, want) {
			return fmt.Errorf("attempt %d: error %q, want %q", i+1, a.Error, want)
		}
	}
	return nil
}

func (w *world) logHas(n int, lastRedelivery bool) error {
	d, err := w.settled(func(d delivery) bool { return len(d.Attempts) >= n })
	if err != nil {
		return err
	}
	if len(d.Attempts) != n {
		return fmt.Errorf("the log has %d attempts, want %d: %+v", len(d.Attempts), n, d.Attempts)
	}
	for i, a := range d.Attempts {
		if a.Redelivery != (lastRedelivery && i == n-1) {
			return fmt.Errorf("attempt %d: redelivery %v: %+v", i+1, a.Redelivery, d.Attempts)
		}
	}
	return nil
}

func (w *world) deliveryState(state string) error {
	d, err := w.settled(func(d delivery) bool { return d.State == state })
	if err != nil {
		return err
	}
	if d.State != state {
		return fmt.Errorf("the delivery is %s, want %s: %+v", d.State, state, d.Attempts)
	}
	return nil
}

func (w *world) nonePending() error {
	ds, err := w.deliveries()
	if err != nil {
		return err
	}
	for _, d := range ds {
		if d.State == wire.StatePending {
			return fmt.Errorf("delivery %s is pending: %+v", d.ID, d.Attempts)
		}
	}
	return nil
}

func (w *world) redeliver() error {
	d, err := w.genuine()
	if err != nil {
		return err
	}
	_, err = w.sc.Control(http.MethodPost, "monnet/deliveries/"+d.ID+"/redeliver", nil)
	return err
}

func (w *world) redeliveryAcknowledged() error {
	d, err := w.settled(func(d delivery) bool {
		return len(d.Attempts) > 0 && d.Attempts[len(d.Attempts)-1].Redelivery
	})
	if err != nil {
		return err
	}
	if len(d.Attempts) == 0 || !d.Attempts[len(d.Attempts)-1].Redelivery {
		return fmt.Errorf("no redelivery was made: %+v", d.Attempts)
	}
	a := d.Attempts[len(d.Attempts)-1]
	if a.Status < 200 || a.Status > 299 {
		return fmt.Errorf("the receiver answered the byte-identical redelivery with %d %s: a correct receiver acknowledges it (the signature has no timestamp, so a redelivery is no forgery), else Monnet retries it forever", a.Status, a.Error)
	}
	return nil
}

// deliveredPayout creates a payout and waits until its SUCCESS
// notification is delivered.
func (w *world) deliveredPayout() error {
	if _, err := w.create("FORGE", "", signing{}); err != nil {
		return err
	}
	if w.payout == nil {
		return fmt.Errorf("the payout was not created: %d %s", w.last.status, steps.Clip(w.last.body))
	}
	if err := w.reachFinal(); err != nil {
		return err
	}
	if err := w.arrives("SUCCESS", settle); err != nil {
		return err
	}
	return w.deliveryState(wire.StateDelivered)
}

func (w *world) forge(kind string) error {
	d, err := w.genuine()
	if err != nil {
		return err
	}
	if w.box != nil {
		w.box.forgeries() // sent on purpose: the watch leaves them alone
	}
	b, err := w.sc.Control(http.MethodPost, "monnet/deliveries/"+d.ID+"/forgeries", map[string]string{"kind": kind})
	if err != nil {
		return err
	}
	var f delivery
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	err = waitFor(context.Background(), settle, func() (bool, error) {
		var err error
		f, err = w.deliveryByID(f.ID)
		return len(f.Attempts) > 0, err
	})
	if errors.Is(err, errWaited) {
		return fmt.Errorf("the forged notification %s was never sent", f.ID)
	}
	w.forged = &f
	return err
}

// forgeryRefused is the check a correct receiver passes: it answered the
// forged notification with a non-2xx status.
func (w *world) forgeryRefused() error {
	if w.forged == nil {
		return errors.New("no forged notification was sent")
	}
	f := w.forged
	a := f.Attempts[0]
	switch {
	case a.Status == 0:
		return fmt.Errorf("forged notification %q: the receiver gave no answer (%s)", f.Forgery, a.Error)
	case a.Status >= 200 && a.Status < 300:
		return fmt.Errorf("forged notification %q was acknowledged with %d: the receiver accepts a notification %s", f.Forgery, a.Status, wire.Forgery(f.Forgery).Describe())
	}
	return nil
}

// forgeryCaught: the check fails against a lax receiver, naming the forgery.
func (w *world) forgeryCaught(kind string) error {
	err := w.forgeryRefused()
	if err == nil {
		return fmt.Errorf("the receiver refused forged notification %q; the lax receiver should have accepted it", kind)
	}
	if !strings.Contains(err.Error(), `"`+kind+`"`) {
		return fmt.Errorf("the check's failure does not name %q: %v", kind, err)
	}
	return nil
}

// createAgain creates a payout with an orderId the scenario used already.
// A payout it makes (a target that refuses the duplicate later, in a
// notification) is kept apart: the scenario's payout stays the first.
func (w *world) createAgain(name string) error {
	first := w.payout
	if first == nil || first.orderID != w.order(name) {
		return fmt.Errorf("no payout with orderId %q was created in this scenario", name)
	}
	_, err := w.create(name, "", signing{})
	if w.payout != first {
		w.repeat, w.payout, w.note = w.payout, first, nil
	}
	return err
}

// duplicateRefused: the vendor documents a repeated orderId as the business
// error 2005 "[orderId] Duplicated", both as an error code and in its
// REJECTED-by-business-error notification: either refusal holds on any
// target. (That Herald answers it at once, with 400, is its design.)
func (w *world) duplicateRefused() error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	const message = "[orderId] Duplicated"
	if a.status >= 400 {
		if len(a.v.Errors) != 1 || a.v.Errors[0].Code != "2005" || a.v.Errors[0].Message != message {
			return fmt.Errorf("the repeated orderId was refused, but not as the documented 2005 %q: %d %s", message, a.status, steps.Clip(a.body))
		}
		return nil
	}
	if w.repeat == nil {
		return fmt.Errorf("the repeated orderId was answered %d, neither refused nor a payout: %s", a.status, steps.Clip(a.body))
	}
	// Accepted: its payout must be REJECTED with 2005 in its notification.
	var found *received
	err = waitFor(context.Background(), w.noteWait, func() (bool, error) {
		for _, r := range w.box.about(w.repeat.id) {
			found = r
		}
		return found != nil, nil
	})
	if err != nil && !errors.Is(err, errWaited) {
		return err
	}
	if found == nil {
		return fmt.Errorf("the repeated orderId was accepted as payout %s (%d), and no notification refused it with 2005 within %s", w.repeat.id, a.status, w.noteWait)
	}
	var body struct {
		Output struct{ Stage string }
		Errors []struct{ Code, Message string }
	}
	_ = json.Unmarshal(found.body, &body)
	if body.Output.Stage != "REJECTED" || len(body.Errors) == 0 || body.Errors[0].Code != "2005" {
		return fmt.Errorf("the repeated orderId was accepted as payout %s, which was notified %s, not REJECTED with 2005 %q: %s",
			w.repeat.id, body.Output.Stage, message, clipBytes(found.body))
	}
	return nil
}

// createWithAmount creates a payout whose amount is written as lit, byte
// for byte.
func (w *world) createWithAmount(lit string) error {
	order := w.order("AMOUNT")
	b, _ := json.Marshal(payoutBody(order, ""))
	body := bytes.Replace(b, []byte(`"amount":100000`), []byte(`"amount":`+lit), 1)
	if bytes.Equal(body, b) && lit != "100000" {
		return errors.New("the payout body has no amount to write")
	}
	_, err := w.createBody(order, body, signing{})
	return err
}

// answerAmount: the last answer's payout.amount is lit, as written (a
// float would turn 9007199254740993 into …992).
func (w *world) answerAmount(lit string) error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	var v struct {
		Payout map[string]json.RawMessage
	}
	if err := json.Unmarshal(a.body, &v); err != nil {
		return fmt.Errorf("the answer is not JSON: %s", steps.Clip(a.body))
	}
	if got := string(v.Payout["amount"]); got != lit {
		return fmt.Errorf("payout.amount is written %s, want %s: %s", got, lit, steps.Clip(a.body))
	}
	return nil
}

// answerHidesPayout: a refused answer names nothing of the payout.
func (w *world) answerHidesPayout() error {
	a, err := w.lastAnswer()
	if err != nil {
		return err
	}
	if w.payout == nil {
		return errors.New("no payout: create one first")
	}
	if a.status < 400 || bytes.Contains(a.body, []byte(w.payout.orderID)) || len(a.v.Payout) > 0 {
		return fmt.Errorf("the answer shows payout %s (orderId %s) to another merchant's path: %d %s", w.payout.id, w.payout.orderID, a.status, steps.Clip(a.body))
	}
	return nil
}
