package core

// The welcome carries the joiner's full sync. A seed used to answer a
// join with its full sync, then the welcome (the member list), then a
// second full sync, and the joiner sent its own twice as well. Worse, the
// joiner held the seed's registry before it knew the other members: it
// counted itself synced with the seed alone in its view and took over
// every child a two-node ring gave it, children the other members still
// ran (BenchmarkJoin10k: 8 full syncs, 8.27 entries per child).
//
// Now the welcome is the seed's one full sync: member list, entries (or
// only the digest, syncdigest.go), full claim list. The joiner applies
// the registry and claims first, then merges the members: the members it
// learns are probed with heartbeats showing the registry's digest it then
// holds (so they answer with digest-only syncs), and it waits for their
// syncs before it acts (checkSynced). The seed sends no other full sync
// to a joiner whose join it is handling (Node.welcoming). A welcome
// without Full (a seed of an older version) is a member list only; that
// seed's sync comes apart, or is asked for (askForMissingSyncs).

// sendWelcome answers a join: the member list with a full sync.
func (n *Node) sendWelcome(to NodeID) {
	m := n.fullSyncMsg(to, true, n.syncNeedsEntries(to))
	m.Kind = MsgWelcome
	m.Members = n.members.list()
	m.Epoch = n.reg.epochFloor
	if n.swim != nil {
		m.Seq = n.members.delta.ver // the table's version: the joiner pulls what changes after it (swim_join.go)
	}
	n.send(to, m)
}

// onWelcome takes a seed's welcome: the full sync it carries, then the
// members it names, then whether the sync is complete (checkSynced must
// see the members, or the joiner would act on the seed alone).
func (n *Node) onWelcome(m Message) {
	if !m.Full {
		n.mergeMembers(m.Members)
		return
	}
	n.applyEntries(m.From, m.Entries)
	if m.Version != 0 {
		n.applyClaims(m.From, m.Claims, true, m.Version)
		n.noteClaimCount(m.From, true, m.Count)
	}
	n.mergeMembers(m.Members)
	if n.fullSyncComplete(m) {
		n.syncedBy(m.From, m.Members)
	}
	n.checkDigestOffers()
}
