package phub_test

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// redistHooks collects the pre_children_redistribution hooks each hub
// emits, by the hook's detail ("cordon", "uncordon", "up", ...).
type redistHooks struct {
	mu  sync.Mutex
	ids map[core.NodeID]map[string][]core.ChildID
}

func listenRedistribution(t *testing.T, c *cluster) *redistHooks {
	r := &redistHooks{ids: map[core.NodeID]map[string][]core.ChildID{}}
	for _, name := range c.names {
		r.ids[name] = map[string][]core.ChildID{}
		err := c.hub(name).RegisterHook(core.HookPreChildrenRedist, "test", func(h core.Hook) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.ids[name][h.Detail] = append(r.ids[name][h.Detail], h.IDs...)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// got returns the sorted ids node's hooks of detail listed.
func (r *redistHooks) got(node core.NodeID, detail string) []core.ChildID {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.ids[node][detail])
	slices.Sort(out)
	return out
}

// pre_children_redistribution (ProcessHub's hook of that name) reaches a
// Go handler on each node whose local children a change of the ring
// moves, listing exactly those children: cordoning b moves b's children
// away (b's hook lists them; a's and c's children stay, so they hear
// nothing), uncordoning b moves them back (a's and c's hooks list them).
func TestPreChildrenRedistributionHook(t *testing.T) {
	c := newCluster(t, 3, nil)
	hooks := listenRedistribution(t, c)
	a := c.hub("a")
	ctx := ctxT(t, 30*time.Second)
	var specs []core.ChildSpec
	for i := 0; i < 60; i++ {
		specs = append(specs, core.ChildSpec{ID: core.ChildID(fmt.Sprintf("r%02d", i)), Kind: "noop"})
	}
	if res, err := a.StartChildren(ctx, specs, phub.Await()); err != nil || !res.Results.OK() {
		t.Fatalf("start: %v %v", err, res.Results.Errors())
	}
	on := func(node core.NodeID) []core.ChildID {
		var out []core.ChildID
		for id, ns := range c.runningOn() {
			if slices.Contains(ns, node) {
				out = append(out, id)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	placedOnce := func() bool {
		running := c.runningOn()
		if len(running) != len(specs) {
			return false
		}
		for _, ns := range running {
			if len(ns) != 1 {
				return false
			}
		}
		return true
	}
	c.waitFor(10*time.Second, "every child running once", placedOnce)
	onB := on("b")
	if len(onB) == 0 {
		t.Fatal("no child runs on b: the test needs some")
	}

	if err := a.Drain(ctx, "b"); err != nil {
		t.Fatalf("drain b: %v", err)
	}
	c.waitFor(10*time.Second, "b's hook listing the children it ran", func() bool {
		return slices.Equal(hooks.got("b", "cordon"), onB)
	})
	for _, n := range []core.NodeID{"a", "c"} {
		if got := hooks.got(n, "cordon"); len(got) != 0 {
			t.Errorf("%s's children did not move, yet its hook listed %v", n, got)
		}
	}

	if err := a.Uncordon(ctx, "b"); err != nil {
		t.Fatalf("uncordon b: %v", err)
	}
	// The ring is the same as before the cordon: b gets its children back.
	c.waitFor(10*time.Second, "b's children back on b", func() bool { return placedOnce() && slices.Equal(on("b"), onB) })
	c.waitFor(10*time.Second, "a's and c's hooks listing the children that moved to b", func() bool {
		moved := append(hooks.got("a", "uncordon"), hooks.got("c", "uncordon")...)
		slices.Sort(moved)
		return slices.Equal(moved, onB)
	})
	if got := hooks.got("b", "uncordon"); len(got) != 0 {
		t.Errorf("b ran no children while cordoned, yet its uncordon hook listed %v", got)
	}
}
