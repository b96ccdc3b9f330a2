package monnet

import (
	"bytes"
	"encoding/json"
	wire "herald/specs/wire/monnet"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// signedAt sends a status read for merchant 22 signed with timestamp ts and
// returns the status and the first error's message.
func (h *harness) signedAt(ts string) (int, string) {
	h.t.Helper()
	path := "/api/v1/22/payouts/100"
	req, _ := http.NewRequest("GET", h.srv.URL+path+"?timestamp="+ts+"&signature="+wire.PayoutSignature(secret22, "GET", path, ts, nil), nil)
	req.Header.Set(wire.HeaderAPIKey, key22)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&v); err != nil {
		h.t.Fatalf("answer is not JSON: %s", raw)
	}
	_, msg := errorCode(v)
	return resp.StatusCode, msg
}

// The timestamp is Unix milliseconds, at most 16 digits, within
// TimestampWindow of the server's time either way (the edges pass); the
// refusal says by how many whole seconds it is off.
func TestPayoutTimestampEdges(t *testing.T) {
	h := newHarness(t)
	if status, v := h.do("POST", "/api/v1/22/payouts", payoutBody("TS-1", ""), nil); status != 201 {
		t.Fatalf("create: %d %v", status, v)
	}
	now := h.sched.clock.Now().UnixMilli()
	window := TimestampWindow.Milliseconds()
	ms := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, ts := range []string{ms(now - window), ms(now + window), ms(now)} {
		if status, msg := h.signedAt(ts); status != 200 {
			t.Errorf("timestamp %s (%+d ms): %d %s, want 200", ts, mustInt(ts)-now, status, msg)
		}
	}
	for _, c := range []struct{ ts, want string }{
		{ms(now - window - 1), "is " + strconv.FormatInt((window+1)/1000, 10) + " s from the server time"},
		{ms(now + window + 1), "is " + strconv.FormatInt((window+1)/1000, 10) + " s from the server time"},
		{ms(now - 2*window), "is " + strconv.FormatInt(2*window/1000, 10) + " s from the server time"},
		{"0", "s from the server time"},
		{"1000000000000000", "s from the server time"},
		{"10000000000000000", "must be Unix milliseconds"},
		{"-1", "must be Unix milliseconds"},
	} {
		status, msg := h.signedAt(c.ts)
		if status != 401 || !strings.Contains(msg, c.want) {
			t.Errorf("timestamp %s: %d %q, want 401 saying %q", c.ts, status, msg, c.want)
		}
	}
}

func mustInt(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
