package suite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"herald/steps"
)

// The README's table of what a real-deployment run checks, and the full
// list beside the features, are derived from the features' tags: this test
// fails when either is out of date (HERALD_UPDATE_DOCS=1 rewrites them).
func TestReachDocsAreCurrent(t *testing.T) {
	ms := modules(t)
	reach, err := steps.ReachOf(ms)
	if err != nil {
		t.Fatal(err)
	}
	// The classes are the run's own decisions: a real deployment without
	// credentials or --allow-mutating runs exactly the read-only scenarios
	// that need nothing.
	for _, m := range ms {
		bare := steps.Target{Name: "bare", Systems: map[string]*steps.SystemTarget{m.System(): {Params: map[string]string{}}}}
		for _, allow := range []bool{false, true} {
			got, err := steps.SelectIn(m.Features(), steps.RunTags(bare, []steps.Module{m}, "@"+m.System(), allow))
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for _, r := range reach {
				if r.System == m.System() && len(r.Needs) == 0 && (r.Class == steps.ReachReadOnly || allow && r.Class == steps.ReachMutating) {
					want += r.Runs
				}
			}
			if got != want {
				t.Errorf("%s, --allow-mutating %v: a bare real-deployment run selects %d scenario runs; the reach classes say %d", m.System(), allow, got, want)
			}
		}
	}

	table := steps.ReachTable(reach)
	list := "# What a real-deployment run checks, scenario by scenario\n\n" +
		"Generated from the features' tags (`HERALD_UPDATE_DOCS=1 go test ./steps/suite -run TestReachDocsAreCurrent`);\n" +
		"a test fails when it is out of date. **" + steps.ReachReadOnly + "**: runs against any target with the\n" +
		"credentials it names, without `--allow-mutating`. **" + steps.ReachMutating + "**: creates or\n" +
		"changes data there, so only with `--allow-mutating`. **" + steps.ReachHerald + "**: needs Herald's control\n" +
		"API (`@simulator`) or checks Herald's own design where the vendor documents nothing (`@herald-design`).\n\n" +
		table + steps.ReachList(reach)
	root := filepath.Join("..", "..")
	listFile := filepath.Join(root, "features", "REAL-DEPLOYMENTS.md")
	readme := filepath.Join(root, "README.md")
	rb, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- reach-table:begin (generated: see features/REAL-DEPLOYMENTS.md) -->\n", "<!-- reach-table:end -->"
	before, rest, ok1 := strings.Cut(string(rb), begin)
	_, after, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		t.Fatalf("README.md has no %q … %q section", strings.TrimSpace(begin), end)
	}
	newReadme := before + begin + table + end + after
	if os.Getenv("HERALD_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(readme, []byte(newReadme), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(listFile, []byte(list), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	lb, _ := os.ReadFile(listFile)
	for file, ok := range map[string]bool{"README.md": newReadme == string(rb), "features/REAL-DEPLOYMENTS.md": list == string(lb)} {
		if !ok {
			t.Errorf("%s is out of date with the features' tags: run HERALD_UPDATE_DOCS=1 go test ./steps/suite -run TestReachDocsAreCurrent", file)
		}
	}
}
