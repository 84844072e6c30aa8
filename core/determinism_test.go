package core

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// forbiddenImports may not appear in core: I/O, networking, global
// randomness, locks and reflection-free unsafe tricks all break replay.
var forbiddenImports = map[string]bool{
	"net": true, "net/http": true, "os": true, "os/exec": true, "io/ioutil": true,
	"math/rand": true, "math/rand/v2": true, "sync": true, "sync/atomic": true,
	"syscall": true, "unsafe": true, "crypto/rand": true, "log": true, "log/slog": true,
}

// forbiddenTime are the time functions that read the clock or start timers.
var forbiddenTime = map[string]bool{
	"Now": true, "Sleep": true, "After": true, "Tick": true, "NewTimer": true,
	"NewTicker": true, "AfterFunc": true, "Since": true, "Until": true,
}

// nondeterminism returns one line per rule broken by the Go source src.
func nondeterminism(fset *token.FileSet, name string, src any) ([]string, error) {
	f, err := parser.ParseFile(fset, name, src, 0)
	if err != nil {
		return nil, err
	}
	var out []string
	timeName := ""
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if forbiddenImports[path] {
			out = append(out, fset.Position(imp.Pos()).String()+": imports "+path)
		}
		if path == "time" {
			timeName = "time"
			if imp.Name != nil {
				timeName = imp.Name.Name
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.GoStmt:
			out = append(out, fset.Position(x.Pos()).String()+": starts a goroutine")
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && timeName != "" && id.Name == timeName && forbiddenTime[x.Sel.Name] {
				out = append(out, fset.Position(x.Pos()).String()+": calls time."+x.Sel.Name)
			}
		case *ast.SelectStmt:
			out = append(out, fset.Position(x.Pos()).String()+": uses select")
		}
		return true
	})
	return out, nil
}

// TestCoreIsDeterministic guards rule 1 of the house: core has no
// goroutines, clock reads, timers, I/O or global randomness.
func TestCoreIsDeterministic(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bad, err := nondeterminism(fset, f, src)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bad {
			t.Error(b)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("only %d core files checked: the guard is not looking at core", checked)
	}
}

// TestGuardCatchesViolations proves the guard can fail.
func TestGuardCatchesViolations(t *testing.T) {
	src := `package core
import (
	"math/rand"
	tm "time"
	"os"
)
func bad() {
	go func() {}()
	_ = tm.Now()
	_ = rand.Int()
	_ = os.Getenv("X")
	select {}
}`
	bad, err := nondeterminism(token.NewFileSet(), "bad.go", src)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"imports math/rand", "imports os", "starts a goroutine", "calls time.Now", "uses select"}
	for _, w := range want {
		found := false
		for _, b := range bad {
			if strings.Contains(b, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("guard missed %q; got %v", w, bad)
		}
	}
}
