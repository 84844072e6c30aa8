package core

import "testing"

// TestGuidedRivalWritesInStrictMode: in strict mode a peer refuses an
// owner's write that meets a rival version (core/conflict.go), except when
// the rival is the peer's own guided start of the child with another
// mapping: then the merge decides (guided_conflict.go) and the winning
// write is acknowledged. A rival guided start written by a third node may
// have been acknowledged already, so it stays a write conflict even when
// the write wins the merge; so does the peer's own start of the child
// without a mapping, or another node's start without one (only two guided
// starts are rivals).
func TestGuidedRivalWritesInStrictMode(t *testing.T) {
	guided := func(by NodeID, epoch uint64) Entry {
		return Entry{Spec: ChildSpec{ID: "w"}, Epoch: epoch, Holder: by, By: by, Pinned: []NodeID{by}}
	}
	for _, c := range []struct {
		name                string
		have                Entry
		write               *Entry // default guided("n2", 1)
		refused, guidedLost bool
	}{
		{"the peer's own guided start, which loses the merge", guided("n1", 1), nil, false, false},
		{"the peer's own guided start, which wins the merge", guided("n1", 2), nil, false, true},
		{"a third node's guided start, which loses the merge", guided("n0", 1), nil, true, false},
		{"the peer's own hashed start (no mapping), which loses the merge", Entry{Spec: ChildSpec{ID: "w"}, Epoch: 1, Holder: "n1", By: "n1"}, nil, true, false},
		{"the peer's own guided start, meeting a hashed start", guided("n1", 1), &Entry{Spec: ChildSpec{ID: "w"}, Epoch: 1, Holder: "n2", By: "n2"}, true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			lc := newLockstep(t, 2, func(cfg *Config) {
				fastTiming(cfg)
				cfg.Partition = PartitionConfig{Kind: Strict, Voters: []NodeID{"n1", "n2"}}
			})
			n1 := lc.nodes["n1"]
			have := c.have
			n1.reg.put(&have)
			write := guided("n2", 1)
			if c.write != nil {
				write = *c.write
			}
			ack := replicateFromN2(t, n1, lc.now, write)
			refused := ack.Err == errStaleVersion && len(ack.IDs) == 1 && ack.IDs[0] == "w"
			lost := ack.Err == errGuidedConflict
			if refused != c.refused || lost != c.guidedLost {
				t.Fatalf("ack %+v: refused as a write conflict = %v, as a lost guided start = %v; want %v, %v", ack, refused, lost, c.refused, c.guidedLost)
			}
		})
	}
}
