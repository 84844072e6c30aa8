package core

import (
	"slices"
	"sort"
)

// Lookup returns the local registry's view of id (Local consistency): nil
// if unknown or stopped. The entry is a copy.
func (n *Node) Lookup(id ChildID) *Entry {
	e := n.reg.view(id, n.members.view, n.members.incarnation)
	if e == nil || e.Stopped {
		return nil
	}
	return e
}

// List returns every live registry entry, sorted by id (copies).
func (n *Node) List() []*Entry {
	out := make([]*Entry, 0, n.reg.live)
	for _, id := range n.reg.ids() {
		if e := n.Lookup(id); e != nil {
			out = append(out, e)
		}
	}
	return out
}

// ByTag returns the ids of live children whose metadata "tag" equals tag.
func (n *Node) ByTag(tag string) []ChildID {
	var out []ChildID
	for _, id := range n.reg.ids() {
		if rec, _ := n.reg.rec(id); !rec.stopped && n.reg.tag(id, rec) == tag {
			out = append(out, id)
		}
	}
	return out
}

// Members returns every known member with its status, sorted by name.
func (n *Node) Members() []Member { return n.members.list() }

// View returns the alive members (self included), sorted.
func (n *Node) View() []NodeID { return append([]NodeID(nil), n.members.view...) }

// Placement returns the nodes the ring assigns to id now.
func (n *Node) Placement(id ChildID) []NodeID {
	if e, ok := n.reg.get(id); ok {
		return append([]NodeID(nil), n.placement(e)...)
	}
	return n.ring.successors(nil, id, n.factor())
}

// Stats reports the sizes of the node's tables, to check they stay bounded.
type Stats struct {
	Entries, Tombstones, Claims, Members, Local, Pending, OwnerOps, Done, Stash, GossipRefs int
	// Assemblies counts messages received in part whose other parts are
	// still missing (bounded by maxAssemblies).
	Assemblies int
	// Sent counts routed requests and replication rounds sent and resent
	// since boot (not a table: it grows).
	Sent RequestCounters
	// QueuedParts counts parts of large requests not sent yet (bounded by
	// the pending requests' children).
	QueuedParts int
	// DigestAnswersWaited counts mismatching digests left unanswered while
	// writes were in flight, DigestAnswersForced the waits that reached
	// their bound, DigestExchanges the registries sent whole in answer to
	// a mismatching digest, forced ones included (syncquiet.go; not
	// tables: they grow).
	DigestAnswersWaited, DigestAnswersForced, DigestExchanges int
	// ClaimsSent counts the claims of every claim message sent since boot
	// (per receiver: deltas, full lists, gossip forwards), FullClaimLists
	// the full claim lists among them, ClaimDigestMismatches the peers'
	// claims digests that differed from their claims here
	// (claimsdigest.go; not tables: they grow).
	ClaimsSent, FullClaimLists, ClaimDigestMismatches int
	// SweepRepairs counts the periodic round's sweep reconciliations that
	// started, stopped or changed a child no mark had scheduled: a local
	// instance that vanished without its exit report, or a condition of
	// placement that changed without marking its child (syncround.go; not
	// a table: it grows).
	SweepRepairs int
}

// Stats returns the current table sizes.
func (n *Node) Stats() Stats {
	s := Stats{Entries: n.reg.live, Tombstones: n.reg.len() - n.reg.live, Members: len(n.members.members),
		Local: len(n.local), Pending: len(n.pending.reqs), OwnerOps: len(n.repl.ops), Done: len(n.repl.done),
		Stash: len(n.migr.stash), GossipRefs: len(n.gossip.seen), Assemblies: len(n.parts.open), Sent: n.sent, QueuedParts: n.queuedParts(), DigestAnswersWaited: n.quiet.deferred, DigestAnswersForced: n.quiet.forced, DigestExchanges: n.quiet.exchanges,
		ClaimsSent: n.claimsSent, FullClaimLists: n.fullClaimLists, ClaimDigestMismatches: n.claimDigestMismatches,
		SweepRepairs: n.sweepRepairs}
	s.Claims = n.reg.totalClaims()
	return s
}

// sortU64 sorts xs ascending (slices.Sort: sort.Slice allocated twice a
// call, and expireRequests sorts every tick).
func sortU64(xs []uint64) { slices.Sort(xs) }

func sortNodeChildren(xs []NodeChildren) {
	sort.Slice(xs, func(i, j int) bool { return xs[i].Node < xs[j].Node })
}

// Tombstones returns the ids of tombstoned children whose reason matches
// keep, sorted.
func (n *Node) Tombstones(keep func(reason string) bool) []ChildID {
	var out []ChildID
	for _, id := range n.reg.ids() {
		if reason, _, ok := n.reg.tombstone(id); ok && keep(reason) {
			out = append(out, id)
		}
	}
	return out
}
