package phub_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// Drain cordons a node and returns once its children run elsewhere; the
// node stays a member, takes no new child, and Uncordon brings children
// back to it.
func TestDrainAndUncordon(t *testing.T) {
	c := newCluster(t, 3, nil)
	a := c.hub("a")
	ctx := ctxT(t, 30*time.Second)
	var specs []core.ChildSpec
	for i := 0; i < 60; i++ {
		specs = append(specs, core.ChildSpec{ID: core.ChildID(fmt.Sprintf("d%02d", i)), Kind: "noop"})
	}
	if res, err := a.StartChildren(ctx, specs, phub.Await()); err != nil || !res.Results.OK() {
		t.Fatalf("start: %v %v", err, res.Results.Errors())
	}
	onB := func() int {
		n := 0
		for _, ns := range c.runningOn() {
			if slices.Contains(ns, "b") {
				n++
			}
		}
		return n
	}
	c.waitFor(5*time.Second, "some children on b", func() bool { return onB() > 0 })

	if err := a.Drain(ctx, "b"); err != nil {
		t.Fatalf("drain b: %v", err)
	}
	if n := len(c.hub("b").WhichChildrenLocal().Children); n != 0 {
		t.Fatalf("b runs %d children after Drain returned", n)
	}
	c.waitFor(5*time.Second, "every child runs once, none on b", func() bool {
		on := c.runningOn()
		if len(on) != len(specs) {
			return false
		}
		for _, ns := range on {
			if len(ns) != 1 || ns[0] == "b" {
				return false
			}
		}
		return true
	})
	if got := len(c.hub("b").Alive()); got != 3 {
		t.Errorf("b sees %d alive members, want 3 (a cordoned node stays a member)", got)
	}
	if cs, err := c.hub("c").Cordoned(ctx); err != nil || !slices.Equal(cs, []core.NodeID{"b"}) {
		t.Errorf("c sees cordoned %v (%v), want [b]", cs, err)
	}
	// New children never land on b, whichever node is asked.
	for i := 0; i < 20; i++ {
		r, err := c.hub("b").StartChild(ctx, core.ChildSpec{ID: core.ChildID(fmt.Sprintf("n%02d", i)), Kind: "noop"})
		if err != nil || slices.Contains(r.Nodes, "b") {
			t.Fatalf("start on a cordoned cluster member: %+v %v", r, err)
		}
	}
	if err := a.Cordon(ctx, "zz"); !errors.Is(err, phub.ErrUnknownNode) {
		t.Errorf("cordon of an unknown node: %v, want ErrUnknownNode", err)
	}
	if err := a.Cordon(ctx, "c"); err != nil {
		t.Fatalf("cordon c: %v", err)
	}
	if err := a.Cordon(ctx, "a"); !errors.Is(err, phub.ErrNoUncordonedNode) {
		t.Errorf("cordon of the last uncordoned node: %v, want ErrNoUncordonedNode", err)
	}
	if err := c.hub("c").Uncordon(ctx, "b"); err != nil {
		t.Fatalf("uncordon b: %v", err)
	}
	if err := c.hub("c").Uncordon(ctx, "c"); err != nil {
		t.Fatalf("uncordon c: %v", err)
	}
	c.waitFor(5*time.Second, "children back on b", func() bool { return onB() > 0 })
}
