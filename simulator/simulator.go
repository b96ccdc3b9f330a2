package simulator

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"herald/simulator/clock"
	"herald/simulator/control"
	"herald/simulator/engine"
	"herald/simulator/entropy"
	"herald/simulator/mopay"
)

// Options configure a Herald.
type Options struct {
	// Seed of the random source; the same seed hands out the same keys,
	// codes and references.
	Seed uint64
	// Clock the simulator clock follows until the control API sets it; nil
	// is the system clock.
	Clock clock.Clock
	// Version reported by the control API.
	Version string
	// SkipResponseValidation turns off the check of every answer against
	// the spec (on by default).
	SkipResponseValidation bool
	// MopayRateLimit is Mopay's requests per key per minute: 0 is the
	// documented 100, negative turns the limit off.
	MopayRateLimit int
	Logger         *slog.Logger
}

// System is a simulated system and where it is served.
type System struct {
	Name     string
	BasePath string
}

// Herald is the whole simulator.
type Herald struct {
	handler http.Handler
	systems []System
	clock   *clock.Controlled
}

// New builds a Herald.
func New(opts Options) (*Herald, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	clk := clock.NewControlled(opts.Clock)
	random := entropy.New(opts.Seed)
	faults := &engine.Faults{}

	mp, err := mopay.New(mopay.Config{Clock: clk, Random: random, Faults: faults, Logger: opts.Logger,
		SkipResponseValidation: opts.SkipResponseValidation, RateLimit: opts.MopayRateLimit})
	if err != nil {
		return nil, err
	}
	const mopayName, mopayBase = "mopay", "/mopay/"
	h := &Herald{clock: clk, systems: []System{{Name: mopayName, BasePath: mopayBase}}}
	ctl, err := control.New(control.Config{
		Version: opts.Version,
		Seed:    opts.Seed,
		Clock:   clk,
		Faults:  faults,
		Systems: []control.System{{Name: mopayName, BasePath: mopayBase, Checker: mp.Engine().Checker()}},
		// A reset also restarts the random sequence, so that after it the
		// simulator hands out what a new one with the same seed would.
		Reset: func() error { random.Restart(); return mp.Reset() },
		MopayCode: func(email string) (string, time.Time, bool) {
			c, ok := mp.LastVerificationCode(email)
			return c.Code, c.Expires, ok
		},
		Logger: opts.Logger,
	})
	if err != nil {
		return nil, err
	}
	mopayHandler := mp.Handler()
	// Dispatch on the prefix alone: http.ServeMux would clean paths and
	// answer "//x" or "/mopay" with redirects, outside every error format.
	h.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p+"/" == mopayBase || strings.HasPrefix(p, mopayBase):
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path = strings.TrimPrefix(p, strings.TrimSuffix(mopayBase, "/"))
			u.RawPath = ""
			r2.URL = &u
			mopayHandler.ServeHTTP(w, r2)
		case strings.HasPrefix(p, "/_herald/"):
			ctl.ServeHTTP(w, r)
		default:
			h.notFound(w, r)
		}
	})
	return h, nil
}

// Handler serves every system and the control API.
func (h *Herald) Handler() http.Handler { return h.handler }

// Systems lists the simulated systems with their base paths.
func (h *Herald) Systems() []System { return append([]System(nil), h.systems...) }

// notFound answers paths outside every system, saying where the systems are.
func (h *Herald) notFound(w http.ResponseWriter, r *http.Request) {
	msg := "no simulated system is served at this path; systems:"
	for _, s := range h.systems {
		msg += " " + s.Name + " at " + s.BasePath
	}
	msg += "; control API at /_herald/v1/"
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "not_found", "message": msg}})
}
