package control

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"herald/simulator/engine"
	"herald/simulator/journal"
	"herald/simulator/system"
	"herald/specs"
)

// journalOff is the answer of the journal routes when Herald keeps none.
func (a *api) journal() (*journal.Journal, error) {
	if a.cfg.Journal == nil {
		return nil, NotFound("the journal is off (herald serve --journal-size 0); start Herald without it to keep exchanges")
	}
	return a.cfg.Journal, nil
}

// filterOf reads the journal filters of a request, for this world.
func (a *api) filterOf(ex *engine.Exchange) (journal.Filter, error) {
	return readFilter(a.cfg.World, ex.Query(), listParams, a.cfg.Systems, a.cfg.Checker)
}

// The query parameters each journal route takes: a typo is refused, not
// taken for "no filter".
var (
	listParams   = []string{"system", "operation", "method", "status", "verdict", "since", "until", "q", "limit", "before", "after"}
	harParams    = []string{"system", "operation", "method", "status", "verdict", "since", "until", "q"}
	streamParams = []string{"system", "operation", "method", "status", "verdict", "q", "after"}
)

// readFilter reads a journal filter from a query that may hold only the
// parameters named, and checks that the system and operation it names
// exist: a typo would otherwise select nothing, silently.
func readFilter(world string, q url.Values, params []string, systems func() []system.Info, checker func(string) *specs.Checker) (journal.Filter, error) {
	for name := range q {
		if !slices.Contains(params, name) {
			return journal.Filter{}, &engine.Problem{Kind: engine.Invalid, In: "query", Field: clipName(name),
				Reason: "not a parameter of this route; it takes " + strings.Join(params, ", ")}
		}
	}
	f, err := journal.ParseFilter(world, q)
	var bad *journal.BadFilter
	if errors.As(err, &bad) {
		return f, &engine.Problem{Kind: engine.Invalid, In: "query", Field: bad.Field, Reason: bad.Reason}
	}
	if err != nil {
		return f, err
	}
	var names []string
	for _, s := range systems() {
		names = append(names, s.Name)
	}
	if f.System != "" && !slices.Contains(names, f.System) {
		return f, &engine.Problem{Kind: engine.Invalid, In: "query", Field: "system", Reason: "no such system; this Herald has " + strings.Join(names, ", ")}
	}
	if f.Operation != "" && f.Operation != "none" {
		found := false
		for _, n := range names {
			if c := checker(n); (f.System == "" || f.System == n) && c != nil && (c.Route(f.Operation) != nil || slices.Contains(c.WebhookIDs(), f.Operation)) {
				found = true // an operation, or a callback (Monnet's notification, through herald proxy)
			}
		}
		if !found {
			where := "any system's spec"
			if f.System != "" {
				where = f.System + "'s spec"
			}
			return f, &engine.Problem{Kind: engine.Invalid, In: "query", Field: "operation", Reason: "no operationId " + strconv.Quote(clipName(f.Operation)) + " in " + where + " (none: requests that matched no operation)"}
		}
	}
	return f, nil
}

func clipName(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

func (a *api) getJournal(ex *engine.Exchange) (engine.Reply, error) {
	j, err := a.journal()
	if err != nil {
		return engine.Reply{}, err
	}
	f, err := a.filterOf(ex)
	if err != nil {
		return engine.Reply{}, err
	}
	limit := 100
	if v := ex.Query().Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v) // the spec check has passed: 1 to 1000
	}
	return engine.JSON(http.StatusOK, j.List(a.cfg.World, f, limit))
}

func (a *api) clearJournal(ex *engine.Exchange) (engine.Reply, error) {
	j, err := a.journal()
	if err != nil {
		return engine.Reply{}, err
	}
	for name := range ex.Query() {
		return engine.Reply{}, &engine.Problem{Kind: engine.Invalid, In: "query", Field: clipName(name),
			Reason: "DELETE takes no filter: it forgets every exchange of the world"}
	}
	j.Clear(a.cfg.World)
	return engine.JSON(http.StatusOK, map[string]string{"status": "cleared"})
}

func (a *api) exportJournalHAR(ex *engine.Exchange) (engine.Reply, error) {
	j, err := a.journal()
	if err != nil {
		return engine.Reply{}, err
	}
	f, err := readFilter(a.cfg.World, ex.Query(), harParams, a.cfg.Systems, a.cfg.Checker)
	if err != nil {
		return engine.Reply{}, err
	}
	reply, err := engine.JSON(http.StatusOK, journal.ToHAR(j.Oldest(a.cfg.World, f), a.cfg.Version))
	if err == nil {
		name := "herald-journal.har"
		if a.cfg.World != "" {
			name = "herald-journal-" + a.cfg.World + ".har"
		}
		reply.Header.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	return reply, err
}

func (a *api) countJournal(ex *engine.Exchange) (engine.Reply, error) {
	j, err := a.journal()
	if err != nil {
		return engine.Reply{}, err
	}
	var c journal.Criteria
	if err := json.Unmarshal(ex.Body, &c); err != nil { // the spec check has passed
		return engine.Reply{}, &engine.Problem{Kind: engine.BodyInvalid, In: "body", Reason: "want the criteria as a JSON object"}
	}
	return engine.JSON(http.StatusOK, j.Count(a.cfg.World, c))
}

// streamJournal is never reached: Herald serves the live tail before the
// control API's engine, which cannot stream (ServeStream).
func (a *api) streamJournal(ex *engine.Exchange) (engine.Reply, error) {
	return engine.Reply{}, &engine.Problem{Kind: engine.Internal, Reason: "the live tail is served outside the control API's engine (a bug: it should not reach here)"}
}

// DefaultHeartbeat is how often a quiet live tail gets a comment.
const DefaultHeartbeat = 15 * time.Second

// StreamPath is the live tail's path, under a world's prefix.
const StreamPath = "/_herald/v1/journal/stream"

// ServeStream serves the live tail of a world's journal as Server-Sent
// Events: the filters of GET /_herald/v1/journal (their errors in the
// control format), a backlog after `after` or Last-Event-ID, then each new
// entry, and a comment every heartbeat (0: DefaultHeartbeat).
func ServeStream(j *journal.Journal, world string, heartbeat time.Duration, systems func() []system.Info, checker func(string) *specs.Checker) http.Handler {
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeat
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(err error) {
			reply := Render(&engine.Exchange{Request: r}, err)
			for k, vs := range reply.Header {
				w.Header()[k] = vs
			}
			w.WriteHeader(reply.Status)
			_, _ = w.Write(reply.Body)
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			fail(&engine.Problem{Kind: engine.MethodNotAllowed, Reason: "method " + r.Method + " is not allowed here; use GET"})
			return
		}
		if j == nil {
			fail(NotFound("the journal is off (herald serve --journal-size 0); start Herald without it to keep exchanges"))
			return
		}
		q := r.URL.Query()
		for _, name := range []string{"limit", "before", "since", "until"} {
			if q.Has(name) {
				fail(&engine.Problem{Kind: engine.Invalid, In: "query", Field: name, Reason: "the live tail does not take it (GET /_herald/v1/journal does)"})
				return
			}
		}
		f, err := readFilter(world, q, streamParams, systems, checker)
		if err != nil {
			fail(err)
			return
		}
		after := int64(-1)
		if q.Has("after") {
			after = f.After
		} else if id := r.Header.Get("Last-Event-ID"); id != "" {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil || n < 0 {
				fail(&engine.Problem{Kind: engine.Invalid, In: "header", Field: "Last-Event-ID", Reason: "not an entry id"})
				return
			}
			after = n
		}
		f.After = 0 // the backlog's bound, not the tail's
		sub, backlog, err := j.Subscribe(f, after)
		if err != nil {
			fail(LimitReached("%s", err.Error()))
			return
		}
		defer sub.Close()
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Time{}) // a tail outlives the server's write timeout
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		send := func(e *journal.Entry) bool {
			b, err := json.Marshal(e)
			if err != nil {
				return false
			}
			_, err = w.Write([]byte("id: " + strconv.FormatInt(e.ID, 10) + "\nevent: exchange\ndata: " + string(b) + "\n\n"))
			return err == nil
		}
		_, _ = w.Write([]byte(": herald journal\n\n"))
		for _, e := range backlog {
			if !send(e) {
				return
			}
		}
		if rc.Flush() != nil {
			return
		}
		tick := time.NewTicker(heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil || rc.Flush() != nil {
					return
				}
			case e, ok := <-sub.C():
				if !ok {
					if sub.Overflowed() {
						_, _ = w.Write([]byte("event: overflow\ndata: {\"reason\":\"this reader fell behind; reconnect with Last-Event-ID to resume\"}\n\n"))
						_ = rc.Flush()
					}
					return
				}
				if !send(e) || rc.Flush() != nil {
					return
				}
			}
		}
	})
}
