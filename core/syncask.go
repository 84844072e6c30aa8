package core

// askForMissingSyncs re-asks, with a MsgSyncRequest, every peer whose
// full sync this node still awaits (at boot, or after the peer came back:
// needSync). The sync such a peer sends when it meets this node is the
// normal path; an ask is only a retry for a sync that was lost, so the
// first one goes out a RetryInterval after the wait began (with SWIM,
// also the periods news takes to spread: syncAskWait), not at the next
// tick. Asking at once made every join cost a second full registry
// transfer per member whenever the member's own sync was still being
// encoded or delivered (a 10,000-entry registry is tens of milliseconds
// of work), and the answer to the ask a third.
func (n *Node) askForMissingSyncs(now Instant) {
	if n.ready() {
		n.syncWaitFrom = 0
		return
	}
	if n.syncWaitFrom == 0 {
		n.syncWaitFrom = now
	}
	retry := n.cfg.Timing.RetryInterval
	if now.Sub(n.syncWaitFrom) < n.syncAskWait() || now.Sub(n.lastSyncAsk) < retry {
		return
	}
	n.lastSyncAsk = now
	skipAgreeing := n.agreementSuffices() // swim_agree.go
	for _, p := range n.members.peers() {
		if (!n.synced && !n.syncedFrom[p] && !(skipAgreeing && n.agrees(p))) || n.needSync[p] {
			n.send(p, n.syncRequest())
		}
	}
}
