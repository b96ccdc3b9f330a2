package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Client reads a world's journal through the control API.
type Client struct {
	// ControlURL is the world's control API base, ending in "/": the
	// root's (http://127.0.0.1:8080/_herald/v1/) or an isolated world's.
	ControlURL string
	// Token is the control API's bearer token; "" sends none.
	Token string
	// HTTP sends the requests; nil is http.DefaultClient.
	HTTP *http.Client
}

// TB is the part of testing.TB the assertions use (a fake in tests).
type TB interface {
	Helper()
	Errorf(format string, args ...any)
}

// Count is how many of the world's kept exchanges meet every criterion.
func (c *Client) Count(ctx context.Context, m Match) (int, error) {
	r, err := c.Verify(ctx, m)
	return r.Count, err
}

// Verify is the count with its near misses: up to three exchanges that meet
// the most criteria, each with those it does not meet.
func (c *Client) Verify(ctx context.Context, m Match) (CountResult, error) {
	var out CountResult
	err := c.do(ctx, http.MethodPost, "journal/count", m, &out)
	return out, err
}

// List returns the world's kept exchanges that pass f, newest first (at
// most f.Limit; the API's default is 100).
func (c *Client) List(ctx context.Context, f Filter) ([]Entry, error) {
	var p Page
	path := "journal"
	if q := f.Values().Encode(); q != "" {
		path += "?" + q
	}
	err := c.do(ctx, http.MethodGet, path, nil, &p)
	return p.Entries, err
}

// Clear forgets the world's exchanges.
func (c *Client) Clear(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "journal", nil, nil)
}

// AssertReceived checks that exactly n of the world's kept exchanges meet
// m, and otherwise fails t (Errorf) with the criteria, the count, and the
// closest exchanges: each one's method, path, status and operation, the
// criteria it does not meet, and its authentication's reason or refusal.
// It reports whether the check passed. An exchange is in the journal once
// its answer is sent, so there is nothing to wait for after a call
// returns; only the last --journal-size exchanges (every world's) are kept.
func (c *Client) AssertReceived(t TB, m Match, n int) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := c.Verify(ctx, m)
	if err != nil {
		t.Errorf("journal: counting the exchanges matching %s: %v", m, err)
		return false
	}
	if r.Count == n {
		return true
	}
	t.Errorf("%s", Failure(m, n, r))
	return false
}

// Failure is AssertReceived's message: wanted n, got the count, the
// criteria, and each near miss.
func Failure(m Match, n int, r CountResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "journal: wanted %d %s matching %s, got %d", n, plural(n, "exchange", "exchanges"), m, r.Count)
	if len(r.NearMisses) == 0 {
		if r.Count == 0 {
			b.WriteString("\nno exchange of this world is kept: none was sent here, the journal was cleared, or newer ones pushed them out (--journal-size)")
		}
		return b.String()
	}
	b.WriteString("\nclosest exchanges:")
	for i, nm := range r.NearMisses {
		e := nm.Entry
		fmt.Fprintf(&b, "\n  %d. %s", i+1, e.Line())
		for _, u := range nm.Unmet {
			b.WriteString("\n       unmet: " + u)
		}
		if e.Auth.Outcome == "refused" || e.Auth.Reason != "" {
			fmt.Fprintf(&b, "\n       auth %s: %s", e.Auth.Outcome, orNone(e.Auth.Reason))
		}
		if f := e.Refusal; f != nil && f.Reason != e.Auth.Reason {
			where := f.Kind
			if f.Pointer != "" {
				where += " at " + f.Pointer
			} else if f.Field != "" {
				where += " in " + f.In + " " + f.Field
			}
			if f.Stage != "" {
				where = f.Stage + ", " + where
			}
			fmt.Fprintf(&b, "\n       refused (%s): %s", where, f.Reason)
		}
		if cm := e.ClosestMiss; cm != nil {
			fmt.Fprintf(&b, "\n       matched no operation; closest %s %s (%s): %s", cm.Method, cm.Path, cm.Operation, strings.Join(cm.Differences, "; "))
		}
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func orNone(s string) string {
	if s == "" {
		return "(no reason given)"
	}
	return s
}

// APIError is an answer of the control API other than a success.
type APIError struct {
	Method, Path string
	Status       int
	Code         string // the control API's error code, such as not_found
	Message      string
	Field        string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("control %s %s answered %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.ControlURL+path, rd)
	if err != nil {
		return err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("control %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("control %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		e := &APIError{Method: method, Path: path, Status: resp.StatusCode}
		var problem struct {
			Error struct{ Code, Message, Field string }
		}
		if json.Unmarshal(b, &problem) == nil && problem.Error.Message != "" {
			e.Code, e.Message, e.Field = problem.Error.Code, problem.Error.Message, problem.Error.Field
		} else {
			e.Message = strings.TrimSpace(string(b[:min(len(b), 512)]))
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("control %s %s: %w", method, path, err)
	}
	return nil
}
