package heraldcontainer

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// leftBehind lists the containers of the test image, running or not.
func leftBehind(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "--filter", "ancestor="+testImage(), "--format", "{{.ID}} {{.Status}}").CombinedOutput()
	if err != nil {
		t.Fatalf("docker ps: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// removeLeft removes what a failed case left, so that the next starts clean.
func removeLeft(t *testing.T) {
	t.Helper()
	for _, line := range strings.Split(leftBehind(t), "\n") {
		if id, _, _ := strings.Cut(line, " "); id != "" {
			_ = exec.Command("docker", "rm", "-f", id).Run()
		}
	}
}

// Whatever way start-up fails, Run leaves no container behind (with Ryuk
// off nothing else would remove it), returns no container, and says why.
func TestRunLeavesNothingBehind(t *testing.T) {
	needDocker(t)
	buildImage(t)
	removeLeft(t)
	for _, tc := range []struct {
		name string
		opts []Option
		want string
	}{
		// herald serve refuses a flag and exits 2.
		{"exited", []Option{WithArgs("--no-such-flag")}, "no-such-flag"},
		// The wait ends before the Herald answers: it is running, holding
		// its ports.
		{"running after the wait", []Option{WithStartupTimeout(time.Nanosecond)}, "did not become ready"},
		// Docker cannot start it: it stays Created.
		{"created", []Option{func(c *config) { c.entrypoint = "/no-such-entrypoint" }}, "did not become ready"},
		// Up, but its published port answers nowhere from here.
		{"unreachable", []Option{func(c *config) { c.hostOverride = "192.0.2.1" }}, "TESTCONTAINERS_HOST_OVERRIDE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer removeLeft(t)
			c, err := Run(context.Background(), append([]Option{WithImage(testImage())}, tc.opts...)...)
			if err == nil {
				t.Fatal("started")
			}
			if c != nil {
				t.Errorf("a container is returned with the error: %v", c.GetContainerID())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the error does not say %q: %v", tc.want, err)
			}
			if left := leftBehind(t); left != "" {
				t.Errorf("left behind: %s (error: %v)", left, err)
			}
		})
	}
}
