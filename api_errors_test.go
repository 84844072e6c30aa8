package phub_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// Rollback without Await used to be ignored silently: the children
// started and nothing would ever roll them back.
func TestRollbackWithoutAwaitRefused(t *testing.T) {
	c := newCluster(t, 1, nil)
	a := c.hub("a")
	ctx := ctxT(t, 10*time.Second)
	res, err := a.StartChildren(ctx, specs("noop", "rb", 2), phub.Rollback())
	if !errors.Is(err, phub.ErrRollbackNeedsAwait) {
		t.Fatalf("Rollback() without Await(): err %v, want ErrRollbackNeedsAwait", err)
	}
	if res.Initiated || len(res.Results) != 0 {
		t.Fatalf("refused start reported progress: %+v", res)
	}
	// Nothing was started: the same ids start normally afterwards.
	res, err = a.StartChildren(ctx, specs("noop", "rb", 2), phub.Await(), phub.Rollback())
	if err != nil || !res.OK() || len(res.Results) != 2 {
		t.Fatalf("awaited start after the refusal: %v %+v", err, res)
	}
}

// A hook kind outside core.AllHooks (a typo) used to be accepted and
// never fire.
func TestRegisterHookUnknownKind(t *testing.T) {
	c := newCluster(t, 1, nil)
	a := c.hub("a")
	for _, kind := range []core.HookKind{"registry_insert", "", "POST_CLUSTER_JOIN"} {
		err := a.RegisterHook(kind, "h", func(core.Hook) {})
		if !errors.Is(err, phub.ErrUnknownHookKind) {
			t.Errorf("RegisterHook(%q): %v, want ErrUnknownHookKind", kind, err)
		}
		if a.CancelHook(kind, "h") {
			t.Errorf("refused hook %q was registered", kind)
		}
	}
	for _, kind := range core.AllHooks {
		if err := a.RegisterHook(kind, "h", func(core.Hook) {}); err != nil {
			t.Errorf("RegisterHook(%q): %v", kind, err)
		}
	}
}

// Every sentinel error core exports has a re-export of the same name in
// package phub, so users never need to import core to test an error. The
// names are read from core's source: a new core error cannot be
// forgotten.
func TestEveryCoreErrorReexported(t *testing.T) {
	coreErrs := exportedErrVars(t, "core", func(ast.Expr) (string, bool) { return "", true })
	if len(coreErrs) < 20 {
		t.Fatalf("found only %d Err* variables in core: the parser missed some", len(coreErrs))
	}
	root := exportedErrVars(t, ".", func(v ast.Expr) (string, bool) {
		sel, ok := v.(*ast.SelectorExpr)
		if !ok {
			return "", false
		}
		pkg, ok := sel.X.(*ast.Ident)
		if !ok || pkg.Name != "core" {
			return "", false
		}
		return sel.Sel.Name, true
	})
	var missing []string
	for name := range coreErrs {
		if root[name] != name {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("core errors without a phub re-export (%s = core.%s): %v", missing[0], missing[0], missing)
	}
}

// exportedErrVars parses the non-test Go files of dir and returns, for
// every package-level variable named Err*, what value(v) says about its
// value (skipping those for which it reports false).
func exportedErrVars(t *testing.T, dir string, value func(ast.Expr) (string, bool)) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Err") || !name.IsExported() || i >= len(vs.Values) {
						continue
					}
					if v, ok := value(vs.Values[i]); ok {
						out[name.Name] = v
					}
				}
			}
		}
	}
	return out
}
