package core

import (
	"cmp"
	"fmt"
	"slices"
)

// invariantSampler paces the checks of Config.CheckInvariants. After
// every input the node checks the registry digest against the input's
// changes (O(changes): digestWatch) and runs the O(1) checks (counters,
// table sizes and bounds: cheapInvariants), so a path that corrupts the
// digest or a counter stops the run at the input that did it. The
// O(size) checks (size = entries + local instances + pending requests:
// the digest recomputed from scratch, claims against local instances,
// pending cross-links, dirty order) run after every size-th input
// (every input while size is at most 1): O(1) per input on average, and
// a break only they see is caught within size inputs of the node. The
// pace depends only on the node's inputs, so a seed checks at the same
// inputs in every run. Measured on the default sweep's classes (6 seeds
// each, pprof): 1.8% of the CPU, where checking everything after every
// input took 32%.
type invariantSampler struct {
	inputsSinceCheck int
}

// invariantBudget is the size up to which every input gets the O(size)
// checks, and their average work per input above it.
const invariantBudget = 1

// checkInvariantsPaced runs the checks at the sampler's pace and panics at
// a broken invariant.
func (n *Node) checkInvariantsPaced() {
	if err := n.reg.digestChangeInvariant(); err != nil {
		panic(n.invariantError(err))
	}
	if err := n.cheapInvariants(); err != nil {
		panic(n.invariantError(err))
	}
	size := n.reg.len() + len(n.local) + len(n.pending.reqs)
	n.inputsSinceCheck++
	if size > invariantBudget && n.inputsSinceCheck*invariantBudget < size {
		return
	}
	since := n.inputsSinceCheck
	n.inputsSinceCheck = 0
	if err := n.CheckInvariants(); err != nil {
		panic(fmt.Errorf("%w (the full check before passed %d inputs earlier)", err, since))
	}
}

// CheckInvariants reports the first broken internal invariant of the node,
// or nil: the registry digest and counters equal recomputed ones, every
// local instance is claimed (and every own claim is a local instance),
// the pending request tables point at each other, the dirty set matches
// its order, and the bounded tables are within their bounds. With
// Config.CheckInvariants the node panics after the first input that
// breaks one (the O(1) checks after every input, the others paced:
// invariantSampler), so a failing run stops at or right after that input
// (the simulator and the testdata runner set it). It costs
// O(entries + local + pending) per call.
func (n *Node) CheckInvariants() error {
	for _, check := range []func() error{n.registryInvariant, n.claimsInvariant, n.pendingInvariant, n.dirtyInvariant, n.cheapInvariants, n.strictDeadlineInvariant, n.claimSumsInvariant} {
		if err := check(); err != nil {
			return n.invariantError(err)
		}
	}
	return nil
}

func (n *Node) invariantError(err error) error {
	return fmt.Errorf("core: %s at %d: invariant broken: %w", n.cfg.Name, n.now, err)
}

// cheapInvariants are the O(1) checks: counters against table sizes, and
// the bounded tables within their bounds.
func (n *Node) cheapInvariants() error {
	r := n.reg
	if r.live < 0 || r.live > r.len() {
		return fmt.Errorf("registry counts %d live entries of %d", r.live, r.len())
	}
	if len(r.rare) > r.len() {
		return fmt.Errorf("registry holds %d rare-field records for %d entries", len(r.rare), r.len())
	}
	if len(r.shapes.list)-len(r.shapes.free) != r.shapes.live() {
		return fmt.Errorf("registry shape table holds %d shapes, %d free, %d indexed", len(r.shapes.list), len(r.shapes.free), r.shapes.live())
	}
	if r.sorted != nil && len(r.sorted) != r.len() {
		return fmt.Errorf("registry's cached id order holds %d ids for %d entries", len(r.sorted), r.len())
	}
	if own := r.claimCount(n.cfg.Name); own < len(n.local) || own > len(n.local)+len(n.exiting) {
		return fmt.Errorf("%d local children and %d awaiting their exit, %d own claims", len(n.local), len(n.exiting), own)
	}
	if len(n.pending.reqs) > n.pending.max {
		return fmt.Errorf("%d pending requests exceed the limit of %d", len(n.pending.reqs), n.pending.max)
	}
	if len(n.dirtyIDs) != len(n.dirtyOrder) {
		return fmt.Errorf("%d dirty ids, %d in the dirty order", len(n.dirtyIDs), len(n.dirtyOrder))
	}
	if len(n.dirtyOrder) > 0 && !n.dirty && !n.batching {
		return fmt.Errorf("%d dirty ids but the node is not dirty", len(n.dirtyOrder))
	}
	return n.boundsInvariant()
}

func (n *Node) registryInvariant() error {
	var digest uint64
	live := 0
	n.reg.eachEntry(func(id ChildID, rec record) {
		digest ^= n.reg.recordHash(id, rec)
		if !rec.stopped {
			live++
		}
	})
	if err := n.reg.recordsInvariant(); err != nil {
		return err
	}
	if digest != n.reg.digest {
		return fmt.Errorf("registry digest %d, recomputed %d", n.reg.digest, digest)
	}
	if live != n.reg.live {
		return fmt.Errorf("registry counts %d live entries, holds %d", n.reg.live, live)
	}
	if n.reg.sorted != nil && !n.reg.isSortedEntryList(n.reg.sorted) {
		return fmt.Errorf("registry's cached id order is stale")
	}
	return nil
}

func (n *Node) claimsInvariant() error {
	r := n.reg
	err := firstBroken(n.local, func(id ChildID, c *localChild) error {
		var cl heldClaim
		s := r.slotOf(id)
		ok := s != nil
		if ok {
			cl, ok = r.claimIn(s, id, n.cfg.Name)
		}
		if !ok {
			return fmt.Errorf("local child %s (instance %d) is not claimed", id, c.instance)
		}
		if cl.instance != c.instance || cl.epoch != c.epoch {
			return fmt.Errorf("local child %s runs instance %d epoch %d, claimed as instance %d epoch %d", id, c.instance, c.epoch, cl.instance, cl.epoch)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return firstBroken(r.index, func(id ChildID, i uint32) error {
		if _, own := r.claimIn(&r.slots[i], id, n.cfg.Name); !own {
			return nil
		}
		if _, ok := n.local[id]; !ok && !n.stillExiting(id) {
			return fmt.Errorf("claim of %s has no local instance", id)
		}
		return nil
	})
}

func (n *Node) pendingInvariant() error {
	err := firstBroken(n.pending.bySeq, func(seq uint64, g *subReq) error {
		if g.seq != seq || g.done {
			return fmt.Errorf("sub-request %d is filed as %d (done %v)", g.seq, seq, g.done)
		}
		if n.pending.reqs[g.parent.req.ID] != g.parent {
			return fmt.Errorf("sub-request %d belongs to request %d, which is not pending", seq, g.parent.req.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return firstBroken(n.pending.reqs, func(id uint64, p *pendingReq) error {
		if p.open < 0 || p.open > len(p.results) {
			return fmt.Errorf("request %d awaits %d of %d results", id, p.open, len(p.results))
		}
		return nil
	})
}

// firstBroken applies bad to every element of m and returns the error of
// the smallest key that has one, or nil. The common case (nothing broken)
// walks the map once without sorting; only a failure sorts, so the error
// reported does not depend on map order.
func firstBroken[K cmp.Ordered, V any](m map[K]V, bad func(K, V) error) error {
	broken := false
	for k, v := range m {
		if bad(k, v) != nil {
			broken = true
			break
		}
	}
	if !broken {
		return nil
	}
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := bad(k, m[k]); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) dirtyInvariant() error {
	for _, id := range n.dirtyOrder {
		if _, ok := n.dirtyIDs[id]; !ok {
			return fmt.Errorf("dirty order holds %s, the dirty set does not", id)
		}
	}
	return nil
}

func (n *Node) boundsInvariant() error {
	r := n.repl
	if len(r.done) > maxDoneResults || len(r.doneFIFO) > maxDoneResults {
		return fmt.Errorf("done table holds %d (fifo %d) > %d", len(r.done), len(r.doneFIFO), maxDoneResults)
	}
	if len(r.forwarded) > maxDoneResults || len(r.forwardFIFO) > maxDoneResults || len(r.forwardedInc) > maxDoneResults {
		return fmt.Errorf("forward table holds %d (fifo %d, incarnations %d) > %d", len(r.forwarded), len(r.forwardFIFO), len(r.forwardedInc), maxDoneResults)
	}
	return nil
}
