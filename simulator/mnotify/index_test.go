package mnotify

import (
	"slices"
	"testing"
)

func TestOrderedIndex(t *testing.T) {
	o := newOrdered(func(a, b int) bool { return a < b })
	var want []int
	for i := range 500 {
		v := int(spread(uint64(i)) % 10000)
		if slices.Contains(want, v) {
			continue
		}
		o.Insert(v, spread(uint64(i)+1000))
		want = append(want, v)
	}
	slices.Sort(want)
	if o.Len() != len(want) {
		t.Fatalf("len %d, want %d", o.Len(), len(want))
	}
	for k, v := range want {
		if got := o.At(k); got != v {
			t.Fatalf("At(%d) = %d, want %d", k, got, v)
		}
	}
	if got := o.Page(len(want)-3, 10, false); !slices.Equal(got, want[len(want)-3:]) {
		t.Errorf("last page %v, want %v", got, want[len(want)-3:])
	}
	if got := o.Page(0, 2, true); !slices.Equal(got, []int{want[len(want)-1], want[len(want)-2]}) {
		t.Errorf("first page desc %v", got)
	}
	if o.Page(len(want), 10, false) != nil {
		t.Error("a page past the end is not empty")
	}
	for _, v := range want[:100] {
		if !o.Remove(v) {
			t.Fatalf("Remove(%d) found nothing", v)
		}
	}
	if o.Remove(-1) {
		t.Error("removed an item never inserted")
	}
	if o.Len() != len(want)-100 || o.At(0) != want[100] {
		t.Errorf("after removal: len %d, first %d", o.Len(), o.At(0))
	}
}
