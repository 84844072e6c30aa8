package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Singularity asserts that, at t.Now, no child of a replication-factor-1
// hub (Factor 0 or 1) has two running instances. It reports one violation
// per duplicated child, naming every running instance. For other factors it
// returns nil (Replication covers them).
func Singularity(t Truth) []Violation {
	if t.Factor > 1 || t.Factor < 0 {
		return nil
	}
	by, children := t.running()
	var vs []Violation
	for _, c := range children {
		if ins := by[c]; len(ins) > 1 {
			vs = append(vs, Violation{Check: CheckSingularity, Child: c,
				Detail: fmt.Sprintf("%d instances running at %d: %s", len(ins), t.Now, listInstances(ins))})
		}
	}
	return SortViolations(vs)
}

// Overlap is one maximal span of virtual time [Start, End) during which a
// child had two or more running instances.
type Overlap struct {
	Child      string
	Start, End int64
	// Instances is the largest number of instances running at once.
	Instances int
}

// Duration returns End - Start.
func (o Overlap) Duration() time.Duration { return time.Duration(o.End - o.Start) }

// DuplicateOverlap measures, over all children, the total virtual time
// during which some child had two or more running instances at once
// (summed per child), and returns the longest single overlap span. An
// instance runs until its process is gone (ProcessEnd: a child slow to
// exit runs past End); instances still running are taken to run until
// now. It is meaningful for
// replication-factor-1 children: callers with replicated children should
// not pass them. worst is the zero Overlap when there is no overlap; among
// equally long spans it is the one of the smallest child id, then the
// earliest.
func DuplicateOverlap(instances []Instance, now int64) (total time.Duration, worst Overlap) {
	type edge struct {
		at    int64
		delta int
	}
	edges := make(map[string][]edge)
	for _, in := range instances {
		end := in.ProcessEnd()
		if end < 0 {
			end = now
		}
		if end <= in.Start {
			continue
		}
		edges[in.Child] = append(edges[in.Child], edge{in.Start, +1}, edge{end, -1})
	}
	children := make([]string, 0, len(edges))
	for c := range edges {
		children = append(children, c)
	}
	slices.Sort(children)
	for _, c := range children {
		es := edges[c]
		// Ends before starts at the same instant: [a,b) and [b,c) do not overlap.
		slices.SortFunc(es, func(a, b edge) int {
			if a.at != b.at {
				if a.at < b.at {
					return -1
				}
				return 1
			}
			return a.delta - b.delta
		})
		running := 0
		var cur Overlap
		for _, e := range es {
			running += e.delta
			switch {
			case running >= 2 && cur.Instances == 0:
				cur = Overlap{Child: c, Start: e.at, Instances: running}
			case running >= 2:
				cur.Instances = max(cur.Instances, running)
			case running < 2 && cur.Instances > 0:
				cur.End = e.at
				total += cur.Duration()
				if cur.Duration() > worst.Duration() || (cur.Duration() == worst.Duration() && worst.Instances == 0) {
					worst = cur
				}
				cur = Overlap{}
			}
		}
	}
	return total, worst
}

// listInstances renders instances comma-separated.
func listInstances(ins []Instance) string {
	parts := make([]string, len(ins))
	for i, in := range ins {
		parts[i] = in.String()
	}
	return strings.Join(parts, ", ")
}
