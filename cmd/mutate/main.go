// Command mutate measures the test harness: it injects single-site bugs
// (mutants) into core/ and reports how many the tests catch.
//
// It is a development tool, not part of CI:
//
//	go run ./cmd/mutate --budget 30m --oracle fast --sample 80 --seed 1 --out /tmp/mut
//
// Every mutant is one operator applied at one site of a non-test file
// (see Operators), named file:line:col:operator. Mutants that do not
// type-check are excluded up front; the rest are sampled deterministically
// by --seed, applied one at a time through `go test -overlay` (GOFLAGS, so
// nested go builds see them too; nothing is copied and the tree is never
// written) and judged by the oracle's test commands: a failure, panic or
// timeout kills the mutant. DIR/report.md holds the score and every
// survivor with its diff, DIR/results.jsonl one line per mutant.
package main

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mutate:", err)
		os.Exit(2)
	}
}

// options are the command-line flags.
type options struct {
	budget     time.Duration
	oracle     string
	sample     int
	seed       uint64
	out        string
	pkg        string
	seeds      int
	mutants    string
	ops        string
	list       bool
	print      string
	timeout    time.Duration
	wall       time.Duration
	testTime   time.Duration
	equivalent string
	score      string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("mutate", flag.ContinueOnError)
	fs.DurationVar(&o.budget, "budget", 30*time.Minute, "stop starting mutants after this much time")
	fs.StringVar(&o.oracle, "oracle", "fast", "fast (core, scenarios, a small sim sweep) or full (then go test ./...)")
	fs.IntVar(&o.sample, "sample", 0, "run this many mutants, drawn by --seed (0: all)")
	fs.Uint64Var(&o.seed, "seed", 1, "sampling seed")
	fs.StringVar(&o.out, "out", "", "directory for report.md and results.jsonl (required)")
	fs.StringVar(&o.pkg, "pkg", "core", "package directory to mutate, relative to the module root")
	fs.IntVar(&o.seeds, "seeds", 10, "PHUB_SEEDS of the fast oracle's sim sweep")
	fs.StringVar(&o.mutants, "mutants", "", "comma-separated mutant ids, or @file with one id a line (instead of sampling)")
	fs.StringVar(&o.ops, "ops", "", "comma-separated operators to enumerate (default all)")
	fs.BoolVar(&o.list, "list", false, "list the mutants and exit (with --sample/--seed or --mutants: the ones a run would judge, in its order)")
	fs.StringVar(&o.print, "print", "", "print the mutated file of this mutant id and exit (for triage: go test -overlay)")
	fs.DurationVar(&o.timeout, "timeout", 0, "per stage's tests, builds excluded, in CPU time on Linux (wall time elsewhere); default 4× the stage's baseline + 1m of CPU (+ 3m of wall time elsewhere); a stage past it leaves the mutant undecided")
	fs.DurationVar(&o.wall, "wall-timeout", 0, "wall-clock backstop of a stage bounded by CPU time (default 10× its CPU bound + 10m)")
	fs.DurationVar(&o.testTime, "test-timeout", 5*time.Minute, "go test -timeout of each command (a hung test fails)")
	fs.StringVar(&o.equivalent, "equivalent", "cmd/mutate/EQUIVALENT.md", "file naming survivors judged equivalent (module-relative)")
	fs.StringVar(&o.score, "score", "", "score earlier runs' results.jsonl (comma-separated; a later file's verdict on a mutant replaces an earlier one's) with today's equivalence file, and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if !o.list && o.print == "" && o.score == "" && o.out == "" {
		return o, errors.New("--out DIR is required")
	}
	if o.sample < 0 || o.seeds < 1 || o.budget <= 0 || o.testTime <= 0 || o.timeout < 0 || o.wall < 0 {
		return o, errors.New("--sample must be ≥ 0, --seeds ≥ 1, --budget and --test-timeout > 0, --timeout and --wall-timeout ≥ 0")
	}
	return o, nil
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if o.score != "" {
		text, err := scoreResults(strings.Split(o.score, ","), readEquivalent(filepath.Join(root, o.equivalent)))
		if err != nil {
			return err
		}
		fmt.Print(text)
		return nil
	}
	stages, err := oracleStages(o.oracle, o.seeds, o.testTime)
	if err != nil {
		return err
	}
	p, err := loadPackage(root, o.pkg)
	if err != nil {
		return err
	}
	all, err := filterOps(p.Enumerate(), o.ops)
	if err != nil {
		return err
	}
	if o.list && o.sample == 0 && o.mutants == "" {
		for _, m := range all {
			fmt.Println(m.ID())
		}
		return nil
	}
	if o.print != "" {
		for _, m := range all {
			if m.ID() == o.print {
				_, err := os.Stdout.Write(m.apply(p.src[strings.TrimPrefix(m.File, p.rel+"/")]))
				return err
			}
		}
		return fmt.Errorf("--print: no mutant %q (see --list)", o.print)
	}
	// Mutants that do not type-check are excluded as they are drawn, so
	// the sample is all runnable mutants and only drawn ones are checked.
	compiles := func(m Mutant) bool {
		name := strings.TrimPrefix(m.File, p.rel+"/")
		return p.typeCheck(name, m.apply(p.src[name])) == nil
	}
	chosen, drawn, err := choose(all, o, compiles)
	if err != nil {
		return err
	}
	if o.list {
		// The sample a run with these flags judges, in its order.
		for _, m := range chosen {
			fmt.Println(m.ID())
		}
		return nil
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	rep := &report{opts: o, args: args, root: root, enumerated: len(all), drawn: drawn, chosen: len(chosen), stages: stages}
	rep.commit = gitDescribe(root)
	rep.equivalent = readEquivalent(filepath.Join(root, o.equivalent))

	work := filepath.Join(o.out, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	r := &runner{root: root, stages: stages, timeout: 2 * time.Hour, wall: 2 * time.Hour, bin: work}
	fmt.Fprintf(os.Stderr, "mutate: %d mutants, %d drawn, %d type-check and run; baseline first\n", len(all), drawn, len(chosen))
	t0 := time.Now()
	if st, stg, detail := r.run(""); st != Survived {
		return fmt.Errorf("the oracle fails on the unmodified tree (%s: %s)", stg, detail)
	}
	rep.baseline = time.Since(t0)
	r.timeout, r.wall = o.timeout, o.wall
	if r.timeout == 0 {
		// Each stage's tests get 4× their baseline + 1m of CPU time,
		// which the load of a shared machine does not change (a mutant
		// that loops burns it however slowly it is scheduled). Where
		// CPU time cannot be read, 4× the baseline's wall time (builds
		// included there, so the bound is loose) + 3m.
		r.perStage = map[string]time.Duration{}
		for _, st := range stages {
			d := 4*r.cpu[st.name] + time.Minute
			if !cpuClock {
				d = 4*r.took[st.name] + 3*time.Minute
			}
			r.perStage[st.name] = d.Round(time.Second)
		}
	}
	rep.stageTimeouts = r.perStage
	fmt.Fprintf(os.Stderr, "mutate: baseline %s; per-stage timeouts %s\n", rep.baseline.Round(time.Second), rep.timeoutText())
	start := time.Now()
	for i, m := range chosen {
		if time.Since(start) > o.budget {
			rep.notRun = len(chosen) - i
			break
		}
		name := strings.TrimPrefix(m.File, p.rel+"/")
		src := m.apply(p.src[name])
		ov, err := writeOverlay(work, root, m.File, src)
		if err != nil {
			return err
		}
		t := time.Now()
		st, stg, detail := r.run(ov)
		res := Result{ID: m.ID(), Op: m.Op, Status: st, Stage: stg, Detail: detail, Seconds: time.Since(t).Seconds(), Diff: m.Diff(p.src[name])}
		fmt.Fprintf(os.Stderr, "mutate: [%d/%d] %s %s %s (%.0fs)\n", i+1, len(chosen), res.ID, st, detail, res.Seconds)
		rep.results = append(rep.results, res)
		rep.elapsed = time.Since(start)
		if err := rep.write(); err != nil {
			return err
		}
	}
	rep.elapsed = time.Since(start)
	if err := rep.write(); err != nil {
		return err
	}
	fmt.Println(rep.summary())
	fmt.Println("report:", filepath.Join(o.out, "report.md"))
	return nil
}

// choose picks the mutants to run: the ids named by --mutants, or a
// deterministic sample of --sample compiling mutants drawn with --seed (in
// the drawn order, so a budget cut still leaves a uniform sample). drawn
// counts the mutants examined; drawn - len(chosen) did not compile.
func choose(all []Mutant, o options, compiles func(Mutant) bool) (chosen []Mutant, drawn int, err error) {
	if o.mutants != "" {
		ids, err := readIDs(o.mutants)
		if err != nil {
			return nil, 0, err
		}
		byID := map[string]Mutant{}
		for _, m := range all {
			byID[m.ID()] = m
		}
		for _, id := range ids {
			m, found := byID[id]
			if !found {
				return nil, 0, fmt.Errorf("mutant %q: no such mutant (did the file change? see --list)", id)
			}
			drawn++
			if compiles(m) {
				chosen = append(chosen, m)
			}
		}
		return chosen, drawn, nil
	}
	rng := rand.New(rand.NewPCG(o.seed, 0x6d75746174650a))
	for _, i := range rng.Perm(len(all)) {
		if o.sample > 0 && len(chosen) == o.sample {
			break
		}
		drawn++
		if compiles(all[i]) {
			chosen = append(chosen, all[i])
		}
	}
	return chosen, drawn, nil
}

func readIDs(spec string) ([]string, error) {
	text := spec
	if rest, ok := strings.CutPrefix(spec, "@"); ok {
		b, err := os.ReadFile(rest)
		if err != nil {
			return nil, err
		}
		text = string(b)
	}
	var ids []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '\n' }) {
		if f = strings.TrimSpace(f); f != "" && !strings.HasPrefix(f, "#") {
			ids = append(ids, f)
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("--mutants %q names no mutant", spec)
	}
	return ids, nil
}

func filterOps(all []Mutant, ops string) ([]Mutant, error) {
	if ops == "" {
		return all, nil
	}
	known := map[string]bool{}
	for _, op := range Operators {
		known[op] = true
	}
	want := map[string]bool{}
	for _, op := range strings.Split(ops, ",") {
		op = strings.TrimSpace(op)
		if !known[op] {
			return nil, fmt.Errorf("--ops: unknown operator %q (known: %s)", op, strings.Join(Operators, ", "))
		}
		want[op] = true
	}
	var out []Mutant
	for _, m := range all {
		if want[m.Op] {
			out = append(out, m)
		}
	}
	return out, nil
}

// moduleRoot walks up from the working directory to go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
