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
)

// benchCmd measures a real 3-node cluster over TCP on loopback.
func benchCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("phubd bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 3, "runs per figure (min/median/max reported)")
	sizes := fs.String("sizes", "1000,10000,100000", "comma-separated awaited-start sizes")
	gogc := fs.Int("gogc", 400, "GC target percentage for the run (Go's default is 100; the README reports both)")
	startOnly := fs.Bool("start-only", false, "measure only the start/stop figures")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: phubd bench [--runs N] [--sizes 1000,10000,100000]\n\nStarts in-process nodes over TCP on loopback and measures the ProcessHub anchor figures.\n\n")
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
	if _, err := bench.Run(bench.Options{Runs: *runs, StartSizes: ns, Out: stdout, StartOnly: *startOnly}); err != nil {
		fmt.Fprintln(stderr, "phubd bench:", err)
		return 1
	}
	return 0
}
