package proxy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"herald/simulator/engine"
	"herald/simulator/journal"
	"herald/specs/wire/redact"
)

// DefaultRecordLimit bounds the example payloads kept per operation.
const DefaultRecordLimit = 20

// Recorder saves each distinct answer that followed the spec as an example
// payload, for fixtures: DIR/<system>/<operation>/<status>-<hash>.json,
// secrets redacted, at most Limit files per operation (those already in the
// folder count). An answer with no body, or one to a request that matched
// no operation, is not recorded.
type Recorder struct {
	dir   string
	limit int

	mu      sync.Mutex
	ops     map[string]*recorded // by system/operation
	saved   int
	full    map[string]bool
	failure error
}

type recorded struct {
	names map[string]bool // file names in the folder
}

// NewRecorder records into dir (made when missing), at most limit files per
// operation (0: DefaultRecordLimit).
func NewRecorder(dir string, limit int) (*Recorder, error) {
	if limit <= 0 {
		limit = DefaultRecordLimit
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--record %s: %w", dir, err)
	}
	return &Recorder{dir: dir, limit: limit, ops: map[string]*recorded{}, full: map[string]bool{}}, nil
}

// Save records an exchange's answer when it followed the spec and is new.
func (r *Recorder) Save(e *journal.Entry, o engine.Observation) {
	// Only the vendor's own answers: not the proxy's refusals (o.Refused),
	// which never came from it.
	if r == nil || e == nil || !o.Proxied || o.Refused != nil || o.OperationID == "" || e.Verdict.Response != journal.Conforms || len(o.Reply.Body) == 0 {
		return
	}
	if !safeName(e.System) || !safeName(o.OperationID) {
		return
	}
	key := e.System + "/" + o.OperationID
	r.mu.Lock()
	defer r.mu.Unlock()
	op := r.ops[key]
	if op == nil {
		op = &recorded{names: map[string]bool{}}
		if entries, err := os.ReadDir(filepath.Join(r.dir, e.System, o.OperationID)); err == nil {
			for _, d := range entries {
				if !d.IsDir() {
					op.names[d.Name()] = true
				}
			}
		}
		r.ops[key] = op
	}
	if len(op.names) >= r.limit {
		r.full[key] = true
		return
	}
	body := redact.Body(o.Reply.Body)
	ext := ".json"
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		body = pretty.Bytes()
	} else {
		ext = ".txt"
	}
	sum := sha256.Sum256(body)
	name := fmt.Sprintf("%d-%s%s", o.Reply.Status, hex.EncodeToString(sum[:])[:12], ext)
	if op.names[name] {
		return
	}
	folder := filepath.Join(r.dir, e.System, o.OperationID)
	err := os.MkdirAll(folder, 0o755)
	if err == nil {
		err = os.WriteFile(filepath.Join(folder, name), append(body, '\n'), 0o644)
	}
	if err != nil {
		if r.failure == nil {
			r.failure = err
		}
		return
	}
	op.names[name] = true
	r.saved++
}

// safeName keeps a system's or operation's name from leaving the folder.
func safeName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`+"\x00") && fs.ValidPath(s)
}

// RecordSummary says what a Recorder saved.
type RecordSummary struct {
	Dir   string
	Saved int
	// Full are the operations (system/operation) that reached the limit
	// and had more to record.
	Full  []string
	Limit int
	// Err is the first file that could not be written.
	Err error
}

// Summary is what was recorded so far.
func (r *Recorder) Summary() RecordSummary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := RecordSummary{Dir: r.dir, Saved: r.saved, Limit: r.limit, Err: r.failure}
	for k := range r.full {
		s.Full = append(s.Full, k)
	}
	sort.Strings(s.Full)
	return s
}
