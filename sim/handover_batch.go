package sim

import "github.com/phub/phub/core"

// Batched handovers in flight (core/handoverbatch.go). Under hot swap a
// node sends the handovers it owes one receiver, and the receiver its
// acknowledgements, as one message naming several children. A crash of
// either end, or a cut of their link, while such a message is in flight
// loses every handover (or acknowledgement) of the batch at once; the
// sender must hand each state over again, or the children must fail
// over, and the whole-run checks (checks.HandoverState, placement,
// singleton) judge the outcome. The simulator counts the batches in
// flight per link so that CoverFaultDuringHandoverBatch proves the
// situation was reached.

// batchLink is the link a batched handover or acknowledgement travels,
// and which of the two it is.
type batchLink struct {
	from, to core.NodeID
	kind     core.MsgKind
}

// isHandoverBatch reports whether m is a handover or an acknowledgement
// naming several children.
func isHandoverBatch(m *core.Message) bool {
	return (m.Kind == core.MsgHandover || m.Kind == core.MsgHandoverAck) && len(m.Handovers) > 1
}

// batchSent counts a batch put on the network from one node to another
// (each copy of a duplicated message once).
func (s *Sim) batchSent(from, to core.NodeID, kind core.MsgKind) {
	if s.batchesInFlight == nil {
		s.batchesInFlight = map[batchLink]int{}
	}
	s.batchesInFlight[batchLink{from, to, kind}]++
	if kind == core.MsgHandover {
		s.cover(CoverHandoverBatch)
	}
}

// batchLanded counts a batch that left the network: delivered, or
// dropped on arrival (its receiver down or restarted, its link cut).
func (s *Sim) batchLanded(from, to core.NodeID, kind core.MsgKind) {
	l := batchLink{from, to, kind}
	if s.batchesInFlight[l]--; s.batchesInFlight[l] <= 0 {
		delete(s.batchesInFlight, l)
	}
}

// faultOnBatches covers CoverFaultDuringHandoverBatch when a batch is in
// flight on a link the fault hits.
func (s *Sim) faultOnBatches(hits func(batchLink) bool) {
	for l := range s.batchesInFlight {
		if hits(l) {
			s.cover(CoverFaultDuringHandoverBatch)
			return
		}
	}
}

// crashHitsBatches is faultOnBatches for a crash of node.
func (s *Sim) crashHitsBatches(node core.NodeID) {
	s.faultOnBatches(func(l batchLink) bool { return l.from == node || l.to == node })
}

// cutHitsBatches is faultOnBatches after links were blocked.
func (s *Sim) cutHitsBatches() {
	s.faultOnBatches(func(l batchLink) bool { return s.blocked[[2]core.NodeID{l.from, l.to}] })
}
