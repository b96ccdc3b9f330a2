package system

import (
	"errors"
	"strings"
	"testing"
)

func TestShareBuildsOncePerStore(t *testing.T) {
	builds := 0
	build := func() (*int, error) { builds++; v := builds; return &v, nil }
	env := Env{Name: "toy", Shared: NewShared()}
	a, err := Share(env, "parts", build)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Share(env, "parts", build)
	if a != b || builds != 1 {
		t.Fatalf("two calls on one store built %d times (same value: %v); want once", builds, a == b)
	}
	other, _ := Share(Env{Name: "toy", Shared: NewShared()}, "parts", build)
	if other == a || builds != 2 {
		t.Fatal("another store got the first store's value")
	}
	alone, _ := Share(Env{Name: "toy"}, "parts", build)
	if alone == a || builds != 3 {
		t.Fatal("without a store, Share did not build afresh")
	}
}

func TestShareDoesNotKeepAFailure(t *testing.T) {
	env := Env{Name: "toy", Shared: NewShared()}
	if _, err := Share(env, "k", func() (int, error) { return 0, errors.New("no fixture") }); err == nil {
		t.Fatal("a failed build returned no error")
	}
	v, err := Share(env, "k", func() (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Fatalf("after a failure, Share gave %d, %v; want 7 built afresh", v, err)
	}
	if _, err := Share(env, "k", func() (string, error) { return "", nil }); err == nil || !strings.Contains(err.Error(), `"k"`) {
		t.Fatalf("a key read as another type: %v; want an error naming the key", err)
	}
}
