package monnet

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing/fstest"
	"time"

	"github.com/cucumber/godog"

	"herald/fixtures"
	"herald/specs"
	wire "herald/specs/wire/monnet"
)

// CheckOptions configure a check of a merchant's receiver.
type CheckOptions struct {
	// URL is the receiver's; MerchantID the merchant whose notifications it
	// takes (the signed content starts with it).
	URL        string
	MerchantID string
	// Key signs the valid notifications; nil is Herald's notifier key (the
	// fixture certificate's). The other-key forgery is signed by another.
	Key *rsa.PrivateKey
	// Timeout bounds each request (0: 10 s); Client sends them (nil: one
	// that follows no redirect).
	Timeout time.Duration
	Client  *http.Client
	// Format and Output are the report's, as for herald test: pretty,
	// progress, junit:FILE, cucumber:FILE, comma-separated.
	Format string
	Output io.Writer
	// Outcome, when not nil, is filled with the counts of the check.
	Outcome *CheckOutcome
}

// CheckOutcome counts a check's notifications: those sent, those the
// receiver answered (with any status), and those it answered wrongly (no
// answer counts as wrong).
type CheckOutcome struct {
	Sent, Answered, Wrong int
}

// checkCase is one notification the check sends, and what a correct
// receiver answers.
type checkCase struct {
	name    string
	message wire.Message
	valid   bool   // must be acknowledged with a 2xx; else refused with a non-2xx status
	why     string // for a forged one: what is wrong with it
}

// checkCases builds every case: a valid notification of each outcome, a
// byte-identical redelivery of the first, and each forgery of it.
func checkCases(merchantID string, key *rsa.PrivateKey) ([]checkCase, error) {
	doc, err := specs.Load(specs.Monnet)
	if err != nil {
		return nil, err
	}
	messages, err := wire.ErrorMessages(doc)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 8+11)
	_, _ = rand.Read(b)
	auth := []byte{'A'}
	for _, c := range b[8:] {
		auth = append(auth, '0'+c%10)
	}
	run := hex.EncodeToString(b[:4])
	firstID := int64(900_000_000 + binary.BigEndian.Uint32(b[4:8])%90_000_000) // fresh ids, so a receiver that deduplicates sees new payouts
	final := time.Now().UTC().Truncate(time.Second)
	var cases []checkCase
	for i, outcome := range wire.Outcomes() {
		order := fmt.Sprintf("HERALD-CHECK-%s-%d", run, i+1)
		rule, _ := wire.RuleOf(outcome)
		o := wire.Outcome{Status: outcome, Code: rule.DefaultCode}
		body, err := wire.Sample(merchantID, firstID+int64(i), order, o, messages[o.Code], string(auth), final).Encode()
		if err != nil {
			return nil, err
		}
		sig, err := wire.Sign(key, merchantID, body)
		if err != nil {
			return nil, err
		}
		name := "valid SUCCESS notification"
		if outcome != "SUCCESS" {
			name = "valid REJECTED notification, status " + outcome
		}
		cases = append(cases, checkCase{name: name, valid: true, message: wire.Message{MerchantID: merchantID, Body: body, Verification: sig}})
	}
	success := cases[0].message
	cases = append(cases, checkCase{name: "byte-identical redelivery of the SUCCESS notification", valid: true, message: success})
	other, err := otherKey(key)
	if err != nil {
		return nil, err
	}
	for _, kind := range wire.Forgeries() {
		m, err := wire.Forge(kind, success, key, other)
		if err != nil {
			return nil, err
		}
		cases = append(cases, checkCase{name: "forged notification " + string(kind), message: m, why: kind.Describe()})
	}
	return cases, nil
}

// otherKey is a key other than key, for the other-key forgery.
func otherKey(key *rsa.PrivateKey) (*rsa.PrivateKey, error) {
	for _, path := range []string{fixtures.MonnetForgerKey, fixtures.MonnetNotifierKey} {
		b, err := fixtures.Read(path)
		if err != nil {
			return nil, err
		}
		k, err := wire.ParsePrivateKey(b)
		if err != nil {
			return nil, err
		}
		if !k.PublicKey.Equal(&key.PublicKey) {
			return k, nil
		}
	}
	return nil, errors.New("no key other than the signing key")
}

type checkKey struct{}

// checkState is one scenario's state: the case it sent and the answer.
type checkState struct {
	c      *checkCase
	status int
	err    error
}

// CheckReceiver sends the receiver valid notifications of every outcome, a
// byte-identical redelivery and every negative fixture, one scenario per
// case, and reports whether it answered each as a correct receiver must:
// 2xx for the valid ones and the redelivery, a non-2xx status for the
// forged ones. It returns godog's status: 0 every answer right, 1 a wrong
// one, 2 bad options.
func CheckReceiver(o CheckOptions) int {
	if o.Output == nil {
		o.Output = io.Discard
	}
	if o.Format == "" {
		o.Format = "pretty"
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.URL == "" || o.MerchantID == "" {
		fmt.Fprintln(o.Output, "the receiver's URL and the merchant id are required")
		return 2
	}
	if o.Key == nil {
		b, err := fixtures.Read(fixtures.MonnetNotifierKey)
		if err == nil {
			o.Key, err = wire.ParsePrivateKey(b)
		}
		if err != nil {
			fmt.Fprintln(o.Output, err)
			return 2
		}
	}
	cases, err := checkCases(o.MerchantID, o.Key)
	if err != nil {
		fmt.Fprintln(o.Output, err)
		return 2
	}
	var feature strings.Builder
	fmt.Fprintf(&feature, "Feature: Monnet receiver check\n  The receiver at %s, for merchant %s: a correct receiver acknowledges each\n  valid notification and the byte-identical redelivery with a 2xx, and refuses\n  each forged one with a non-2xx status.\n", o.URL, o.MerchantID)
	byName := map[string]*checkCase{}
	for i := range cases {
		c := &cases[i]
		byName[c.name] = c
		then := "Then the receiver acknowledges it with a 2xx status"
		if !c.valid {
			then = "Then the receiver refuses it with a non-2xx status"
		}
		fmt.Fprintf(&feature, "\n  Scenario: %s\n    When Herald sends the %s\n    %s\n", c.name, c.name, then)
	}
	var mu sync.Mutex
	var outcome CheckOutcome
	count := func(answered, wrong bool) {
		mu.Lock()
		defer mu.Unlock()
		outcome.Sent++
		if answered {
			outcome.Answered++
		}
		if wrong {
			outcome.Wrong++
		}
	}
	init := func(sc *godog.ScenarioContext) {
		sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
			return context.WithValue(ctx, checkKey{}, &checkState{}), nil
		})
		state := func(ctx context.Context) *checkState { return ctx.Value(checkKey{}).(*checkState) }
		sc.Step(`^Herald sends the (.+)$`, func(ctx context.Context, name string) error {
			c := byName[name]
			if c == nil {
				return fmt.Errorf("no case %q", name)
			}
			s := state(ctx)
			s.c = c
			rctx, cancel := context.WithTimeout(ctx, o.Timeout)
			defer cancel()
			s.status, s.err = wire.Post(rctx, o.Client, o.URL, c.message)
			return nil
		})
		sc.Step(`^the receiver acknowledges it with a 2xx status$`, func(ctx context.Context) error {
			s := state(ctx)
			count(s.err == nil || s.status != 0, s.err != nil || s.status < 200 || s.status > 299)
			switch {
			case s.err != nil:
				return fmt.Errorf("%s: no answer: %v", s.c.name, s.err)
			case s.status < 200 || s.status > 299:
				return fmt.Errorf("%s: the receiver answered %d; it must acknowledge it with a 2xx (the signature verifies over the merchantId followed by the raw body bytes; a redelivery is no forgery, as the signature has no timestamp, and refusing it makes Monnet retry it forever)", s.c.name, s.status)
			}
			return nil
		})
		sc.Step(`^the receiver refuses it with a non-2xx status$`, func(ctx context.Context) error {
			s := state(ctx)
			count(s.err == nil || s.status != 0, s.err != nil || (s.status >= 200 && s.status <= 299))
			switch {
			case s.err != nil:
				return fmt.Errorf("%s: no answer (%v); a correct receiver refuses it with a non-2xx status", s.c.name, s.err)
			case s.status >= 200 && s.status <= 299:
				return fmt.Errorf("%s: the receiver answered %d; it accepts a notification %s", s.c.name, s.status, s.c.why)
			}
			return nil
		})
	}
	status := godog.TestSuite{
		Name:                "herald monnet check-receiver",
		ScenarioInitializer: init,
		Options: &godog.Options{
			Format:   o.Format,
			Strict:   true,
			NoColors: true,
			FS:       fstest.MapFS{"receiver-check.feature": {Data: []byte(feature.String())}},
			Paths:    []string{"."},
			Output:   o.Output,
		},
	}.Run()
	if o.Outcome != nil {
		*o.Outcome = outcome
	}
	return status
}
