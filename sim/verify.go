package sim

import (
	"fmt"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// Truth returns the simulator's global truth for the checks.
func (s *Sim) Truth() checks.Truth {
	t := checks.Truth{Now: int64(s.now), Instances: s.Instances(), History: s.history, Registries: map[string]map[string]checks.RegistryView{}, Gone: map[string]bool{}, Unplaceable: map[string]bool{}}
	live := s.LiveNodes()
	for _, n := range live {
		t.LiveNodes = append(t.LiveNodes, string(n))
	}
	var ref *core.Node
	for _, n := range live {
		node := s.nodes[n].node
		if ref == nil {
			ref = node
		}
		reg := map[string]checks.RegistryView{}
		for _, e := range node.List() {
			v := checks.RegistryView{Stopped: e.Stopped}
			for _, r := range e.Replicas {
				v.Nodes = append(v.Nodes, string(r.Node))
				if r.Epoch > v.Epoch {
					v.Epoch = r.Epoch
				}
			}
			reg[string(e.Spec.ID)] = v
		}
		t.Registries[string(n)] = reg
	}
	if ref != nil {
		cfg := ref.Config()
		t.Factor = cfg.Redundancy.Factor
		t.ActivePassive = cfg.Redundancy.Mode == core.ActivePassive
		node := ref
		isLive := make(map[core.NodeID]bool, len(live))
		for _, n := range live {
			isLive[n] = true
		}
		// A guided child is bound to its pinned nodes: it runs on those
		// that are live, on none when all of them have left.
		pinned := map[string]bool{}
		for _, e := range ref.List() {
			if len(e.Pinned) == 0 || e.Stopped {
				continue
			}
			pinned[string(e.Spec.ID)] = true
			placeable := false
			for _, n := range e.Pinned {
				placeable = placeable || isLive[n]
			}
			if !placeable {
				t.Unplaceable[string(e.Spec.ID)] = true
			}
		}
		t.Placement = func(child string, k int) []string {
			var out []string
			for _, n := range node.Placement(core.ChildID(child)) {
				if pinned[child] && !isLive[n] {
					continue
				}
				out = append(out, string(n))
			}
			if k < len(out) {
				out = out[:k]
			}
			return out
		}
	}
	// Children that gave up (restart intensity, temporary exits) or failed
	// to start may disappear without a client stop.
	for _, n := range live {
		for _, id := range s.gaveUp(n) {
			s.gone[id] = true // remembered: the tombstone expires
		}
	}
	for id := range s.gone {
		t.Gone[string(id)] = true
	}
	return t
}

// gaveUp lists children whose tombstone on node was not written by a stop.
func (s *Sim) gaveUp(n core.NodeID) []core.ChildID {
	return s.nodes[n].node.Tombstones(func(reason string) bool { return reason != "stopped" && reason != "terminated" })
}

// CheckQuiescent runs the invariants that must hold after heal and
// quiescence: singularity or replication placement and registry
// convergence always; no lost children and no stopped child running if g
// is Durable; no resurrection at any time if g says so.
//
// If the partition-tolerance strategy left some live node without quorum
// at the end (e.g. a majority quorum after more departures than it can
// tell from failures), the cluster is deliberately not serving: then the
// check is that those nodes run nothing, plus no resurrection.
func (s *Sim) CheckQuiescent(g Guarantee) []checks.Violation {
	t := s.Truth()
	var vs []checks.Violation
	if lost := s.quorumLost(); len(lost) > 0 {
		for _, n := range lost {
			for _, in := range t.Instances {
				if in.Node == string(n) && in.RunningAt(t.Now) {
					vs = append(vs, checks.Violation{Check: checks.CheckQuorum, Child: in.Child, Node: in.Node, Detail: "runs on a node without quorum at quiescence"})
				}
			}
		}
		if g.NoResurrectionEver {
			vs = append(vs, checks.NoResurrection(t)...)
		}
		return checks.SortViolations(vs)
	}
	if t.Factor == 1 {
		vs = append(vs, checks.Singularity(t)...)
	}
	vs = append(vs, checks.Replication(t)...)
	vs = append(vs, checks.MasterRule(t)...)
	vs = append(vs, checks.Convergence(t)...)
	vs = append(vs, s.cordonedRunNothing(t)...)
	vs = append(vs, s.swapRunsFirst(t)...) // startlatency.go
	if g.Durable {
		vs = append(vs, checks.NoLostChildren(t)...)
		vs = append(vs, stoppedStayStopped(t)...)
	}
	if g.NoResurrectionEver {
		vs = append(vs, checks.NoResurrection(t)...)
	}
	return checks.SortViolations(vs)
}

// quorumLost lists the live nodes that have lost quorum.
func (s *Sim) quorumLost() []core.NodeID {
	var out []core.NodeID
	for _, n := range s.LiveNodes() {
		if s.nodes[n].node.Partitioned() {
			out = append(out, n)
		}
	}
	return out
}

// stoppedStayStopped: no child whose acknowledged stop nothing could
// have undone runs at quiescence (the weaker, quiescent form of
// no-resurrection for classes where a partitioned node may briefly
// restart a child it has not yet seen stopped).
func stoppedStayStopped(t checks.Truth) []checks.Violation {
	exp := checks.Expect(t.History)
	var vs []checks.Violation
	for _, in := range t.Instances {
		if e, ok := exp[in.Child]; ok && e.MustBeStopped && in.RunningAt(t.Now) {
			vs = append(vs, checks.Violation{Check: checks.CheckNoResurrection, Child: in.Child, Node: in.Node, Detail: fmt.Sprintf("stopped at %d but runs at quiescence", e.StoppedAt)})
		}
	}
	return vs
}

// DuplicateOverlap returns the total time two instances of one
// singleton child ran at once (zero when children are replicated, where
// several instances are the point).
func (s *Sim) DuplicateOverlap() time.Duration {
	for _, n := range s.names {
		if s.nodes[n].cfg.Redundancy.Factor != 1 {
			return 0
		}
	}
	d, _ := checks.DuplicateOverlap(s.Instances(), int64(s.now))
	return d
}
