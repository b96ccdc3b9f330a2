package simulator

import (
	"errors"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The layering of the module, read from the source: the conformance suite
// (steps/) depends on the contract (specs/), never on the simulator; a
// system depends on the seam, never on another system or on the control
// API; and the contract depends on neither side.
func TestLayering(t *testing.T) {
	root, module := moduleRoot(t)
	systems := registeredSystems(t, root, module)
	if len(systems) == 0 {
		t.Fatal("simulator/systems.go imports no system package")
	}
	sim, control := module+"/simulator", module+"/simulator/control"
	under := func(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

	pkgs := packages(t, root, module)
	if len(pkgs) < 10 {
		t.Fatalf("found %d packages under %s: the walk is broken", len(pkgs), root)
	}
	var checked int
	for _, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		switch {
		case under(p.ImportPath, module+"/steps"):
			checked++
			for _, imp := range p.Imports {
				if under(imp, sim) {
					t.Errorf("%s imports %s: the suite must use the contract (specs/, specs/wire/), not the simulator", rel, imp)
				}
			}
			// A test may start an in-process Herald (the core) to run the
			// suite against, but reaches no system nor the control API.
			for _, imp := range append(slices.Clone(p.TestImports), p.XTestImports...) {
				if slices.Contains(systems, imp) || imp == control {
					t.Errorf("%s (tests) imports %s: use the contract (specs/wire/) or the core (herald/simulator)", rel, imp)
				}
			}
		case slices.Contains(systems, p.ImportPath):
			checked++
			for _, imp := range p.Imports {
				switch {
				case imp == control:
					t.Errorf("%s imports %s: a system reaches the control API only through the seam (simulator/system)", rel, imp)
				case imp != p.ImportPath && slices.Contains(systems, imp):
					t.Errorf("%s imports %s: systems never import each other; share a wire rule through specs/wire/", rel, imp)
				}
			}
		case under(p.ImportPath, module+"/specs"):
			checked++
			for _, imp := range p.Imports {
				if under(imp, sim) || under(imp, module+"/steps") {
					t.Errorf("%s imports %s: the contract belongs to neither side", rel, imp)
				}
			}
		}
	}
	if checked < len(systems)+2 {
		t.Fatalf("checked %d packages: fewer than the systems, steps/ and specs/", checked)
	}
}

// TestLayeringSeesSystems holds the test above to its inputs: it finds each
// registered system.
func TestLayeringSeesSystems(t *testing.T) {
	root, module := moduleRoot(t)
	got := registeredSystems(t, root, module)
	for _, name := range []string{"mopay", "mnotify", "monnet"} {
		if !slices.Contains(got, module+"/simulator/"+name) {
			t.Errorf("the registered systems read from simulator/systems.go are %v: %s is missing", got, name)
		}
	}
}

// moduleRoot is the folder of go.mod and the module path it declares.
func moduleRoot(t *testing.T) (string, string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return root, strings.TrimSpace(m)
		}
	}
	t.Fatal("go.mod declares no module")
	return "", ""
}

// registeredSystems are the packages simulator/systems.go imports, but the
// seam: the systems Registered lists.
func registeredSystems(t *testing.T, root, module string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "simulator", "systems.go"), nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, spec := range f.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(path, module+"/simulator/") && path != module+"/simulator/system" {
			out = append(out, path)
		}
	}
	return out
}

// packages reads the imports of every package of the module.
func packages(t *testing.T, root, module string) []*build.Package {
	t.Helper()
	var out []*build.Package
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "bin") {
			return filepath.SkipDir
		}
		p, err := build.Default.ImportDir(path, 0)
		var none *build.NoGoError
		if errors.As(err, &none) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		p.ImportPath = module
		if rel != "." {
			p.ImportPath += "/" + filepath.ToSlash(rel)
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
