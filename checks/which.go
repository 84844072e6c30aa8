package checks

import (
	"fmt"
	"slices"
)

// WhichListing is one node's part of a which_children_global answer: the
// instances it said it runs.
type WhichListing struct {
	Node     string
	Children []WhichChild
}

// WhichChild is one listed instance.
type WhichChild struct {
	Child    string
	Instance uint64
}

// WhichGlobal is an answered which_children_global request: asked on
// Origin at Call, answered at Return, with the peers Origin saw at Call.
type WhichGlobal struct {
	Origin       string
	Call, Return int64
	Peers        []string
	Listings     []WhichListing
	Unreachable  []string
}

// WhichChildrenGlobal checks answers of which_children_global against the
// truth: every listed instance ran on its node at some instant between
// call and return, or had ended without its node having taken in the
// report of its end yet (Instance.EndSeen: a node lists what it knows,
// and a report can wait in its queue); every instance that ran on a
// listed node for the whole of [call, return] is listed; and every peer
// the origin saw when asked is either listed or reported unreachable
// (never hidden).
func WhichChildrenGlobal(ws []WhichGlobal, instances []Instance) []Violation {
	var vs []Violation
	add := func(w WhichGlobal, child, node, format string, args ...any) {
		vs = append(vs, Violation{Check: CheckWhichGlobal, Child: child, Node: node,
			Detail: fmt.Sprintf("asked on %s at %d, answered at %d: ", w.Origin, w.Call, w.Return) + fmt.Sprintf(format, args...)})
	}
	for _, w := range ws {
		listed := map[string]bool{}
		for _, l := range w.Listings {
			listed[l.Node] = true
			have := map[string]bool{}
			for _, c := range l.Children {
				have[c.Child] = true
				ok := false
				for _, in := range instances {
					if in.Node == l.Node && in.Child == c.Child && in.Instance == c.Instance &&
						in.Start <= w.Return && (in.End < 0 || max(in.End, in.EndSeen) >= w.Call) {
						ok = true
						break
					}
				}
				if !ok {
					add(w, c.Child, l.Node, "listed instance #%d did not run there meanwhile", c.Instance)
				}
			}
			for _, in := range instances {
				// Start < Call: an instance started at the call's instant
				// may start in the very input that answered (its
				// reconciliation runs after the listing was taken).
				if in.Node == l.Node && in.Start < w.Call && (in.End < 0 || in.End > w.Return) && !have[in.Child] {
					add(w, in.Child, l.Node, "%s ran throughout but is not listed", in)
				}
			}
		}
		for _, p := range w.Peers {
			if !listed[p] && !slices.Contains(w.Unreachable, p) {
				add(w, "", p, "peer neither listed nor reported unreachable")
			}
		}
	}
	return SortViolations(vs)
}
