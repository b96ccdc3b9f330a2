package main

import (
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
)

// herald-load starts its Herald while something else holds 8080 and 8443
// (another Herald, say): it needs no fixed port free.
func TestStartsWhilePortsAreHeld(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8080", "127.0.0.1:8443"} {
		if ln, err := net.Listen("tcp", addr); err == nil { // held already: so much the better
			t.Cleanup(func() { ln.Close() })
		}
	}
	bin := filepath.Join(t.TempDir(), "herald")
	if out, err := exec.Command("go", "build", "-o", bin, "../herald").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	base, p, err := start(bin, serveArgs()...)
	if err != nil {
		t.Fatalf("herald serve %v with 8080 and 8443 held: %v", serveArgs(), err)
	}
	defer p.stop()
	resp, err := http.Get(base + "/_herald/v1/info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("its control API answered %d", resp.StatusCode)
	}
}
