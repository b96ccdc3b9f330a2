package monnet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"herald/simulator/entropy"
	"herald/specs"
	wire "herald/specs/wire/monnet"
)

// The receiver check (steps/monnet) builds its valid notifications with
// wire.Sample, without the simulator: each is byte for byte what the
// simulator sends for a payout of wire.SampleRequest with that outcome.
func TestWireSampleIsWhatTheSimulatorSends(t *testing.T) {
	s, err := New(Config{Random: entropy.New(7)})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := specs.Load(specs.Monnet)
	if err != nil {
		t.Fatal(err)
	}
	messages, err := wire.ErrorMessages(doc)
	if err != nil {
		t.Fatal(err)
	}
	final := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, status := range wire.Outcomes() {
		order := fmt.Sprintf("O-%d", i)
		got, err := s.SampleNotification("22", int64(900+i), order, wire.Outcome{Status: status}, final)
		if err != nil {
			t.Fatal(err)
		}
		var sent struct{ Output wire.Output }
		if err := json.Unmarshal(got, &sent); err != nil {
			t.Fatal(err)
		}
		rule, _ := wire.RuleOf(status)
		want, err := wire.Sample("22", int64(900+i), order, wire.Outcome{Status: status, Code: rule.DefaultCode},
			messages[rule.DefaultCode], sent.Output.AuthorizationCode, final).Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\nthe simulator sends %s\nwire.Sample is     %s", status, got, want)
		}
	}
}
