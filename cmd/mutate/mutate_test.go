package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadFixture(t *testing.T) (*pkgSource, string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("testdata", "fixture"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := loadPackage(root, "pkg")
	if err != nil {
		t.Fatal(err)
	}
	return p, root
}

func find(t *testing.T, ms []Mutant, id string) Mutant {
	t.Helper()
	for _, m := range ms {
		if m.ID() == id {
			return m
		}
	}
	t.Fatalf("no mutant %s", id)
	return Mutant{}
}

// TestEnumerationIsDeterministic: two loads give the same mutants, in the
// same order, with the same mutated sources, and ids are unique.
func TestEnumerationIsDeterministic(t *testing.T) {
	p1, _ := loadFixture(t)
	p2, _ := loadFixture(t)
	a, b := p1.Enumerate(), p2.Enumerate()
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d vs %d mutants", len(a), len(b))
	}
	seen := map[string]bool{}
	for i := range a {
		if a[i].ID() != b[i].ID() {
			t.Fatalf("mutant %d: %s vs %s", i, a[i].ID(), b[i].ID())
		}
		if string(a[i].apply(p1.src["pkg.go"])) != string(b[i].apply(p2.src["pkg.go"])) {
			t.Fatalf("%s: different sources", a[i].ID())
		}
		if seen[a[i].ID()] {
			t.Fatalf("duplicate id %s", a[i].ID())
		}
		seen[a[i].ID()] = true
	}
}

// TestCoreIDsAreUnique guards the ids of the real target.
func TestCoreIDsAreUnique(t *testing.T) {
	p, err := loadPackage(filepath.Join("..", ".."), "core")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range p.Enumerate() {
		if seen[m.ID()] {
			t.Fatalf("duplicate id %s", m.ID())
		}
		seen[m.ID()] = true
	}
	if len(seen) < 500 {
		t.Fatalf("only %d mutants of core", len(seen))
	}
}

// TestEveryOperatorCompiles: each operator yields a mutant of the fixture
// that changes the source, type-checks and builds with the go command.
func TestEveryOperatorCompiles(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	p, root := loadFixture(t)
	byOp := map[string][]Mutant{}
	for _, m := range p.Enumerate() {
		byOp[m.Op] = append(byOp[m.Op], m)
	}
	work := t.TempDir()
	for _, op := range Operators {
		found := false
		for _, m := range byOp[op] {
			src := m.apply(p.src["pkg.go"])
			if string(src) == string(p.src["pkg.go"]) {
				t.Fatalf("%s: source unchanged", m.ID())
			}
			if p.typeCheck("pkg.go", src) != nil {
				continue
			}
			ov, err := writeOverlay(work, root, m.File, src)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("go", "build", "-overlay="+ov, "./pkg")
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s type-checks but does not build: %v\n%s", m.ID(), err, out)
			}
			found = true
			break
		}
		if !found {
			t.Errorf("operator %s: no compiling mutant among %d", op, len(byOp[op]))
		}
	}
}

// TestTypeCheckRejectsBrokenMutants: unused variables and type errors
// are caught before any go test runs.
func TestTypeCheckRejectsBrokenMutants(t *testing.T) {
	p, _ := loadFixture(t)
	// Dropping the only use of x leaves it unused.
	bad := strings.Replace(string(p.src["pkg.go"]), "s += x", "", 1)
	if p.typeCheck("pkg.go", []byte(bad)) == nil {
		t.Fatal("unused variable accepted")
	}
	if err := p.typeCheck("pkg.go", p.src["pkg.go"]); err != nil {
		t.Fatalf("original rejected: %v", err)
	}
}

func TestDiffShowsTheChangedLine(t *testing.T) {
	p, _ := loadFixture(t)
	m := find(t, p.Enumerate(), "pkg/pkg.go:27:5:arith-swap")
	want := "--- pkg/pkg.go:27\n-\t\ts += x\n+\t\ts -= x\n"
	if got := m.Diff(p.src["pkg.go"]); got != want {
		t.Fatalf("diff:\n%s\nwant:\n%s", got, want)
	}
}

// TestRunnerClassifies judges a killed, a surviving (equivalent), an
// unbuildable and a non-terminating mutant of the fixture, with the stage
// built once (go test -c) and then run, as the oracles do.
func TestRunnerClassifies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on the fixture")
	}
	p, root := loadFixture(t)
	ms := p.Enumerate()
	r := &runner{root: root, stages: []stage{{name: "fixture", pkg: "./pkg", run: []string{"-test.count=1"}}}, timeout: 5 * time.Minute, bin: t.TempDir()}
	if st, _, detail := r.run(""); st != Survived {
		t.Fatalf("baseline: %s %s", st, detail)
	}
	work := t.TempDir()
	judge := func(src []byte) (Status, string) {
		ov, err := writeOverlay(work, root, "pkg/pkg.go", src)
		if err != nil {
			t.Fatal(err)
		}
		st, _, detail := r.run(ov)
		return st, detail
	}
	orig := p.src["pkg.go"]
	if st, d := judge(find(t, ms, "pkg/pkg.go:27:5:arith-swap").apply(orig)); st != Killed || !strings.Contains(d, "TestSum") {
		t.Errorf("s -= x: %s %q, want killed by TestSum", st, d)
	}
	// v < lo → v <= lo returns lo when v == lo: equivalent.
	if st, d := judge(find(t, ms, "pkg/pkg.go:12:7:cmp-flip").apply(orig)); st != Survived {
		t.Errorf("v <= lo: %s %q, want survived", st, d)
	}
	if st, d := judge([]byte("package pkg\nfunc Sum( {")); st != Uncompilable {
		t.Errorf("syntax error: %s %q, want uncompilable", st, d)
	}
	// i++ → i-- never ends: the timeout, which counts the tests and not
	// the build (CPU time where it can be read), leaves it undecided. A
	// mutant that never ends outlives any timeout, so a short one holds
	// on an idle and on a loaded machine alike (a longer one would only
	// burn a core for longer).
	r.perStage = map[string]time.Duration{"fixture": time.Second}
	if st, d := judge(find(t, ms, "pkg/pkg.go:51:4:arith-swap").apply(orig)); st != TimedOut || !strings.Contains(d, "timeout after 1s") {
		t.Errorf("i--: %s %q, want undecided by timeout", st, d)
	}
	// The same mutants through a plain go test stage, whose timeout
	// counts its build too: the hanging one still times out, the killed
	// one is judged under a bound generous enough for a build on a
	// loaded machine (a 10 s bound here timed out the build under load).
	r.stages = []stage{{name: "plain", args: []string{"-count=1", "./pkg"}}}
	r.perStage = nil
	r.timeout = time.Second
	if st, d := judge(find(t, ms, "pkg/pkg.go:51:4:arith-swap").apply(orig)); st != TimedOut {
		t.Errorf("i-- (go test): %s %q, want undecided by timeout", st, d)
	}
	r.timeout = 5 * time.Minute
	if st, d := judge(find(t, ms, "pkg/pkg.go:27:5:arith-swap").apply(orig)); st != Killed || !strings.Contains(d, "TestSum") {
		t.Errorf("s -= x (go test): %s %q, want killed by TestSum", st, d)
	}
}

// TestSampleIsDeterministic: the same seed draws the same sample, another
// seed another one.
func TestSampleIsDeterministic(t *testing.T) {
	p, _ := loadFixture(t)
	ms := p.Enumerate()
	ids := func(seed uint64) string {
		got, _, err := choose(ms, options{sample: 5, seed: seed}, func(Mutant) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, m := range got {
			s = append(s, m.ID())
		}
		return strings.Join(s, ",")
	}
	if a, b := ids(1), ids(1); a != b {
		t.Fatalf("seed 1: %s vs %s", a, b)
	}
	if ids(1) == ids(2) {
		t.Fatalf("seeds 1 and 2 draw the same sample %s", ids(1))
	}
	if _, _, err := choose(ms, options{mutants: "pkg/pkg.go:1:1:nope"}, func(Mutant) bool { return true }); err == nil {
		t.Fatal("unknown mutant id accepted")
	}
}

func TestBadFlagsAreRejected(t *testing.T) {
	for _, args := range [][]string{
		{}, // no --out
		{"--out", "x", "--sample", "-1"},
		{"--out", "x", "extra"},
		{"--out", "x", "--budget", "0s"},
		{"--out", "x", "--test-timeout", "0s"},
	} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	if _, err := oracleStages("slow", 1, time.Minute); err == nil {
		t.Error("unknown oracle accepted")
	}
	if _, err := filterOps(nil, "cmp-flip,bogus"); err == nil {
		t.Error("unknown operator accepted")
	}
}

func TestReadEquivalent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "EQ.md")
	text := "# x\n- `core/a.go:3:4:cmp-flip`: both branches return the same\n- not an id\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got := readEquivalent(path)
	if len(got) != 1 || got["core/a.go:3:4:cmp-flip"] != "both branches return the same" {
		t.Fatalf("got %v", got)
	}
}

// TestMutantStagesWriteNoRapidFailFiles: a rapid property that a mutant
// breaks would write testdata/rapid/… into the tree; stages of a mutant
// run with RAPID_NOFAILFILE=1, the unmodified tree's without it (a
// baseline failure's fail file is worth keeping).
func TestMutantStagesWriteNoRapidFailFiles(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	t.Setenv("RAPID_NOFAILFILE", "")
	r := &runner{}
	for _, c := range []struct{ overlay, want string }{{"/tmp/overlay.json", "1"}, {"", ""}} {
		out, _, _, err := r.command(bounds{wall: time.Minute}, t.TempDir(), nil, c.overlay, "sh", "-c", "printf %s \"$RAPID_NOFAILFILE\"")
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != c.want {
			t.Errorf("overlay %q: RAPID_NOFAILFILE=%q, want %q", c.overlay, out, c.want)
		}
	}
}

// TestScoreResults: --score tallies earlier runs with today's equivalence
// file: equivalent survivors leave the denominator, undecided ones stay
// out of it, and a later file's verdict on a mutant replaces an earlier
// one's (a re-judged timeout).
func TestScoreResults(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, lines ...string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	first := write("a.jsonl",
		`{"id":"core/a.go:1:1:cmp-flip","op":"cmp-flip","status":"killed"}`,
		`{"id":"core/a.go:2:1:cmp-flip","op":"cmp-flip","status":"killed"}`,
		`{"id":"core/a.go:3:1:stmt-drop","op":"stmt-drop","status":"survived"}`,
		`{"id":"core/a.go:4:1:stmt-drop","op":"stmt-drop","status":"survived"}`,
		`{"id":"core/a.go:5:1:if-negate","op":"if-negate","status":"timeout","detail":"timeout after 1m"}`,
		`{"id":"core/a.go:6:1:if-negate","op":"if-negate","status":"timeout","detail":"timeout after 1m"}`)
	again := write("b.jsonl", `{"id":"core/a.go:5:1:if-negate","op":"if-negate","status":"killed"}`)
	eq := map[string]string{"core/a.go:4:1:stmt-drop": "same either way"}
	got, err := scoreResults([]string{first}, eq)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "score 66.7%: 2 killed of 3 decided non-equivalent mutants (1 survived, 1 equivalent, 2 undecided") ||
		!strings.Contains(got, "survived: core/a.go:3:1:stmt-drop\n") || strings.Contains(got, "survived: core/a.go:4:1") ||
		!strings.Contains(got, "undecided: core/a.go:5:1:if-negate") {
		t.Fatalf("one file:\n%s", got)
	}
	got, err = scoreResults([]string{first, again}, eq)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "score 75.0%: 3 killed of 4 decided non-equivalent mutants (1 survived, 1 equivalent, 1 undecided") ||
		strings.Contains(got, "undecided: core/a.go:5:1") {
		t.Fatalf("with the re-judged file:\n%s", got)
	}
	if _, err := scoreResults([]string{write("bad.jsonl", "not json")}, eq); err == nil {
		t.Fatal("a malformed results file was scored")
	}
}
