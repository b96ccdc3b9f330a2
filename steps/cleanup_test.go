package steps

import (
	"errors"
	"fmt"
	"testing"
)

// Cleanups run once, last registered first, and every error is reported.
func TestCleanupsRunLastFirst(t *testing.T) {
	s := &Scenario{}
	var order []int
	s.Cleanup(func() error { order = append(order, 1); return errors.New("one") })
	s.Cleanup(func() error { order = append(order, 2); return nil })
	s.Cleanup(func() error { order = append(order, 3); return errors.New("three") })
	err := s.cleanup()
	if fmt.Sprint(order) != "[3 2 1]" || err == nil || err.Error() != "three\none" {
		t.Fatalf("order %v, error %v", order, err)
	}
	if err := s.cleanup(); err != nil || len(order) != 3 {
		t.Fatalf("cleanups ran twice: %v %v", order, err)
	}
}
