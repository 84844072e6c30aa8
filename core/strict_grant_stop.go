package core

import "slices"

// A stop must not be acknowledged while a lease on its child, granted
// before the stop was known, can still start it elsewhere. A takeover's
// new version is pushed to the peers unacknowledged (placement.go
// maybeStart) and its node starts the child as soon as a majority of the
// voters grants it, so a voter can grant a child, still active in its
// registry, to a taker whose takeover it has not seen; when the stop of
// the old holder arrives next, nothing here rivals it (the registry still
// holds the old generation), the voter acknowledges it, the stop answers
// ok, and the taker runs the child on after the ok — until the tombstone
// reaches it (TestStrictGrantBeforeStopNotUsedAfterItsAck: the taker's
// instance ran 0.85 s past the stop's acknowledgement). The rival-write
// checks of conflict.go catch only the orders in which the takeover's
// version reached the voter first.
//
// So a voter refuses to acknowledge a round that stops a child it has
// granted, within its hold, to a holder other than the round's sender
// (another node, or another incarnation of it); the owner answers that
// child with an unknown outcome, as for any rival write. Any two
// majorities meet, so a stop acknowledged by a majority met no voter
// whose grant to another holder was still alive, and such a holder never
// gathers a majority of grants for the child again: every voter that
// acknowledged the stop now holds the tombstone and grants nothing for
// it (voterGrant). The stopping owner's own grants are no rival: its
// round stops its own instance.

// strictGrantedElsewhere adds to conflicts (writeConflicts' answer) the
// children whose stop the replication round m writes while this voter
// keeps a lease grant of them to a holder other than m's sender. It adds
// nothing outside strict mode, at a non-voter and for an unacknowledged
// push; entries m only reads (m.IDs) are no writes.
func (n *Node) strictGrantedElsewhere(m Message, conflicts []ChildID) []ChildID {
	s := n.strict
	if s == nil || !s.selfVoter || m.Seq == 0 {
		return conflicts
	}
	sender := holderKey{m.From, m.Inc}
	out := conflicts
	for i := range m.Entries {
		w := &m.Entries[i]
		if !w.Stopped {
			continue
		}
		o, ok := s.owner[w.Spec.ID]
		if !ok || o == sender || !n.voterKeeps(o, w.Spec.ID) {
			continue
		}
		if !slices.Contains(m.IDs, w.Spec.ID) && !slices.Contains(conflicts, w.Spec.ID) {
			out = append(out, w.Spec.ID)
		}
	}
	return out
}
