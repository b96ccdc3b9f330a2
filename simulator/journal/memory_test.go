package journal

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"herald/simulator/engine"
)

// The ring's memory is bounded by its size and its body bytes, however
// many exchanges pass and however large their bodies: record ten times its
// size of exchanges with 256 kB bodies, and the heap after a collection
// holds no more than size × (two clipped bodies and an entry's overhead),
// and the bodies it keeps, counted, are clipped.
func TestMemoryIsBounded(t *testing.T) {
	const size, bodyBytes, sent = 200, 4 << 10, 256 << 10
	// A body that is not JSON and names no secret: kept as it is, clipped.
	big := bytes.Repeat([]byte("0123456789abcdef"), sent/16)
	heapInUse := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	j := New(Options{Size: size, BodyBytes: bodyBytes})
	before := heapInUse()
	for i := 0; i < 10*size; i++ {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/mopay/user_profile_create", bytes.NewReader(big))
		r.Header.Set("Content-Type", "text/plain")
		j.Record("", time.Unix(1700000000, 0), engine.Observation{System: "mopay", Request: r, OperationID: "user_profile_create",
			Body: big, Reply: engine.Reply{Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: big}})
	}
	after := heapInUse()
	// Two bodies, and up to 16 kB each of entry, headers and the heap's
	// fragmentation: far below what keeping whole bodies (100 MB) or every
	// exchange (1 GB) would take.
	bound := uint64(size * (2*bodyBytes + 16<<10))
	grew := int64(after) - int64(before)
	t.Logf("the heap grew by %d kB for %d entries (bound %d kB); %d exchanges of 2 × %d kB sent", grew>>10, size, bound>>10, 10*size, sent>>10)
	if grew > int64(bound) {
		t.Errorf("the heap grew by %d bytes, more than %d for %d entries of %d body bytes", grew, bound, size, bodyBytes)
	}
	// What the ring keeps, counted.
	page := j.List("", Filter{}, 10*size)
	if page.Matched != size || page.Evicted != 9*size {
		t.Fatalf("kept %d, evicted %d; want %d and %d", page.Matched, page.Evicted, size, 9*size)
	}
	kept := 0
	for _, e := range page.Entries {
		if !e.Request.BodyTruncated || e.Request.BodyBytes != sent {
			t.Fatalf("entry %d: truncated %v, bodyBytes %d", e.ID, e.Request.BodyTruncated, e.Request.BodyBytes)
		}
		kept += len(e.Request.Body) + len(e.Response.Body)
	}
	if kept > size*2*bodyBytes {
		t.Errorf("the ring keeps %d body bytes, more than %d", kept, size*2*bodyBytes)
	}
	runtime.KeepAlive(j)
}
