package phub_test

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// promisesDoc is the promise → check table (docs/promises.md).
const promisesDoc = "docs/promises.md"

// TestPromisesTableNamesRealChecks keeps docs/promises.md true: every
// test it cites is a test function where its column says (core: outside
// sim/, checks/ and e2e/; simulator: sim/, checks/ or scenarios/; real
// process: e2e/…), every checks.Name a function of checks/, every path an
// existing file, every "§Section" a heading of README.md, and a row with
// an empty check column (—) says why in its gap column.
func TestPromisesTableNamesRealChecks(t *testing.T) {
	rows := readPromiseRows(t, promisesDoc)
	if len(rows) < 20 {
		t.Fatalf("%s: %d promise rows, want the README's promises (at least 20)", promisesDoc, len(rows))
	}
	tests := testFuncDirs(t, ".")
	checkFuncs := exportedFuncs(t, "checks")
	headings := readmeHeadings(t, "README.md")
	for _, r := range rows {
		if err := r.check(tests, checkFuncs, headings); err != "" {
			t.Errorf("%s:%d: %s", promisesDoc, r.line, err)
		}
	}
}

// TestPromisesCheckerCatchesABadRow shows the checker can fail: a row
// naming a test that does not exist, a real-process check that is not
// under e2e/, an unknown README section, and an empty column without a
// gap are each reported.
func TestPromisesCheckerCatchesABadRow(t *testing.T) {
	tests := map[string][]string{"TestInCore": {"core"}, "TestOnProcesses": {"e2e"}, "TestInSim": {"sim"}}
	checkFuncs := map[string]bool{"Singularity": true}
	headings := []string{"Semantics: ProcessHub → phub"}
	good := promiseRow{line: 1, cells: []string{"p (§Semantics)", "`TestInCore`", "`checks.Singularity`, `TestInSim`", "`TestOnProcesses`", ""}}
	if err := good.check(tests, checkFuncs, headings); err != "" {
		t.Fatalf("a good row was refused: %s", err)
	}
	for _, bad := range [][]string{
		{"p (§Semantics)", "`TestNoSuchTest`", "`TestInSim`", "`TestOnProcesses`", ""},
		{"p (§Semantics)", "`TestInCore`", "`TestInSim`", "`TestInCore`", ""},
		{"p (§Semantics)", "`TestInCore`", "`checks.NoSuchCheck`", "`TestOnProcesses`", ""},
		{"p (§Semantics)", "`TestInCore`", "`scenarios/no_such_file.txt`", "`TestOnProcesses`", ""},
		{"p (§No such section)", "`TestInCore`", "`TestInSim`", "`TestOnProcesses`", ""},
		{"p", "`TestInCore`", "`TestInSim`", "`TestOnProcesses`", ""},
		{"p (§Semantics)", "`TestInCore`", "`TestInSim`", "—", ""},
		{"p (§Semantics)", "`TestInCore`", "`TestInSim`", "`TestOnProcesses` `Weird`", ""},
	} {
		r := promiseRow{line: 1, cells: bad}
		if err := r.check(tests, checkFuncs, headings); err == "" {
			t.Errorf("bad row accepted: %q", bad)
		}
	}
}

// promiseRow is one row of the table: promise, core test, simulator
// check, real-process check, gap.
type promiseRow struct {
	line  int
	cells []string
}

var (
	backticked = regexp.MustCompile("`([^`]*)`")
	testName   = regexp.MustCompile(`^(Test[A-Za-z0-9_]+)(/[A-Za-z0-9_./-]+)?$`)
	checkName  = regexp.MustCompile(`^checks\.([A-Z][A-Za-z0-9]*)$`)
	filePath   = regexp.MustCompile(`^[a-z0-9_]+(/[A-Za-z0-9_.-]+)+\.[a-z]+$`)
	section    = regexp.MustCompile(`§([^,;)]+)`)
)

// The places each check column's tests may live in (directories
// relative to the repository root; "." is the root package).
var columnPlaces = []struct {
	name string
	ok   func(dir string) bool
}{
	{"core test", func(d string) bool {
		return !under(d, "sim") && !under(d, "checks") && !under(d, "e2e") && !under(d, "scenarios")
	}},
	{"simulator check", func(d string) bool { return under(d, "sim") || under(d, "checks") || under(d, "scenarios") }},
	{"real-process check", func(d string) bool { return under(d, "e2e") }},
}

func under(dir, top string) bool { return dir == top || strings.HasPrefix(dir, top+"/") }

// check returns what is wrong with the row, or "".
func (r promiseRow) check(tests map[string][]string, checkFuncs map[string]bool, headings []string) string {
	if len(r.cells) != 5 {
		return "want 5 columns (promise, core test, simulator check, real-process check, gap)"
	}
	secs := section.FindAllStringSubmatch(r.cells[0], -1)
	if len(secs) == 0 {
		return "the promise names no README section (§Section)"
	}
	for _, s := range secs {
		if !isHeading(strings.TrimSpace(s[1]), headings) {
			return "no README heading starts with " + strings.TrimSpace(s[1])
		}
	}
	gap := strings.TrimSpace(r.cells[4])
	for i, place := range columnPlaces {
		cell := strings.TrimSpace(r.cells[i+1])
		if cell == "—" || cell == "" {
			if gap == "" {
				return place.name + " is empty and the gap column does not say why"
			}
			continue
		}
		names := backticked.FindAllStringSubmatch(cell, -1)
		if len(names) == 0 {
			return place.name + ": names no check in backticks"
		}
		for _, m := range names {
			if err := checkCited(m[1], place.name, place.ok, tests, checkFuncs); err != "" {
				return err
			}
		}
	}
	return ""
}

// checkCited checks one backticked name of a check column.
func checkCited(name, column string, ok func(string) bool, tests map[string][]string, checkFuncs map[string]bool) string {
	if strings.HasPrefix(name, "PHUBD_TEST_BROKEN=") || strings.HasPrefix(name, "ready.") {
		return "" // the knob a control uses, or a probe's name
	}
	if m := testName.FindStringSubmatch(name); m != nil {
		dirs := tests[m[1]]
		if len(dirs) == 0 {
			return column + ": no test function " + m[1]
		}
		for _, d := range dirs {
			if ok(d) {
				return ""
			}
		}
		return column + ": " + m[1] + " is in " + strings.Join(dirs, ", ") + ", not a place of this column"
	}
	if m := checkName.FindStringSubmatch(name); m != nil {
		if column != "simulator check" {
			return column + ": " + name + " is a simulator check"
		}
		if !checkFuncs[m[1]] {
			return column + ": checks/ has no function " + m[1]
		}
		return ""
	}
	if filePath.MatchString(name) {
		if _, err := os.Stat(filepath.FromSlash(name)); err != nil {
			return column + ": no file " + name
		}
		return ""
	}
	return column + ": `" + name + "` is neither a test, a checks function nor a file"
}

func isHeading(s string, headings []string) bool {
	for _, h := range headings {
		if strings.HasPrefix(h, s) {
			return true
		}
	}
	return false
}

// readPromiseRows returns the table rows of path after its header.
func readPromiseRows(t *testing.T, path string) []promiseRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []promiseRow
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	header := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			continue
		}
		if strings.HasPrefix(line, "| promise") {
			header = true
			continue
		}
		if !header || strings.HasPrefix(line, "|---") {
			continue
		}
		cells := strings.Split(strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|"), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, promiseRow{line: n, cells: cells})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

var testFunc = regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]*)\(t \*testing\.T\)`)

// testFuncDirs maps every test function of the repository to the
// directories (relative, slash-separated) that declare it.
func testFuncDirs(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(path))
		for _, m := range testFunc.FindAllSubmatch(b, -1) {
			out[string(m[1])] = append(out[string(m[1])], dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var exportedFunc = regexp.MustCompile(`(?m)^func ([A-Z][A-Za-z0-9]*)\(`)

// exportedFuncs returns the exported functions of the non-test files of
// dir.
func exportedFuncs(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range exportedFunc.FindAllSubmatch(b, -1) {
			out[string(m[1])] = true
		}
	}
	return out
}

// readmeHeadings returns the text of every heading of the README.
func readmeHeadings(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "#") {
			out = append(out, strings.TrimSpace(strings.TrimLeft(line, "#")))
		}
	}
	return out
}
