package core

import (
	"fmt"
	"testing"
	"time"
)

// TestDynamicQuorumPercentLeft: under dynamic_quorum a node keeps quorum
// while the nodes left are at least QuorumSize percent of the cluster it
// had within the window (those left plus those that went down in it), at
// the exact boundary included, and loses it one percent above.
func TestDynamicQuorumPercentLeft(t *testing.T) {
	for _, c := range []struct {
		left, down, quorum int
		want               bool
	}{
		{3, 1, 75, true},  // 75% left
		{3, 1, 76, false}, // 75% < 76%
		{9, 1, 90, true},  // 90%
		{9, 1, 91, false},
		{1, 1, 50, true}, // 50%
		{1, 1, 51, false},
		{7, 3, 70, true}, // 70%
		{7, 3, 71, false},
		{4, 0, 100, true}, // nothing went down
		{99, 1, 99, true},
		{99, 1, 100, false},
	} {
		t.Run(fmt.Sprintf("%d_left_%d_down_quorum_%d", c.left, c.down, c.quorum), func(t *testing.T) {
			q := newQuorumState(PartitionConfig{Kind: DynamicQuorum, QuorumSize: c.quorum, Window: time.Minute})
			now := Instant(1000 * time.Second)
			size := c.left + c.down
			q.update(size, now, "init", "")
			for i := 0; i < c.down; i++ {
				size--
				q.update(size, now, "down", NodeID(fmt.Sprintf("d%d", i)))
			}
			if got := !q.partitioned; got != c.want {
				t.Fatalf("%d of %d nodes left (%d went down), quorum %d%%: has quorum %v, want %v", c.left, c.left+c.down, c.down, c.quorum, got, c.want)
			}
		})
	}
}
