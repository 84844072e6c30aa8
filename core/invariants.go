package core

import (
	"fmt"
	"slices"
)

// CheckInvariants reports the first broken internal invariant of the node,
// or nil: the registry digest and counters equal recomputed ones, every
// local instance is claimed (and every own claim is a local instance),
// the pending request tables point at each other, the dirty set matches
// its order, and the bounded tables are within their bounds. With
// Config.CheckInvariants the node panics after the first input that
// breaks one, so a failing run stops at that input (the testdata runner
// sets it). It costs O(entries + local + pending) per call.
func (n *Node) CheckInvariants() error {
	for _, check := range []func() error{n.registryInvariant, n.claimsInvariant, n.pendingInvariant, n.dirtyInvariant, n.boundsInvariant} {
		if err := check(); err != nil {
			return fmt.Errorf("core: %s at %d: invariant broken: %w", n.cfg.Name, n.now, err)
		}
	}
	return nil
}

func (n *Node) registryInvariant() error {
	var digest uint64
	live := 0
	for id, rec := range n.reg.entries {
		digest ^= entryHash(n.reg.entry(id, rec))
		if !rec.stopped {
			live++
		}
	}
	if err := n.reg.recordsInvariant(); err != nil {
		return err
	}
	if digest != n.reg.digest {
		return fmt.Errorf("registry digest %d, recomputed %d", n.reg.digest, digest)
	}
	if live != n.reg.live {
		return fmt.Errorf("registry counts %d live entries, holds %d", n.reg.live, live)
	}
	if n.reg.sorted != nil && !slices.Equal(n.reg.sorted, sortedChildKeys(n.reg.entries)) {
		return fmt.Errorf("registry's cached id order is stale")
	}
	return nil
}

func (n *Node) claimsInvariant() error {
	own := n.reg.claims[n.cfg.Name]
	for _, id := range sortedChildKeys(n.local) {
		c := n.local[id]
		cl, ok := own[id]
		if !ok {
			return fmt.Errorf("local child %s (instance %d) is not claimed", id, c.instance)
		}
		if cl.instance != c.instance || cl.epoch != c.epoch {
			return fmt.Errorf("local child %s runs instance %d epoch %d, claimed as instance %d epoch %d", id, c.instance, c.epoch, cl.instance, cl.epoch)
		}
	}
	for _, id := range sortedChildKeys(own) {
		if _, ok := n.local[id]; !ok {
			return fmt.Errorf("claim of %s has no local instance", id)
		}
	}
	return nil
}

func (n *Node) pendingInvariant() error {
	if len(n.pending.reqs) > n.pending.max {
		return fmt.Errorf("%d pending requests exceed the limit of %d", len(n.pending.reqs), n.pending.max)
	}
	for _, seq := range sortedU64Keys(n.pending.bySeq) {
		g := n.pending.bySeq[seq]
		if g.seq != seq || g.done {
			return fmt.Errorf("sub-request %d is filed as %d (done %v)", g.seq, seq, g.done)
		}
		if n.pending.reqs[g.parent.req.ID] != g.parent {
			return fmt.Errorf("sub-request %d belongs to request %d, which is not pending", seq, g.parent.req.ID)
		}
	}
	for _, id := range sortedU64Keys(n.pending.reqs) {
		if p := n.pending.reqs[id]; p.open < 0 || p.open > len(p.results) {
			return fmt.Errorf("request %d awaits %d of %d results", id, p.open, len(p.results))
		}
	}
	return nil
}

func (n *Node) dirtyInvariant() error {
	if len(n.dirtyIDs) != len(n.dirtyOrder) {
		return fmt.Errorf("%d dirty ids, %d in the dirty order", len(n.dirtyIDs), len(n.dirtyOrder))
	}
	for _, id := range n.dirtyOrder {
		if _, ok := n.dirtyIDs[id]; !ok {
			return fmt.Errorf("dirty order holds %s, the dirty set does not", id)
		}
	}
	if len(n.dirtyOrder) > 0 && !n.dirty && !n.batching {
		return fmt.Errorf("%d dirty ids but the node is not dirty", len(n.dirtyOrder))
	}
	return nil
}

func (n *Node) boundsInvariant() error {
	r := n.repl
	if len(r.done) > maxDoneResults || len(r.doneFIFO) > maxDoneResults {
		return fmt.Errorf("done table holds %d (fifo %d) > %d", len(r.done), len(r.doneFIFO), maxDoneResults)
	}
	if len(r.forwarded) > maxDoneResults || len(r.forwardFIFO) > maxDoneResults {
		return fmt.Errorf("forward table holds %d (fifo %d) > %d", len(r.forwarded), len(r.forwardFIFO), maxDoneResults)
	}
	return nil
}

func sortedU64Keys[V any](m map[uint64]V) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
