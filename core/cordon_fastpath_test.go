package core

import (
	"slices"
	"testing"
	"time"
)

// TestPlaceableFastPathReturnsAfterUncordon: setRingFromView skips the
// lookup per member while no member is cordoned (anyCordoned false). A
// cordon turns that off on every node; it must stay off while any member
// is still cordoned and come back on every node once the last one is
// uncordoned, with the ring equal to the whole view again.
func TestPlaceableFastPathReturnsAfterUncordon(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	fast := func(want bool, what string) {
		t.Helper()
		for _, name := range c.names {
			n := c.nodes[name]
			if got := !n.members.anyCordoned; got != want {
				t.Fatalf("%s: %s's fast path on = %v, want %v (cordoned %v)", what, name, got, want, n.Cordoned())
			}
		}
	}
	sees := func(want []NodeID, what string) {
		t.Helper()
		c.until(func() bool {
			for _, name := range c.names {
				if !slices.Equal(c.nodes[name].Cordoned(), want) {
					return false
				}
			}
			return true
		}, time.Minute, what)
		c.pump()
	}
	ringIs := func(want []NodeID, what string) {
		t.Helper()
		for _, name := range c.names {
			if got := c.nodes[name].ring.nodes; !slices.Equal(got, want) {
				t.Fatalf("%s: %s's ring holds %v, want %v", what, name, got, want)
			}
		}
	}
	fast(true, "formed")
	ringIs(c.names, "formed")

	var id uint64
	req := func(op Op, target NodeID) {
		t.Helper()
		id++
		if rep := c.request("n1", Request{ID: id, Op: op, Target: target}); rep.Err != nil || len(rep.Results) != 1 || rep.Results[0].Err != "" {
			t.Fatalf("%s %s: %+v", op, target, rep)
		}
	}
	for round := 0; round < 2; round++ { // off and back on, twice
		req(OpCordon, "n2")
		req(OpCordon, "n3")
		sees([]NodeID{"n2", "n3"}, "n2 and n3 cordoned")
		fast(false, "n2 and n3 cordoned")
		ringIs([]NodeID{"n1"}, "n2 and n3 cordoned")

		req(OpUncordon, "n3")
		sees([]NodeID{"n2"}, "n3 uncordoned")
		fast(false, "n2 still cordoned")
		ringIs([]NodeID{"n1", "n3"}, "n2 still cordoned")

		req(OpUncordon, "n2")
		sees(nil, "every member uncordoned")
		fast(true, "every member uncordoned")
		ringIs(c.names, "every member uncordoned")
		for _, name := range c.names {
			n := c.nodes[name]
			if &n.ring.nodes[0] != &n.members.view[0] {
				t.Fatalf("%s's ring copies the view: the fast path (setSorted) was not taken", name)
			}
		}
	}
}
