package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/phub/phub/cmd/phubd/internal/cli"
	"github.com/phub/phub/core"
	"github.com/phub/phub/scenarios"
	"github.com/phub/phub/sim"
)

// simOptions are phubd sim's flags.
type simOptions struct {
	classes   []sim.Class
	from      uint64
	count     uint64
	shard     int
	shards    int
	selfCheck bool
	failFast  bool
	artifacts string
	files     []string
	// strict runs only the seeds that draw strict mode (--mode strict);
	// report names a report to print instead of checking (availability,
	// availability-children).
	strict bool
	report string
	// cpuprofile names a file for a CPU profile of the whole run.
	cpuprofile string
	// interleave runs the classes' seeds round-robin (the i-th seed of
	// every class before the i+1-th), so a sweep cut short by budget
	// covers every class alike; budget stops starting seeds after it.
	interleave bool
	budget     time.Duration
	// hashes names a file (or "-" for stdout) that receives one line per
	// seed run: class, seed, trace hash and events (--hashes).
	hashes  string
	hashOut io.Writer
	// run carries --detector and --nodes into every seed's sim.Options.
	run sim.Options
}

// simRunFlags registers --detector and --nodes, which phubd sim and
// phubd replay share; parse them with parseSimRunFlags.
func simRunFlags(fs *flag.FlagSet) (detector *string, nodes *int) {
	detector = fs.String("detector", "", "failure detector of every node: all_to_all or swim (default: the config's, all_to_all)")
	nodes = fs.Int("nodes", 0, "nodes of every seed instead of the 3-5 it draws (2..200)")
	return detector, nodes
}

// parseSimRunFlags checks --detector and --nodes and returns them as the
// sim.Options fields they set.
func parseSimRunFlags(detector string, nodes int) (sim.Options, error) {
	var o sim.Options
	switch core.DetectorKind(detector) {
	case "":
	case core.AllToAll, core.Swim:
		o.Detector = core.DetectorKind(detector)
	default:
		return o, fmt.Errorf("--detector %q: want all_to_all or swim", detector)
	}
	if nodes != 0 && (nodes < 2 || nodes > 200) {
		return o, fmt.Errorf("--nodes %d: want 2..200 (or 0: each seed draws 3-5)", nodes)
	}
	o.Nodes = nodes
	return o, nil
}

func parseShard(s string) (int, int, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("--shard %q: want i/n, e.g. 0/4", s)
	}
	a, err1 := strconv.Atoi(i)
	b, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil || b < 1 || a < 0 || a >= b {
		return 0, 0, fmt.Errorf("--shard %q: want i/n with 0 <= i < n", s)
	}
	return a, b, nil
}

func parseSimArgs(args []string, stderr io.Writer) (*simOptions, error) {
	fs := flag.NewFlagSet("phubd sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	class := fs.String("class", "all", "fault class: all or one of "+classNames())
	from := fs.Uint64("from", 1, "first seed")
	count := fs.Uint64("seeds", 100, "seeds per class")
	shard := fs.String("shard", "0/1", "run only shard i of n (seed index mod n == i), for CI matrices or several machines")
	selfCheck := fs.Bool("self-check", false, "run every seed twice and report the first trace line that differs")
	failFast := fs.Bool("fail-fast", false, "stop at the first failing seed")
	artifacts := fs.String("artifacts", "", "directory for the trace, timeline and history of failing seeds")
	mode := fs.String("mode", "any", "partition mode of the seeds to run: any (each seed draws its own) or strict (only seeds that draw strict mode; --seeds counts them)")
	report := fs.String("report", "", "print a report instead of checking: availability (divergence, majority_quorum and strict side by side per class, over --seeds seeds) or availability-children (the same runs per seed and mode, with each child not running for more than a second of its wanted time)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	interleave := fs.Bool("interleave", false, "run the classes round-robin, seed by seed, instead of one class after the other")
	budget := fs.Duration("for", 0, "start no seed after this much wall time (0: no limit); with --interleave every class gets about the same number of seeds")
	hashes := fs.String("hashes", "", "write one line per seed (class, seed, trace hash, events) to this file, or - for stdout; diff two runs' files to show behaviour unchanged")
	detector, nodes := simRunFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: phubd sim [flags] [scenario.txt ...]\n\nRuns simulator seeds of fault classes (or scenario files) and checks every run.\n\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args, stderr); err != nil {
		return nil, err
	}
	o := &simOptions{from: *from, count: *count, selfCheck: *selfCheck, failFast: *failFast, artifacts: *artifacts, files: fs.Args(), report: *report, cpuprofile: *cpuprofile, interleave: *interleave, budget: *budget, hashes: *hashes}
	switch *mode {
	case "any":
	case "strict":
		o.strict = true
	default:
		return nil, fmt.Errorf("--mode %q: want any or strict", *mode)
	}
	if o.hashes != "" && (o.selfCheck || o.report != "" || len(o.files) > 0) {
		return nil, errors.New("--hashes: not with --self-check, --report or scenario files (it records the trace hash of each seed's single run)")
	}
	if o.report != "" && o.report != "availability" && o.report != "availability-children" {
		return nil, fmt.Errorf("--report %q: want availability or availability-children", o.report)
	}
	var err error
	if o.run, err = parseSimRunFlags(*detector, *nodes); err != nil {
		return nil, err
	}
	if o.shard, o.shards, err = parseShard(*shard); err != nil {
		return nil, err
	}
	if *count == 0 {
		return nil, errors.New("--seeds must be at least 1")
	}
	if *budget < 0 {
		return nil, fmt.Errorf("--for %v: want a duration >= 0", *budget)
	}
	if *class == "all" {
		o.classes = sim.Classes
	} else {
		for _, name := range strings.Split(*class, ",") {
			c, err := sim.ParseClass(name)
			if err != nil {
				return nil, err
			}
			o.classes = append(o.classes, c)
		}
	}
	return o, nil
}

func classNames() string {
	var names []string
	for _, c := range sim.Classes {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

// simCmd runs seeds or scenario files with a progress line and a summary.
func simCmd(args []string, stdout, stderr io.Writer) int {
	o, err := parseSimArgs(args, stderr)
	if err != nil {
		return cli.Usage(stderr, "phubd sim", err)
	}
	setSimGC()
	if o.cpuprofile != "" {
		stop, err := startCPUProfile(o.cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "phubd sim:", err)
			return 1
		}
		defer stop()
	}
	if len(o.files) > 0 {
		return runScenarioFiles(o.files, stdout, stderr)
	}
	if o.hashes != "" {
		w, closeHashes, err := openHashes(o.hashes, stdout)
		if err != nil {
			fmt.Fprintln(stderr, "phubd sim:", err)
			return 1
		}
		defer func() {
			if err := closeHashes(); err != nil {
				fmt.Fprintln(stderr, "phubd sim:", err)
			}
		}()
		o.hashOut = w
	}
	switch o.report {
	case "availability":
		sim.WriteAvailability(stdout, o.classes, int(o.count), func(c sim.Class) { fmt.Fprintf(stderr, "%s...\n", c) })
		return 0
	case "availability-children":
		sim.WriteAvailabilityChildren(stdout, o.classes, int(o.count), func(c sim.Class) { fmt.Fprintf(stderr, "%s...\n", c) })
		return 0
	}
	start := time.Now()
	var runs, failures, undecided int
	lastProgress := time.Time{}
	cursors := make([]*seedCursor, len(o.classes))
	for i, c := range o.classes {
		cursors[i] = &seedCursor{class: c, seed: o.from - 1, strict: o.strict}
	}
	done := func() int {
		writeClassCounts(stdout, cursors)
		return summary(stdout, runs, failures, undecided, start)
	}
	total := uint64(len(cursors)) * o.count
	for k := uint64(0); k < total; k++ {
		cur := sweepCursor(cursors, o.count, k, o.interleave)
		seed := cur.next()
		if int((cur.index-1)%uint64(o.shards)) != o.shard {
			continue
		}
		if o.budget > 0 && time.Since(start) > o.budget {
			fmt.Fprintf(stderr, "\n--for %v: time is up, no more seeds started\n", o.budget)
			break
		}
		runs++
		cur.runs++
		cur.last = seed
		failed, report := runOneSeed(cur.class, seed, o)
		if !failed && report != "" {
			undecided++
			fmt.Fprintf(stdout, "\nUNDECIDED %s\n", report)
		}
		if failed {
			failures++
			cur.failures++
			fmt.Fprintf(stdout, "\nFAIL %s\n", report)
			if o.failFast {
				return done()
			}
		}
		if time.Since(lastProgress) > 200*time.Millisecond {
			lastProgress = time.Now()
			rate := float64(runs) / time.Since(start).Seconds()
			fmt.Fprintf(stderr, "\r%-14s seed %-8d %6d runs  %4d failures  %7.1f seeds/s", cur.class, seed, runs, failures, rate)
		}
	}
	fmt.Fprintln(stderr)
	return done()
}

func runOneSeed(class sim.Class, seed uint64, o *simOptions) (failed bool, report string) {
	defer func() {
		// A panic (in the harness or in core) is a failure of this seed,
		// reported with its replay command; the sweep goes on.
		if p := recover(); p != nil {
			failed = true
			flags := sim.Setup{Detector: o.run.Detector, NodesSet: o.run.Nodes > 0, Nodes: o.run.Nodes}.ReplayFlags()
			report = fmt.Sprintf("class=%s seed=%d panicked: %v\n%s  replay: go run ./cmd/phubd replay --class %s --seed %d%s\n", class, seed, p, debug.Stack(), class, seed, flags)
		}
	}()
	if o.selfCheck {
		ok, diff := sim.SelfCheckWith(class, seed, o.run)
		if !ok {
			return true, fmt.Sprintf("class=%s seed=%d is not deterministic: %s", class, seed, diff)
		}
		return false, ""
	}
	res := sim.RunSeed(class, seed, sim.Options{Detector: o.run.Detector, Nodes: o.run.Nodes})
	if o.hashOut != nil {
		writeHash(o.hashOut, res)
	}
	if !res.Failed() {
		if res.Undecided() {
			return false, res.Summary() // neither a pass nor a failure
		}
		return false, ""
	}
	report = res.Summary()
	if o.artifacts != "" {
		dir := filepath.Join(o.artifacts, fmt.Sprintf("%s-%d", class, seed))
		if rep, err := sim.ReplayWith(class, seed, dir, o.run); err != nil {
			report += fmt.Sprintf("  artifacts: %v\n", err)
		} else {
			report += fmt.Sprintf("  artifacts: %s\n", strings.Join(rep.Paths, " "))
		}
	}
	return true, report
}

// summary prints the sweep's summary line, with the seeds whose
// linearizability check ran out of its step budget when there are any,
// and returns the exit status: 1 with a failure, 3 with undecided seeds
// and no failure (neither passed nor failed), 0 otherwise.
func summary(w io.Writer, runs, failures, undecided int, start time.Time) int {
	el := time.Since(start)
	und := ""
	if undecided > 0 {
		und = fmt.Sprintf(", %d undecided (linearizability out of its step budget)", undecided)
	}
	fmt.Fprintf(w, "%d runs, %d failures%s, %.1fs, %.1f seeds/s\n", runs, failures, und, el.Seconds(), float64(runs)/el.Seconds())
	switch {
	case failures > 0:
		return 1
	case undecided > 0:
		return 3
	}
	return 0
}

func runScenarioFiles(files []string, stdout, stderr io.Writer) int {
	failures := 0
	for _, f := range files {
		sc, err := scenarios.ParseFile(f)
		if err == nil {
			err = sc.Run()
		}
		if err != nil {
			failures++
			fmt.Fprintf(stdout, "FAIL %s\n", err)
			continue
		}
		fmt.Fprintf(stdout, "ok   %s\n", f)
	}
	if failures > 0 {
		return 1
	}
	return 0
}

// replayCmd re-runs one seed exactly and writes its artifacts, or replays a
// rapid fail file through go test.
func replayCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("phubd replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	class := fs.String("class", "", "fault class of the seed ("+classNames()+")")
	seed := fs.Uint64("seed", 0, "seed to replay")
	out := fs.String("out", "", "directory for trace.txt, timeline.html and history.html (default: a new temp dir)")
	selfCheck := fs.Bool("self-check", false, "also run the seed twice and report the first differing trace line")
	detector, nodes := simRunFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: phubd replay --class C --seed N [--detector D] [--nodes N] [--out DIR]\n       phubd replay path/to/rapid.fail\n\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args, stderr); err != nil {
		return cli.Usage(stderr, "phubd replay", err)
	}
	if fs.NArg() == 1 && strings.HasSuffix(fs.Arg(0), ".fail") {
		return replayFailFile(fs.Arg(0), *out, stdout, stderr)
	}
	if fs.NArg() > 0 || *class == "" || *seed == 0 {
		return cli.Usage(stderr, "phubd replay", errors.New("want --class C --seed N, or one rapid .fail file"))
	}
	c, err := sim.ParseClass(*class)
	if err != nil {
		return cli.Usage(stderr, "phubd replay", err)
	}
	run, err := parseSimRunFlags(*detector, *nodes)
	if err != nil {
		return cli.Usage(stderr, "phubd replay", err)
	}
	dir := *out
	if dir == "" {
		if dir, err = os.MkdirTemp("", fmt.Sprintf("phub-replay-%s-%d-", c, *seed)); err != nil {
			fmt.Fprintln(stderr, "phubd replay:", err)
			return 1
		}
	}
	rep, err := sim.ReplayWith(c, *seed, dir, run)
	if err != nil {
		fmt.Fprintln(stderr, "phubd replay:", err)
		return 1
	}
	fmt.Fprintln(stdout, rep.String())
	if *selfCheck {
		if ok, diff := sim.SelfCheckWith(c, *seed, run); !ok {
			fmt.Fprintf(stdout, "NOT DETERMINISTIC: %s\n", diff)
			return 1
		}
		fmt.Fprintln(stdout, "self-check: two runs gave identical traces")
	}
	switch {
	case rep.Result.Failed():
		return 1
	case rep.Result.Undecided():
		return 3 // neither passed nor failed
	}
	return 0
}

// replayFailFile replays a rapid fail file: rapid replays through go test.
func replayFailFile(path, out string, stdout, stderr io.Writer) int {
	abs, err := filepath.Abs(path)
	if err != nil {
		fmt.Fprintln(stderr, "phubd replay:", err)
		return 2
	}
	if _, err := os.Stat(abs); err != nil {
		fmt.Fprintln(stderr, "phubd replay:", err)
		return 2
	}
	test := strings.SplitN(filepath.Base(abs), "-", 2)[0]
	cmd := exec.Command("go", "test", "./sim", "-run", "^"+test+"$", "-rapid.failfile="+abs, "-v")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = os.Environ()
	if out != "" {
		cmd.Env = append(cmd.Env, "PHUB_ARTIFACTS="+out)
	}
	fmt.Fprintf(stderr, "replaying %s: %s\n", abs, strings.Join(cmd.Args, " "))
	if err := cmd.Run(); err != nil {
		return 1
	}
	return 0
}
