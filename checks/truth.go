package checks

import (
	"cmp"
	"fmt"
	"slices"
)

// Instance is one run of a child on a node, as the simulator saw it: from
// the instant the child started to the instant it stopped, crashed, or its
// node went down. An instance runs during the half-open interval
// [Start, End); End < 0 means it still runs.
type Instance struct {
	Child string
	Node  string
	// Incarnation of the node that ran the instance.
	Incarnation uint64
	// Epoch is the instance's fencing epoch (0 = unknown, never compared).
	Epoch uint64
	// Instance is the runtime's instance id (unique per run).
	Instance uint64
	Start    int64
	End      int64
	// Ran is when the instance reported running (its start completed:
	// an exec child's readiness), 0 if it never did.
	Ran int64
	// EndSeen is when the instance's node took in the report of its end,
	// if that was after End (0: at End). A child whose start fails ends
	// when the failure is reported, but a busy node takes the report from
	// its queue later, and until then its registry of local children
	// still lists the instance as starting (none seed 2083).
	EndSeen int64
	// Exited is when a stopped instance's process actually exited, if
	// after End (0: at End). End is when its node told it to stop (and
	// forgot it); a child slow to exit runs on until Exited. Only the
	// checks of two instances at once (DuplicateOverlap, ColdSwapGap)
	// count that time: the others judge what the nodes know.
	Exited int64
	// Active is false for a passive replica in active/passive replication.
	Active bool
	// Received is the handover state delivered to the instance (at start
	// or later), empty if none: the last of Given.
	Received string
	// Given lists every handover state delivered to the instance, in
	// order (duplicates of a child after a partition each hand theirs
	// over).
	Given []string
}

// ProcessEnd is when the instance's process was gone: End, or Exited
// for a child slow to exit; -1 while it runs.
func (i Instance) ProcessEnd() int64 {
	if i.End >= 0 && i.Exited > i.End {
		return i.Exited
	}
	return i.End
}

// RunningAt reports whether the instance runs at instant t.
func (i Instance) RunningAt(t int64) bool {
	return i.Start <= t && (i.End < 0 || t < i.End)
}

// String renders the instance, e.g. "a@n2#7 e3 [100,∞)".
func (i Instance) String() string {
	end := "∞"
	if i.End >= 0 {
		end = fmt.Sprint(i.End)
	}
	passive := ""
	if !i.Active {
		passive = " passive"
	}
	return fmt.Sprintf("%s@%s#%d e%d [%d,%s)%s", i.Child, i.Node, i.Instance, i.Epoch, i.Start, end, passive)
}

// RegistryView is what one node's registry says about one child.
type RegistryView struct {
	// Nodes lists the nodes the registry says run the child (any order).
	Nodes []string
	// Epoch is the highest epoch among the replicas the registry lists
	// (0 = not compared).
	Epoch uint64
	// Stopped marks a tombstone: the registry knows the child was stopped.
	// A tombstone counts as "not running".
	Stopped bool
}

// Truth is the simulator's global knowledge at virtual instant Now. Build it
// after every instance whose node crashed has been given an End.
type Truth struct {
	Now int64
	// Instances lists every instance that ever ran, in any order.
	Instances []Instance
	// LiveNodes are the nodes up at Now.
	LiveNodes []string
	// Registries maps node -> child -> that node's registry view. Only
	// live nodes are read; a live node missing here has an empty registry.
	Registries map[string]map[string]RegistryView
	// Placement returns the ring's preference list of n nodes for child,
	// over LiveNodes. Nil means "don't compare nodes, only counts".
	Placement func(child string, n int) []string
	// Factor is the replication factor; < 0 means every live node, 0 is
	// read as 1 (singularity).
	Factor int
	// ActivePassive: exactly one running replica of each child is active.
	ActivePassive bool
	// History is the client history of the run; NoLostChildren and
	// NoResurrection derive from it what must (not) run (see Expect).
	History History
	// Gone lists children that may legitimately have disappeared without a
	// client stop (e.g. a temporary child that exited normally).
	Gone map[string]bool
	// Unplaceable lists children with no live node to run on now: guided
	// children whose pinned nodes have all left (they are bound to their
	// nodes and run again when one of them is back). A registry may list
	// them running nowhere, and they are not lost.
	Unplaceable map[string]bool
}

// Replicas returns how many replicas each child should have now:
// min(Factor, live nodes), all live nodes when Factor < 0.
func (t Truth) Replicas() int {
	f := t.Factor
	switch {
	case f < 0:
		return len(t.LiveNodes)
	case f == 0:
		f = 1
	}
	return min(f, len(t.LiveNodes))
}

// running returns the instances running at Now, grouped by child, each group
// sorted by (Node, Instance); and the sorted child ids.
func (t Truth) running() (map[string][]Instance, []string) {
	by := make(map[string][]Instance)
	for _, in := range t.Instances {
		if in.RunningAt(t.Now) {
			by[in.Child] = append(by[in.Child], in)
		}
	}
	children := make([]string, 0, len(by))
	for c, ins := range by {
		slices.SortFunc(ins, compareInstances)
		children = append(children, c)
	}
	slices.Sort(children)
	return by, children
}

// compareInstances orders instances by (Node, Start, Instance).
func compareInstances(a, b Instance) int {
	return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Start, b.Start), cmp.Compare(a.Instance, b.Instance))
}

// nodesOf returns the sorted, de-duplicated nodes of instances.
func nodesOf(ins []Instance) []string {
	out := make([]string, 0, len(ins))
	for _, in := range ins {
		out = append(out, in.Node)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// maxEpoch returns the highest epoch among instances.
func maxEpoch(ins []Instance) uint64 {
	var e uint64
	for _, in := range ins {
		e = max(e, in.Epoch)
	}
	return e
}
