package core

// A node that boots without memory (not durable, a durable node with no
// snapshot, or one whose persisted state was lost) knows only what the
// full syncs it received carry. In strict mode an acknowledged write
// reached a majority of the voters (m of n), and a previous incarnation
// of this very node may have been one of them: its memory went with the
// crash. Syncing "every peer alive now" is then not enough: with n3
// restarted while n2 was paused, n3 synced n1 alone, the read quorum
// {n3, n1} missed the write quorum {n3, n2}, and n3 answered not-found
// for a child whose start was acknowledged (mix strict seed 18880 of
// session 6's long sweep). So a memory-less strict node is synced only
// once it holds full syncs from n-m+1 voters other than itself — every
// majority of the voters, this node's old life included, meets them —
// and until then, as a voter, it grants no lease (a lease majority that
// counts it would rest on a registry that may miss the write).

// errLeaseUnsynced is a memory-less voter's refusal while it still waits
// for the full syncs that make its registry meet every write quorum.
const errLeaseUnsynced ErrCode = "lease_unsynced"

// strictSyncsNeeded returns how many voters other than this node must
// have sent their full sync before a memory-less strict node is synced:
// n-m+1 of the n configured voters, capped at the number of other voters
// (a lone voter's writes die with its memory: nothing can recover them).
// It is 0 outside strict mode and for a node that remembers its state.
func (n *Node) strictSyncsNeeded() int {
	s := n.strict
	if s == nil || n.remembers {
		return 0
	}
	need := len(s.voters) - s.majority + 1
	others := len(s.voters)
	if s.selfVoter {
		others--
	}
	return min(need, others)
}

// strictSyncedVoters reports whether a memory-less strict node holds
// full syncs from enough voters (strictSyncsNeeded) to be synced.
func (n *Node) strictSyncedVoters() bool {
	need := n.strictSyncsNeeded()
	if need == 0 {
		return true
	}
	got := 0
	for _, v := range n.strict.voters {
		if v != n.cfg.Name && n.syncedFrom[v] {
			got++
		}
	}
	return got >= need
}
