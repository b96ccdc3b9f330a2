package steps

import (
	"fmt"
	"sort"
	"strings"
)

// What a scenario needs to run on a real deployment, from its tags.
const (
	// ReachReadOnly runs on every target with the credentials given,
	// without --allow-mutating.
	ReachReadOnly = "every target, read-only"
	// ReachMutating runs on every target with --allow-mutating.
	ReachMutating = "every target, with --allow-mutating"
	// ReachHerald runs against a Herald only (@simulator, @herald-design).
	ReachHerald = "a Herald only"
)

// Reach is where one scenario (an outline with all its rows) runs.
type Reach struct {
	System  string
	URI     string
	Feature string
	Name    string
	Runs    int    // its runs: 1, or an outline's rows
	Class   string // ReachReadOnly, ReachMutating or ReachHerald
	Needs   []string
}

// ReachOf classifies every scenario of the modules by where it runs, as
// the run itself decides it (see effective): a real deployment given no
// credential at all tells which credentials each scenario needs.
func ReachOf(modules []Module) ([]Reach, error) {
	var out []Reach
	for _, m := range modules {
		bare := Target{Name: "a real deployment", Systems: map[string]*SystemTarget{m.System(): {Params: map[string]string{}}}}
		excl := m.Exclusions(bare)
		runs, err := scenarioRuns(m.Features())
		if err != nil {
			return nil, err
		}
		// An outline's rows are classed one by one (an Examples block may
		// carry tags of its own), and counted together while they agree.
		byUnit := map[string]int{}
		for _, r := range runs {
			re := Reach{System: m.System(), URI: m.System() + "/" + r.uri, Feature: r.feature, Name: r.name, Runs: 1, Class: ReachReadOnly}
			switch {
			case hasTag(r.tags, TagSimulator) || hasTag(r.tags, TagHeraldDesign):
				re.Class = ReachHerald
			case hasTag(r.tags, TagMutating):
				re.Class = ReachMutating
			}
			for _, e := range excl {
				if hasTag(r.tags, e.Tag) {
					re.Needs = append(re.Needs, needOf(e))
				}
			}
			key := fmt.Sprintf("%s:%d\x00%s\x00%s", r.uri, r.unit, re.Class, strings.Join(re.Needs, "\x00"))
			if i, seen := byUnit[key]; seen {
				out[i].Runs++
				continue
			}
			byUnit[key] = len(out)
			out = append(out, re)
		}
	}
	return out, nil
}

// ReachTable is the README's table: per system, how many scenario runs
// each class holds.
func ReachTable(reach []Reach) string {
	type tally struct{ ro, mut, herald int }
	var systems []string
	by := map[string]*tally{}
	for _, r := range reach {
		t := by[r.System]
		if t == nil {
			t = &tally{}
			by[r.System] = t
			systems = append(systems, r.System)
		}
		switch r.Class {
		case ReachReadOnly:
			t.ro += r.Runs
		case ReachMutating:
			t.mut += r.Runs
		default:
			t.herald += r.Runs
		}
	}
	var b strings.Builder
	b.WriteString("| system | scenarios | " + ReachReadOnly + " | " + ReachMutating + " | " + ReachHerald + " |\n|---|---|---|---|---|\n")
	for _, s := range systems {
		t := by[s]
		fmt.Fprintf(&b, "| %s | %d | %d | %d more (%d in all) | %d |\n", s, t.ro+t.mut+t.herald, t.ro, t.mut, t.ro+t.mut, t.herald)
	}
	return b.String()
}

// ReachList is every scenario, per system and class, with the credentials
// it needs: the long form of ReachTable.
func ReachList(reach []Reach) string {
	var b strings.Builder
	var systems []string
	seen := map[string]bool{}
	for _, r := range reach {
		if !seen[r.System] {
			seen[r.System] = true
			systems = append(systems, r.System)
		}
	}
	for _, sys := range systems {
		fmt.Fprintf(&b, "\n## %s\n", sys)
		for _, class := range []string{ReachReadOnly, ReachMutating, ReachHerald} {
			var rows []Reach
			n := 0
			for _, r := range reach {
				if r.System == sys && r.Class == class {
					rows = append(rows, r)
					n += r.Runs
				}
			}
			fmt.Fprintf(&b, "\n### %s: %d\n\n", class, n)
			if len(rows) == 0 {
				b.WriteString("None.\n")
				continue
			}
			sort.SliceStable(rows, func(i, j int) bool { return rows[i].URI < rows[j].URI })
			b.WriteString("| feature | scenario | runs | needs |\n|---|---|---|---|\n")
			for _, r := range rows {
				fmt.Fprintf(&b, "| %s | %s | %d | %s |\n", mdCell(r.Feature), mdCell(r.Name), r.Runs, mdCell(strings.Join(r.Needs, "; ")))
			}
		}
	}
	return b.String()
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
