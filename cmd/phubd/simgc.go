package main

import (
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// simGCPercent is the garbage collector's target while phubd sim runs
// seeds, unless GOGC is set: the simulator allocates many short-lived
// objects over a small heap, and at the default 100% the collector took
// about a third of a strict seed's CPU (phubd sim --mode strict --class
// crash --seeds 30: 8.9 CPU-s at 100, 5.2 at 400). The sim tests and
// phubd bench use the same value.
const simGCPercent = 400

// setSimGC sets the collector to simGCPercent unless the environment
// chose GOGC itself; it returns the percent in force afterwards (-1 when
// GOGC came from the environment and is left alone).
func setSimGC() int {
	if os.Getenv("GOGC") != "" {
		return -1
	}
	debug.SetGCPercent(simGCPercent)
	return simGCPercent
}

// startCPUProfile writes a CPU profile to path until the returned stop is
// called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
