package steps

import (
	"bytes"
	"io"
	"regexp"
	"sync"
)

// stepDefinition is the comment godog's pretty format ends a step line
// with: where the step's function is defined. Every step of the suite is
// bound through On, a function reflect makes, so it reads
// "# steps.go:22 -> reflect.makeFuncStub" for every step: noise.
var stepDefinition = regexp.MustCompile(` *# \S+\.go:\d+ -> \S+$`)

// consoleFilter passes godog's console output on, line by line, without
// the step definitions' locations.
type consoleFilter struct {
	mu      sync.Mutex
	out     io.Writer
	pending []byte
}

func (f *consoleFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending = append(f.pending, p...)
	for {
		i := bytes.IndexByte(f.pending, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := stepDefinition.ReplaceAll(f.pending[:i], nil)
		if _, err := f.out.Write(append(line, '\n')); err != nil {
			return len(p), err
		}
		f.pending = f.pending[i+1:]
	}
}

// flush writes what is left of an unfinished line.
func (f *consoleFilter) flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pending) == 0 {
		return nil
	}
	_, err := f.out.Write(stepDefinition.ReplaceAll(f.pending, nil))
	f.pending = nil
	return err
}
