package core

import (
	"testing"
	"time"
)

// A node with seeds is not ready until it has synced with its peers; a
// cluster that formed is ready everywhere; a node that lost quorum is not.
func TestReadinessFollowsSyncAndQuorum(t *testing.T) {
	e := newTestEnv()
	e.tune = func(c *Config) {
		c.Partition = PartitionConfig{Kind: StaticQuorum, QuorumSize: 2}
	}
	for _, n := range []NodeID{"a", "b", "c"} {
		if err := e.addNode(n, 1); err != nil {
			t.Fatal(err)
		}
	}
	if r := e.nodes["a"].Readiness(); r.Synced || r.Ready() {
		t.Fatalf("a booted with seeds is ready before any sync: %+v", r)
	}
	if _, err := e.run(10*time.Second, true, e.formed); err != nil {
		t.Fatal(err)
	}
	for _, n := range e.alive() {
		if r := e.nodes[n].Readiness(); !r.Ready() {
			t.Fatalf("%s not ready in a formed cluster: %+v", n, r)
		}
	}
	// Cut a from both peers: it loses quorum (2 of 3 needed).
	for _, p := range []NodeID{"b", "c"} {
		e.cut[[2]NodeID{"a", p}], e.cut[[2]NodeID{p, "a"}] = true, true
	}
	a := e.nodes["a"]
	if _, err := e.run(10*time.Second, true, func() bool { return a.Partitioned() }); err != nil {
		t.Fatal(err)
	}
	if r := a.Readiness(); r.Ready() || !r.Partitioned {
		t.Fatalf("a partitioned but ready: %+v", r)
	}
}

func TestRingViewPositionAndPoints(t *testing.T) {
	r := NewRing(4, []NodeID{"b", "a"})
	pts := r.Points()
	if len(pts) != 8 {
		t.Fatalf("want 8 points, got %d", len(pts))
	}
	for i := 1; i < len(pts); i++ {
		if pts[i-1].Hash > pts[i].Hash {
			t.Fatalf("points not in clockwise order at %d", i)
		}
	}
	// The owner is the node of the first point at or after the position.
	for _, id := range []ChildID{"x", "job-1", "zzz"} {
		pos := r.Position(id)
		owner := pts[0].Node
		for _, p := range pts {
			if p.Hash >= pos {
				owner = p.Node
				break
			}
		}
		if got := r.BelongsTo(id, 1)[0]; got != owner {
			t.Fatalf("%s: position %d says owner %s, ring says %s", id, pos, owner, got)
		}
	}
}
