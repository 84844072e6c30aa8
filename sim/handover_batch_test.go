package sim

import (
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// handoverBatchFault runs a hot-swap join whose batched handovers are hit
// by a fault in flight: 4 nodes (event loops with batched inputs) under
// hot swap with handover run 300
// children, n5 joins, and the run steps a millisecond at a time until a
// batch of kind (a MsgHandover to n5, or a MsgHandoverAck from n5) is on
// the network; then fault strikes (a crash of n5, or a cut between n5 and
// the others), is repaired repairAfter later, and the cluster runs 30 s more. It
// returns the run and whether the fault struck with the batch in flight.
// broken is the core's test-only breakage (none: the correct core).
func handoverBatchFault(broken core.BrokenFor, kind core.MsgKind, fault func(s *Sim), repairAfter time.Duration, repair func(s *Sim)) (*Sim, bool) {
	// Batched inputs, as the runtime's event loop takes them: the child
	// reports of one drain (each instance's state) are fed as one core
	// batch, so their handovers leave as one message per receiver. Fed
	// one by one, each report's Ready holds one handover.
	s := New(Options{Seed: 1, BatchInputs: true, InputCost: time.Millisecond, Configure: func(c *core.Config) {
		c.Migration.Kind, c.Migration.Handover = core.HotSwap, true
		c.Broken = broken
	}})
	bootAndStart(s, 4, 300)
	s.AddNode("n5")
	inFlight := func() bool {
		for l := range s.batchesInFlight {
			if l.kind == kind && (l.from == "n5" || l.to == "n5") {
				return true
			}
		}
		return false
	}
	struck := false
	for i := 0; i < 20000 && !struck; i++ { // 20 s of simulated time at most
		s.RunFor(time.Millisecond)
		struck = inFlight()
	}
	if struck {
		fault(s)
	}
	s.RunFor(repairAfter)
	repair(s)
	s.RunFor(30 * time.Second)
	return s, struck
}

// TestHandoverBatchHitInFlight: a crash of the receiver while a batch of
// handovers travels to it, and a cut while the batch of its
// acknowledgements travels back, lose a whole batch at once; every state
// must still reach the instance that runs the child (checks.HandoverState)
// and the cluster must settle on the ring's placement, one instance per
// child (CheckQuiescent).
func TestHandoverBatchHitInFlight(t *testing.T) {
	others := []core.NodeID{"n1", "n2", "n3", "n4"}
	cases := []struct {
		name        string
		kind        core.MsgKind
		fault       func(*Sim)
		repairAfter time.Duration
		repair      func(*Sim)
	}{
		// n5 comes back as a new incarnation; the senders hand over
		// to it again.
		{"receiver crashes under a handover batch", core.MsgHandover,
			func(s *Sim) { s.Crash("n5") }, 5 * time.Second, func(s *Sim) { s.Restart("n5") }},
		// A cut shorter than DownAfter and the retention (5 s): the
		// senders retransmit, n5 recognises the states it already
		// delivered and acknowledges them again, in a batch.
		{"cut under an acknowledgement batch", core.MsgHandoverAck,
			func(s *Sim) { s.Partition([]core.NodeID{"n5"}, others) }, time.Second, func(s *Sim) { s.Heal() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, struck := handoverBatchFault(core.BrokenFor{}, tc.kind, tc.fault, tc.repairAfter, tc.repair)
			if !struck {
				t.Fatalf("no batched %s to or from n5 was in flight within 20 s of the join", tc.kind)
			}
			if s.Coverage()[CoverFaultDuringHandoverBatch] == 0 {
				t.Errorf("the fault struck with a batch in flight but %s was not counted", CoverFaultDuringHandoverBatch)
			}
			vs := append(s.CheckRun(), s.CheckQuiescent(Guarantee{Durable: true, NoResurrectionEver: true})...)
			for i, v := range vs {
				if i == 5 {
					t.Errorf("... %d violations in all", len(vs))
					break
				}
				t.Error(v)
			}
			if len(s.handoversDone) == 0 {
				t.Error("no handover completed: checks.HandoverState judged nothing")
			}
			// The same run of a core that acknowledges states without
			// delivering them must fail: the checks can see a lost state.
			b, _ := handoverBatchFault(core.BrokenFor{HandoverDropsState: true}, tc.kind, tc.fault, tc.repairAfter, tc.repair)
			if len(b.CheckRun()) == 0 {
				t.Error("a core that drops handed-over states passes the same run")
			}
		})
	}
}
