package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/phub/phub/cmd/phubd/internal/bench"
	"github.com/phub/phub/cmd/phubd/internal/cli"
	"github.com/phub/phub/core"
)

// benchCmd measures a real 3-node cluster over TCP on loopback.
func benchCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("phubd bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 3, "runs per figure (min/median/max reported)")
	sizes := fs.String("sizes", "1000,10000,100000", "comma-separated awaited-start sizes")
	gogc := fs.Int("gogc", 400, "GC target percentage for the run (Go's default is 100; the README reports both)")
	startOnly := fs.Bool("start-only", false, "measure only the start/stop figures")
	goroutineChildren := fs.Bool("goroutine-children", false, "start/stop figures: children that run on a goroutine each (a plain phub.Child) instead of phub.IdleChild ones")
	verbose := fs.Bool("v", false, "print every start/stop run's request and replication counters (sent, resent)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memprofile := fs.String("memprofile", "", "start/stop figures: write heap profiles of each size's first run to PREFIX-<size>-half.pprof (the starting node holds half the children) and PREFIX-<size>-full.pprof (every registry holds them)")
	nodes := fs.String("nodes", "", "comma-separated node counts (e.g. 5,20,50,100,200): measure cluster size in the simulator instead of the TCP figures")
	nodesChildren := fs.Int("nodes-children", 1000, "children the --nodes clusters hold")
	nodesOnly := fs.Bool("nodes-only", false, "with --nodes: skip the TCP figures")
	detector := fs.String("detector", "all_to_all", "with --nodes: the nodes' failure detector, all_to_all or swim")
	plot := fs.String("plot", "", "write an SVG plot of time and memory versus children (and versus nodes with --nodes), with ProcessHub's points, to this file")
	processhub := fs.String("processhub", "", "with --plot: a results file of ProcessHub's points to draw beside phub's (the format of cmd/phubd/internal/bench/processhub.tsv; default: that file, built in)")
	durability := fs.Bool("durability", false, "measure the cost of the durable registry instead: awaited starts with durability off and on, recovery of a node from disk, disk bytes per entry")
	durableDir := fs.String("durable-dir", "", "with --durability: where the stores are created (default: the system's temp dir; fsync cost depends on its file system)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: phubd bench [--runs N] [--sizes 1000,10000,100000]\n       phubd bench --nodes 5,20,50,100,200 [--nodes-children N]\n\nStarts in-process nodes over TCP on loopback and measures the ProcessHub anchor figures;\nwith --nodes, simulates clusters of those sizes and measures forming, idle traffic,\npropagation and crash detection.\n\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args, stderr); err != nil {
		return cli.Usage(stderr, "phubd bench", err)
	}
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1000000 {
			fmt.Fprintf(stderr, "phubd bench: --sizes: %q is not a size in 1..1000000\n", s)
			return 2
		}
		ns = append(ns, n)
	}
	if *runs < 1 || *runs > 100 {
		fmt.Fprintln(stderr, "phubd bench: --runs must be in 1..100")
		return 2
	}
	var counts []int
	if *nodes != "" {
		for _, s := range strings.Split(*nodes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 2 || n > 1000 {
				fmt.Fprintf(stderr, "phubd bench: --nodes: %q is not a node count in 2..1000\n", s)
				return 2
			}
			counts = append(counts, n)
		}
	}
	if *detector != string(core.AllToAll) && *detector != string(core.Swim) {
		fmt.Fprintf(stderr, "phubd bench: --detector %q: want all_to_all or swim\n", *detector)
		return 2
	}
	if *nodesChildren < 0 || *nodesChildren > 1000000 {
		fmt.Fprintln(stderr, "phubd bench: --nodes-children must be in 0..1000000")
		return 2
	}
	ref := bench.ProcessHubPoints()
	if *processhub != "" {
		// Read before anything is measured: a bad file fails at once.
		f, err := os.Open(*processhub)
		if err == nil {
			ref, err = bench.ReadRefPoints(f)
			f.Close()
		}
		if err != nil {
			fmt.Fprintf(stderr, "phubd bench: --processhub %s: %v\n", *processhub, err)
			return 2
		}
	}
	debug.SetGCPercent(*gogc)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "phubd bench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "phubd bench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if *durability {
		if _, err := bench.Durability(bench.Options{Runs: *runs, StartSizes: ns, Out: stdout}, *durableDir); err != nil {
			fmt.Fprintln(stderr, "phubd bench:", err)
			return 1
		}
		return 0
	}
	var figs []bench.Figure
	var mem []bench.MemoryPoint
	if !*nodesOnly || len(counts) == 0 {
		var err error
		if figs, err = bench.Run(bench.Options{Runs: *runs, StartSizes: ns, Out: stdout, StartOnly: *startOnly, GoroutineChildren: *goroutineChildren, Verbose: *verbose, MemProfile: *memprofile}); err != nil {
			fmt.Fprintln(stderr, "phubd bench:", err)
			return 1
		}
	}
	if *plot != "" {
		// Heap bytes do not depend on the machine's load: measured even
		// with --nodes-only.
		mem = bench.MemoryCurve(ns)
		for _, p := range mem {
			fmt.Fprintf(stdout, "registry memory per entry per node at %d children: %.1f B\n", p.Children, p.BytesPerEntry)
		}
	}
	var nfigs []bench.NodesFigures
	for i, n := range counts {
		f, err := bench.MeasureNodes(n, *nodesChildren, 1, core.DetectorKind(*detector))
		if err != nil {
			fmt.Fprintln(stderr, "phubd bench:", err)
			return 1
		}
		nfigs = append(nfigs, f)
		if i == 0 {
			fmt.Fprintln(stdout)
		}
		bench.WriteNodesTable(stdout, nfigs[len(nfigs)-1:], i == 0)
	}
	if *plot != "" {
		f, err := os.Create(*plot)
		if err == nil {
			err = bench.WritePlot(f, bench.Panels(figs, mem, nfigs, ref))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "phubd bench: --plot:", err)
			return 1
		}
		fmt.Fprintln(stdout, "plot written to", *plot)
	}
	return 0
}
