package sim

import (
	"fmt"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// observeTick updates coverage after a node's tick: tombstones that
// disappeared in a tick were garbage-collected (a tick starts nothing),
// members that disappeared were forgotten, and quorum transitions.
func (s *Sim) observeTick(sn *simNode) {
	if !sn.up {
		return
	}
	st := sn.node.Stats()
	if st.Tombstones < sn.stats.Tombstones {
		s.cover(CoverTombstoneExpired)
	}
	if st.Members < sn.stats.Members {
		s.cover(CoverMemberForgotten)
	}
	sn.stats = st
}

// observeHook updates coverage from a hook event of node sn.
func (s *Sim) observeHook(sn *simNode, h core.Hook) {
	switch h.Kind {
	case core.HookPriorityStateUpdated:
		switch h.Detail {
		case "partitioned":
			s.cover(CoverQuorumLost)
		case "quorum_regained":
			s.cover(CoverQuorumRegained)
		}
	case core.HookChildrenMigrated:
		switch h.Detail {
		case "retention":
			s.cover(CoverRetentionExpired)
		case "hot_swap":
			if h.Node == sn.name {
				break // the new holder's "migrated" hook, not an acknowledgement
			}
			s.cover(CoverHandoverCompleted)
			for _, id := range h.IDs {
				s.checkHandoverDelivered(sn, h.Node, id)
			}
		}
	}
}

// observeBoot notes a node that boots while a live node has forgotten it.
func (s *Sim) observeBoot(sn *simNode) {
	if sn.inc < 2 && !sn.left {
		return
	}
	for _, n := range s.LiveNodes() {
		if n == sn.name {
			continue
		}
		known := false
		for _, m := range s.nodes[n].node.Members() {
			if m.Name == sn.name {
				known = true
				break
			}
		}
		if !known {
			s.cover(CoverForgottenMemberRejoins)
			return
		}
	}
}

// observeDelivery notes a routed request delivered more than once, and
// reports false (do not deliver) for a request delivered more often
// than deliveryBound allows: the storm is reported, not simulated on.
func (s *Sim) observeDelivery(to *simNode, m *core.Message) bool {
	if m.Kind != core.MsgRequest {
		return true
	}
	rk := routedReq{origin: m.Origin, inc: m.OriginInc, seq: m.Seq}
	s.deliveries[rk]++
	c := s.deliveries[rk]
	if c > s.maxDeliveries.count {
		s.maxDeliveries = maxDeliveries{req: rk, count: c}
	}
	if c > deliveryBound(to.cfg.Timing) {
		return false
	}
	k := reqDelivery{to: to.name, from: m.From, inc: m.Inc, seq: m.Seq}
	if s.delivered[k] {
		s.cover(CoverRetransmitDelivered)
		return true
	}
	s.delivered[k] = true
	return true
}

// runningDuplicates reports whether a singleton child runs twice now.
func (s *Sim) runningDuplicates() bool {
	seen := map[core.ChildID]bool{}
	for _, n := range s.names {
		sn := s.nodes[n]
		if !sn.up {
			continue
		}
		if sn.cfg.Redundancy.Factor != 1 {
			return false
		}
		for id := range sn.children {
			if seen[id] {
				return true
			}
			seen[id] = true
		}
	}
	return false
}

// checkHandoverDelivered records a completed hot-swap handover: old
// node sn stopped its instance of id after to acknowledged the state.
func (s *Sim) checkHandoverDelivered(sn *simNode, to core.NodeID, id core.ChildID) {
	hs := s.handedOver[id]
	for i := len(hs) - 1; i >= 0; i-- {
		if hs[i].node != sn.name {
			continue
		}
		h := checks.Handover{Child: string(id), From: string(sn.name), To: string(to), State: hs[i].state, At: int64(s.now)}
		if r := s.nodes[to]; r != nil && r.up {
			h.ToIncarnation = r.inc
		}
		s.handoversDone = append(s.handoversDone, h)
		return
	}
}

// hookClaim is what a node's insert/remove hooks said about one
// (claiming node, child) pair: its state, and the hooks of the batch being
// checked (batch is the batch's stamp, bits its insert and remove marks).
type hookClaim struct {
	state claimState
	bits  uint8
	batch uint64
}

type claimState uint8

const (
	claimAbsent claimState = iota
	claimPresent
	claimUnknown
)

// Marks of a batch's hooks on one pair.
const (
	claimInserted uint8 = 1 << iota
	claimRemoved
)

// claimRef names a pair a batch mentions, in the order of first mention.
type claimRef struct {
	node core.NodeID
	id   core.ChildID
	c    *hookClaim
}

// newHookClaim returns a zero hookClaim, carved from a chunk of them (one
// allocation per pair was 11% of BenchmarkSim5Nodes's allocations).
func (s *Sim) newHookClaim() *hookClaim {
	if len(s.claimSlab) == 0 {
		s.claimSlab = make([]hookClaim, 256)
	}
	c := &s.claimSlab[0]
	s.claimSlab = s.claimSlab[1:]
	return c
}

// checkClaimHooks checks one batch of a node's hooks against what its
// earlier hooks said: registry_pid_insert and registry_pid_remove for a
// (claiming node, child) alternate, starting with an insert — a child is
// never inserted twice or removed while absent (the hooks follow the
// registry's claims). A batch that both inserts and removes one pair is
// coalesced without order, so the pair's state is unknown until its next
// hook. Pairs are kept per claiming node, one map lookup per id of a hook
// (a map keyed by the pair hashed two strings seven times per id: 11% of
// BenchmarkSim5Nodes's CPU).
func (s *Sim) checkClaimHooks(sn *simNode, hooks []core.Hook) {
	order := s.claimOrder[:0]
	first := true
	for _, h := range hooks {
		var bit uint8
		switch h.Kind {
		case core.HookRegistryInsert:
			bit = claimInserted
		case core.HookRegistryRemove:
			bit = claimRemoved
		default:
			continue
		}
		if first {
			first = false
			sn.claimBatch++
		}
		byID := sn.hookClaims[h.Node]
		if byID == nil {
			byID = make(map[core.ChildID]*hookClaim, len(h.IDs)) // sized: a view change names every claim
			sn.hookClaims[h.Node] = byID
		}
		for _, id := range h.IDs {
			c := byID[id]
			if c == nil {
				c = s.newHookClaim()
				byID[id] = c
			}
			if c.batch != sn.claimBatch {
				c.batch, c.bits = sn.claimBatch, 0
				order = append(order, claimRef{h.Node, id, c})
			}
			c.bits |= bit
		}
	}
	for _, r := range order {
		c := r.c
		switch c.bits {
		case claimInserted | claimRemoved:
			c.state = claimUnknown
		case claimInserted:
			if c.state == claimPresent {
				s.hookViolations = append(s.hookViolations, checks.Violation{Check: checks.CheckHooks, Child: string(r.id), Node: string(sn.name),
					Detail: fmt.Sprintf("registry_pid_insert for %s at %d, but the claim was already inserted", r.node, int64(s.now))})
			}
			c.state = claimPresent
		case claimRemoved:
			if c.state == claimAbsent {
				s.hookViolations = append(s.hookViolations, checks.Violation{Check: checks.CheckHooks, Child: string(r.id), Node: string(sn.name),
					Detail: fmt.Sprintf("registry_pid_remove for %s at %d, but no insert preceded it", r.node, int64(s.now))})
			}
			c.state = claimAbsent
		}
	}
	clear(order) // the buffer keeps no pair of a restarted node alive
	s.claimOrder = order[:0]
}
