package bench

import (
	"fmt"
	"io"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/sim"
)

// NodesFigures are the cluster-size figures for one node count, measured
// in the simulator (production timings, loss-free LAN): simulated times
// are exact and replay with the seed; wall times are the simulator's cost.
type NodesFigures struct {
	Nodes, Children int
	// Formed is the simulated time until every view held every node.
	Formed time.Duration
	// FormWall is the wall time to simulate the first 10 s (boot and
	// form); FormCPU the process's user+sys CPU time meanwhile (0 where
	// the OS does not report it).
	FormWall, FormCPU time.Duration
	// FormMsgs and FormBytes are the messages and encoded bytes all
	// nodes sent in those 10 s: the simulator's work while forming,
	// counted (unlike its time) the same on a loaded machine.
	FormMsgs, FormBytes int
	// IdleMsgs and IdleBytes are what one idle node sends per second.
	IdleMsgs, IdleBytes float64
	// Propagation is the simulated time until a start on one node is in
	// every registry.
	Propagation time.Duration
	// Detection is the simulated time until every node's view dropped a
	// crashed node.
	Detection time.Duration
	// Events and Wall are the simulator's events and wall time in all.
	Events int
	Wall   time.Duration
}

// MeasureNodes runs the node-count figures for a cluster of n nodes
// holding children children, every node on the failure detector d (""
// for the default, all-to-all heartbeats).
func MeasureNodes(n, children int, seed uint64, d core.DetectorKind) (NodesFigures, error) {
	f := NodesFigures{Nodes: n, Children: children}
	sc := sim.NewScaleDetector(n, seed, d)
	t0, c0 := time.Now(), cpuTime()
	formed, err := sc.Form()
	if err != nil {
		return f, err
	}
	f.Formed, f.FormWall, f.FormCPU = formed, time.Since(t0), cpuTime()-c0
	f.FormMsgs, f.FormBytes = sc.Sim.Traffic() // nothing was sent before Form
	if err := sc.Start(children); err != nil {
		return f, fmt.Errorf("%d nodes, start %d children: %w", n, children, err)
	}
	f.IdleMsgs, f.IdleBytes = sc.Idle()
	if f.Propagation, err = sc.Propagate("probe"); err != nil {
		return f, fmt.Errorf("%d nodes, propagation: %w", n, err)
	}
	if f.Detection, err = sc.Detect(); err != nil {
		return f, fmt.Errorf("%d nodes, detection: %w", n, err)
	}
	f.Events, f.Wall = sc.Sim.Events(), time.Since(t0)
	return f, nil
}

// WriteNodesTable writes the figures as table rows, one per node count,
// after a header line if header is set.
func WriteNodesTable(w io.Writer, fs []NodesFigures, header bool) {
	if header {
		fmt.Fprintf(w, "%6s %9s %10s %14s %13s %10s %10s %12s %14s %12s %11s %10s %12s\n", "nodes", "children", "formed", "wall/10s sim", "cpu/10s sim", "form msgs", "form MB", "idle msg/s", "idle B/s", "propagation", "detection", "events", "events/s")
	}
	for _, f := range fs {
		fmt.Fprintf(w, "%6d %9d %10v %14v %13v %10d %10.1f %12.1f %14.0f %12v %11v %10d %12.0f\n", f.Nodes, f.Children, f.Formed, f.FormWall.Round(time.Millisecond), f.FormCPU.Round(time.Millisecond), f.FormMsgs, float64(f.FormBytes)/1e6, f.IdleMsgs, f.IdleBytes, f.Propagation, f.Detection, f.Events, float64(f.Events)/f.Wall.Seconds())
	}
}
