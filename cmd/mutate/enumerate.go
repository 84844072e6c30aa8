package main

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// Operators lists every mutation operator, in report order.
var Operators = []string{
	"cmp-flip",     // < ↔ <=, > ↔ >=, == ↔ !=
	"if-negate",    // if c → if !(c)
	"const-inc",    // integer literal n → n+1
	"const-dec",    // integer literal n → n-1
	"arith-swap",   // + ↔ -, += ↔ -=, ++ ↔ --
	"logic-swap",   // && ↔ ||
	"stmt-drop",    // drop an assignment, call or inc/dec statement
	"branch-swap",  // swap the if and else blocks
	"arg-swap",     // swap two adjacent same-typed call arguments
	"return-early", // bare return at the top of a function without results (or with named results)
	"return-true",  // return true at the top of a func(...) bool
	"return-false", // return false at the top of a func(...) bool
}

// pkgSource is one parsed and type-checked package directory.
type pkgSource struct {
	rel   string // directory relative to the module root, slash-separated
	names []string
	src   map[string][]byte
	files map[string]*ast.File
	fset  *token.FileSet
	info  *types.Info
	imp   types.Importer
}

// loadPackage parses and type-checks the non-test Go files of dir.
func loadPackage(root, rel string) (*pkgSource, error) {
	dir := filepath.Join(root, filepath.FromSlash(rel))
	bp, err := build.Default.ImportDir(dir, 0)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", rel, err)
	}
	p := &pkgSource{rel: rel, names: bp.GoFiles, src: map[string][]byte{}, files: map[string]*ast.File{}, fset: token.NewFileSet()}
	sort.Strings(p.names)
	p.imp = importer.ForCompiler(p.fset, "source", nil)
	var list []*ast.File
	for _, name := range p.names {
		f, err := parser.ParseFile(p.fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		p.files[name] = f
		list = append(list, f)
		p.src[name], err = os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
	}
	p.info = &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: p.imp}
	if _, err := conf.Check(bp.ImportPath, p.fset, list, p.info); err != nil {
		return nil, fmt.Errorf("type-check %s: %w", rel, err)
	}
	return p, nil
}

// typeCheck reports whether the package still type-checks with file name
// replaced by src (go/types reports unused variables and imports too).
func (p *pkgSource) typeCheck(name string, src []byte) error {
	f, err := parser.ParseFile(p.fset, name, src, 0)
	if err != nil {
		return err
	}
	var list []*ast.File
	for _, n := range p.names {
		if n == name {
			list = append(list, f)
		} else {
			list = append(list, p.files[n])
		}
	}
	conf := types.Config{Importer: p.imp}
	_, err = conf.Check(p.rel, p.fset, list, nil)
	return err
}

// Enumerate lists every mutant of the package, sorted by file, position
// and operator. The order depends only on the source text.
func (p *pkgSource) Enumerate() []Mutant {
	var all []Mutant
	for _, name := range p.names {
		e := &enumerator{p: p, name: name, file: p.files[name], src: p.src[name]}
		ast.Inspect(e.file, e.visit)
		all = append(all, e.out...)
	}
	rank := map[string]int{}
	for i, op := range Operators {
		rank[op] = i
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return rank[a.Op] < rank[b.Op]
	})
	return all
}

type enumerator struct {
	p    *pkgSource
	name string
	file *ast.File
	src  []byte
	out  []Mutant
}

func (e *enumerator) off(pos token.Pos) int { return e.p.fset.Position(pos).Offset }

func (e *enumerator) add(op string, at token.Pos, edits ...edit) {
	pos := e.p.fset.Position(at)
	e.out = append(e.out, Mutant{File: e.p.rel + "/" + e.name, Line: pos.Line, Col: pos.Column, Op: op, edits: edits})
}

// replaceTok replaces the operator token tok found at pos.
func (e *enumerator) replaceTok(op string, pos token.Pos, tok, with token.Token) {
	o := e.off(pos)
	e.add(op, pos, edit{o, o + len(tok.String()), with.String()})
}

var cmpFlip = map[token.Token]token.Token{
	token.LSS: token.LEQ, token.LEQ: token.LSS,
	token.GTR: token.GEQ, token.GEQ: token.GTR,
	token.EQL: token.NEQ, token.NEQ: token.EQL,
}

func (e *enumerator) isString(x ast.Expr) bool {
	t := e.p.info.TypeOf(x)
	if t == nil {
		return false
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsString != 0
}

func (e *enumerator) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.BinaryExpr:
		if to, ok := cmpFlip[n.Op]; ok {
			e.replaceTok("cmp-flip", n.OpPos, n.Op, to)
		}
		switch n.Op {
		case token.LAND:
			e.replaceTok("logic-swap", n.OpPos, n.Op, token.LOR)
		case token.LOR:
			e.replaceTok("logic-swap", n.OpPos, n.Op, token.LAND)
		case token.ADD:
			if !e.isString(n) {
				e.replaceTok("arith-swap", n.OpPos, n.Op, token.SUB)
			}
		case token.SUB:
			e.replaceTok("arith-swap", n.OpPos, n.Op, token.ADD)
		}
	case *ast.AssignStmt:
		switch n.Tok {
		case token.ADD_ASSIGN:
			if !e.isString(n.Lhs[0]) {
				e.replaceTok("arith-swap", n.TokPos, n.Tok, token.SUB_ASSIGN)
			}
		case token.SUB_ASSIGN:
			e.replaceTok("arith-swap", n.TokPos, n.Tok, token.ADD_ASSIGN)
		}
	case *ast.IncDecStmt:
		to := token.DEC
		if n.Tok == token.DEC {
			to = token.INC
		}
		e.replaceTok("arith-swap", n.TokPos, n.Tok, to)
	case *ast.BasicLit:
		if n.Kind == token.INT {
			if v, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
				o := e.off(n.Pos())
				e.add("const-inc", n.Pos(), edit{o, o + len(n.Value), strconv.FormatInt(v+1, 10)})
				e.add("const-dec", n.Pos(), edit{o, o + len(n.Value), strconv.FormatInt(v-1, 10)})
			}
		}
	case *ast.IfStmt:
		e.add("if-negate", n.If, edit{e.off(n.Cond.Pos()), e.off(n.Cond.Pos()), "!("}, edit{e.off(n.Cond.End()), e.off(n.Cond.End()), ")"})
		if els, ok := n.Else.(*ast.BlockStmt); ok {
			a0, a1 := e.off(n.Body.Lbrace)+1, e.off(n.Body.Rbrace)
			b0, b1 := e.off(els.Lbrace)+1, e.off(els.Rbrace)
			e.add("branch-swap", n.If, edit{a0, a1, string(e.src[b0:b1])}, edit{b0, b1, string(e.src[a0:a1])})
		}
	case *ast.BlockStmt:
		e.drops(n.List)
	case *ast.CaseClause:
		e.drops(n.Body)
	case *ast.CommClause:
		e.drops(n.Body)
	case *ast.CallExpr:
		e.argSwaps(n)
	case *ast.FuncDecl:
		e.returns(n.Type, n.Body)
	case *ast.FuncLit:
		e.returns(n.Type, n.Body)
	}
	return true
}

// drops removes one statement with an effect at a time.
func (e *enumerator) drops(list []ast.Stmt) {
	for _, s := range list {
		switch s := s.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				continue
			}
		case *ast.ExprStmt, *ast.IncDecStmt, *ast.SendStmt:
		default:
			continue
		}
		e.add("stmt-drop", s.Pos(), edit{e.off(s.Pos()), e.off(s.End()), ""})
	}
}

// argSwaps swaps adjacent arguments of the same type. Builtins,
// conversions and fmt/errors calls (message text only) are skipped.
func (e *enumerator) argSwaps(c *ast.CallExpr) {
	if len(c.Args) < 2 {
		return
	}
	if tv, ok := e.p.info.Types[c.Fun]; ok && tv.IsType() {
		return
	}
	switch fun := ast.Unparen(c.Fun).(type) {
	case *ast.Ident:
		if _, ok := e.p.info.Uses[fun].(*types.Builtin); ok {
			return
		}
	case *ast.SelectorExpr:
		if x, ok := fun.X.(*ast.Ident); ok {
			if pn, ok := e.p.info.Uses[x].(*types.PkgName); ok {
				switch pn.Imported().Path() {
				case "fmt", "errors":
					return
				}
			}
		}
	}
	for i := 0; i+1 < len(c.Args); i++ {
		a, b := c.Args[i], c.Args[i+1]
		ta, tb := e.p.info.TypeOf(a), e.p.info.TypeOf(b)
		if ta == nil || tb == nil || !types.Identical(ta, tb) {
			continue
		}
		a0, a1, b0, b1 := e.off(a.Pos()), e.off(a.End()), e.off(b.Pos()), e.off(b.End())
		at, bt := string(e.src[a0:a1]), string(e.src[b0:b1])
		if at == bt {
			continue
		}
		e.add("arg-swap", a.Pos(), edit{a0, a1, bt}, edit{b0, b1, at})
	}
}

// returns inserts an early return at the top of a function body.
func (e *enumerator) returns(ft *ast.FuncType, body *ast.BlockStmt) {
	if body == nil || len(body.List) == 0 {
		return
	}
	at := e.off(body.Lbrace) + 1
	res := ft.Results
	switch {
	case res == nil || len(res.List) == 0 || len(res.List[0].Names) > 0:
		e.add("return-early", body.Lbrace, edit{at, at, " return;"})
	case res.NumFields() == 1:
		if t, ok := e.p.info.TypeOf(res.List[0].Type).Underlying().(*types.Basic); ok && t.Kind() == types.Bool {
			e.add("return-true", body.Lbrace, edit{at, at, " return true;"})
			e.add("return-false", body.Lbrace, edit{at, at, " return false;"})
		}
	}
}
