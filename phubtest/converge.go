package phubtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/phub/phub/core"
)

// WaitConverged waits until the cluster has settled, or returns an error
// naming what still differs when ctx ends. Settled means, within each
// side of the current partition (the whole cluster when there is none)
// and counting only live nodes:
//
//   - every node sees exactly the live nodes of its side as alive;
//   - every node's registry replica holds the same children, with the
//     same epochs and the same nodes running them;
//   - each child runs (status running) on exactly the nodes its registry
//     entry names, and those are the nodes its placement asks for (the
//     ring, or its guided pins);
//   - a node that lost quorum (phub.Hub.Partitioned) runs nothing.
func (c *Cluster) WaitConverged(ctx context.Context) error {
	return c.waitFor(ctx, c.converged)
}

// waitFor polls cond every 10 ms until it returns nil or ctx ends.
func (c *Cluster) waitFor(ctx context.Context, cond func(context.Context) error) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("phubtest: not converged (%w): %v", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// sides returns the live nodes of each side of the partition.
func (c *Cluster) sides() [][]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	groups := c.groups
	if groups == nil {
		all := make([]int, len(c.names))
		for i := range all {
			all[i] = i
		}
		groups = [][]int{all}
	}
	var out [][]int
	for _, g := range groups {
		var live []int
		for _, i := range g {
			if c.live[i] {
				live = append(live, i)
			}
		}
		if len(live) > 0 {
			out = append(out, live)
		}
	}
	return out
}

func (c *Cluster) membershipAgrees(context.Context) error {
	for _, side := range c.sides() {
		var want []core.NodeID
		for _, i := range side {
			want = append(want, c.names[i])
		}
		slices.Sort(want)
		for _, i := range side {
			got := append([]core.NodeID(nil), c.Node(i).Alive()...)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				return fmt.Errorf("%s sees %v alive, want %v", c.names[i], got, want)
			}
		}
	}
	return nil
}

func (c *Cluster) converged(ctx context.Context) error {
	if err := c.membershipAgrees(ctx); err != nil {
		return err
	}
	for _, side := range c.sides() {
		ref := side[0]
		refReg := registry(c.Node(ref).List())
		for _, i := range side[1:] {
			if d := diff(registry(c.Node(i).List()), refReg); d != "" {
				return fmt.Errorf("registries of %s and %s differ: %s", c.names[i], c.names[ref], d)
			}
		}
		for _, i := range side {
			if err := c.runsItsShare(i); err != nil {
				return err
			}
		}
		if c.Node(ref).Partitioned() {
			continue
		}
		for _, e := range c.Node(ref).List() {
			want, err := c.Node(ref).Placement(ctx, e.Spec.ID)
			if err != nil {
				return err
			}
			got := e.Nodes()
			if !sameSet(got, want) {
				return fmt.Errorf("%s runs on %v, its placement is %v", e.Spec.ID, got, want)
			}
		}
	}
	return nil
}

// runsItsShare checks that node i runs exactly the children the registry
// places on it (nothing if it lost quorum), all of them running.
func (c *Cluster) runsItsShare(i int) error {
	h, name := c.Node(i), c.names[i]
	var want []core.ChildID
	if !h.Partitioned() {
		for _, e := range h.List() {
			if slices.Contains(e.Nodes(), name) {
				want = append(want, e.Spec.ID)
			}
		}
	}
	var got []core.ChildID
	for _, ch := range h.WhichChildrenLocal().Children {
		if ch.Status != "running" {
			return fmt.Errorf("%s on %s is %s", ch.ID, name, ch.Status)
		}
		got = append(got, ch.ID)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		return fmt.Errorf("%s runs %v, its registry places %v on it", name, got, want)
	}
	return nil
}

// registry summarises a registry replica: per child, its epoch and the
// nodes running it (sorted, passive replicas marked).
func registry(es []*core.Entry) map[core.ChildID]string {
	out := make(map[core.ChildID]string, len(es))
	for _, e := range es {
		var rs []string
		for _, r := range e.Replicas {
			s := string(r.Node)
			if !r.Active {
				s += "(passive)"
			}
			rs = append(rs, s)
		}
		slices.Sort(rs)
		out[e.Spec.ID] = fmt.Sprintf("epoch %d on %s", e.Epoch, strings.Join(rs, ","))
	}
	return out
}

// diff names the first child (in id order) on which a and b differ, or
// returns "".
func diff(a, b map[core.ChildID]string) string {
	ids := make([]core.ChildID, 0, len(a)+len(b))
	for id := range a {
		ids = append(ids, id)
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		x, okx := a[id]
		y, oky := b[id]
		switch {
		case !okx:
			return fmt.Sprintf("%s missing from the first (the second has it at %s)", id, y)
		case !oky:
			return fmt.Sprintf("%s missing from the second (the first has it at %s)", id, x)
		case x != y:
			return fmt.Sprintf("%s: %s vs %s", id, x, y)
		}
	}
	return ""
}

func sameSet(a, b []core.NodeID) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
