package phub_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The README's "Use it as a Go library" program is Example_cluster: the
// same imports and, line for line, the same body (main's body is the
// example's up to its Output comment). Editing one without the other
// fails here, so the README's first program always compiles and runs.
func TestReadmeLibraryProgramIsExampleCluster(t *testing.T) {
	prog := readmeProgram(t)
	readmeImports, readmeBody := funcBody(t, "README.md", prog, "main")
	if _, other, _ := strings.Cut(prog, "package "); !strings.HasPrefix(other, "main\n") {
		t.Error("the README program is not package main")
	}

	src, err := os.ReadFile("example_cluster_test.go")
	if err != nil {
		t.Fatal(err)
	}
	exImports, exBody := funcBody(t, "example_cluster_test.go", string(src), "Example_cluster")
	exBody, _, ok := strings.Cut(exBody, "\t// Output:")
	if !ok {
		t.Fatal("Example_cluster has no Output comment: go test would not run it")
	}
	if !slices.Equal(readmeImports, exImports) {
		t.Errorf("imports differ:\nREADME:  %v\nexample: %v", readmeImports, exImports)
	}
	rl, el := strings.Split(strings.TrimSpace(readmeBody), "\n"), strings.Split(strings.TrimSpace(exBody), "\n")
	for i := 0; i < max(len(rl), len(el)); i++ {
		var r, e string
		if i < len(rl) {
			r = rl[i]
		}
		if i < len(el) {
			e = el[i]
		}
		if r != e {
			t.Fatalf("README main and Example_cluster differ at body line %d:\nREADME:  %q\nexample: %q", i+1, r, e)
		}
	}
}

// Every example the README's library section names is one go doc shows
// (go doc -http, pkg.go.dev): go/doc, which both use, attaches it to
// package phub, it has an Output comment (go test runs it and checks
// what it prints), and it is self-contained — go/doc can turn it into a
// complete program, so it uses no test helper the reader cannot see.
func TestReadmeNamesRunnableExamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "## Use it as a Go library\n")
	section, _, _ = strings.Cut(section, "\n## ")
	names := regexp.MustCompile(`Example_\w+`).FindAllString(section, -1)
	if len(names) < 5 {
		t.Fatalf("the library section names %d examples (%v), want the cluster, handover, hooks, guided and errors ones", len(names), names)
	}
	fset := token.NewFileSet()
	paths, _ := filepath.Glob("*.go")
	var files []*ast.File
	for _, path := range paths {
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name == "phub" || f.Name.Name == "phub_test" {
			files = append(files, f)
		}
	}
	pkg, err := doc.NewFromFiles(fset, files, "github.com/phub/phub")
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]*doc.Example{}
	for _, ex := range pkg.Examples {
		shown["Example_"+ex.Suffix] = ex
	}
	for _, n := range names {
		ex := shown[n]
		switch {
		case ex == nil:
			t.Errorf("README names %s: go doc shows no such package example", n)
		case ex.Output == "" && !ex.EmptyOutput:
			t.Errorf("%s has no Output comment: go test does not run it", n)
		case ex.Play == nil:
			t.Errorf("%s is not self-contained: it uses something declared outside its file, which go doc does not show", n)
		}
	}
}

// readmeProgram returns the first ```go block of the README's "Use it as
// a Go library" section.
func readmeProgram(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	const heading = "## Use it as a Go library\n"
	_, section, ok := strings.Cut(string(readme), heading)
	if !ok {
		t.Fatalf("README.md has no %q section", strings.TrimSpace(heading))
	}
	_, block, ok := strings.Cut(section, "```go\n")
	if !ok {
		t.Fatal("the library section has no ```go block")
	}
	prog, _, ok := strings.Cut(block, "```\n")
	if !ok {
		t.Fatal("the library section's ```go block is not closed")
	}
	return prog
}

// funcBody parses src and returns its import paths (sorted) and the text
// of function name's body, between its braces.
func funcBody(t *testing.T, file, src, name string) ([]string, string) {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.ParseComments)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var imports []string
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		imports = append(imports, p)
	}
	slices.Sort(imports)
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == name && fd.Body != nil {
			return imports, src[fset.Position(fd.Body.Lbrace).Offset+1 : fset.Position(fd.Body.Rbrace).Offset]
		}
	}
	t.Fatalf("%s: no func %s", file, name)
	return nil, ""
}
