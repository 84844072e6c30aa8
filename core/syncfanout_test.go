package core

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// antiEntropyRecipients makes the middle node of size alive members
// (m000, m001, ...) run rounds anti-entropy rounds and returns, per round,
// the peers its digest went to.
func antiEntropyRecipients(t *testing.T, size, rounds int) [][]NodeID {
	t.Helper()
	return antiEntropyRecipientsOf(t, DefaultConfig(NodeID(fmt.Sprintf("m%03d", size/2))), size, rounds)
}

// antiEntropyRecipientsOf is antiEntropyRecipients for a node of cfg,
// whose name must be one of the size members.
func antiEntropyRecipientsOf(t *testing.T, cfg Config, size, rounds int) [][]NodeID {
	t.Helper()
	n, err := NewNode(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < size; i++ {
		name := NodeID(fmt.Sprintf("m%03d", i*7%size))
		if tr, ok := n.members.heard(name, 1, nil, 1); ok {
			n.onMemberTransition(tr)
		}
	}
	n.Ready()
	var out [][]NodeID
	for r := 0; r < rounds; r++ {
		n.antiEntropy()
		var to []NodeID
		for _, env := range n.Ready().Messages {
			if env.Msg.Kind == MsgDigest {
				to = append(to, env.To)
			}
		}
		out = append(out, to)
	}
	return out
}

// An anti-entropy round goes to every peer in a cluster of up to 9
// nodes, and beyond to 8 peers (more with many nodes, so that every peer
// is reached within half the tombstone TTL) in rotation starting after
// the node itself, every peer within AntiEntropyRounds rounds.
func TestAntiEntropyFanOut(t *testing.T) {
	cfg := DefaultConfig("x")
	for _, size := range []int{9, 30, 200} {
		peers := size - 1
		rounds := AntiEntropyRounds(cfg, peers)
		got := antiEntropyRecipients(t, size, rounds)
		width := min(peers, max(8, (peers+9)/10)) // default timings: 10 rounds in half the TTL
		reached := map[NodeID]bool{}
		for r, to := range got {
			if len(to) != width {
				t.Fatalf("%d nodes, round %d: digest to %d peers, want %d", size, r, len(to), width)
			}
			for _, p := range to {
				reached[p] = true
			}
		}
		if len(reached) != peers {
			t.Errorf("%d nodes: %d of %d peers reached within %d rounds", size, len(reached), peers, rounds)
		}
		if after := NodeID(fmt.Sprintf("m%03d", size/2+1)); size > 9 && !slices.Contains(got[0], after) {
			t.Errorf("%d nodes: first round went to %v, want the peers after the node first (%s)", size, got[0], after)
		}
		t.Logf("%d nodes: %d peers per round, every peer within %d rounds (%v at 15 s)", size, width, rounds, time.Duration(rounds)*cfg.Sync.Interval)
	}
}

// With the gossip strategy too, a round goes to Sync.FanOut peers in
// rotation starting after the node itself, so the nodes' first rounds
// spread over the cluster (they all went to the first peers of the sorted
// list), and every peer is reached within AntiEntropyRounds rounds.
func TestAntiEntropyRotationStartsAfterSelf(t *testing.T) {
	const size = 30
	first := map[NodeID]int{} // how many nodes' first round reached each peer
	for i := 0; i < size; i++ {
		cfg := DefaultConfig(NodeID(fmt.Sprintf("m%03d", i)))
		cfg.Sync.Kind, cfg.Sync.FanOut = Gossip, 3
		rounds := AntiEntropyRounds(cfg, size-1)
		got := antiEntropyRecipientsOf(t, cfg, size, rounds)
		want := []NodeID{NodeID(fmt.Sprintf("m%03d", (i+1)%size)), NodeID(fmt.Sprintf("m%03d", (i+2)%size)), NodeID(fmt.Sprintf("m%03d", (i+3)%size))}
		slices.Sort(want)
		if !slices.Equal(got[0], want) {
			t.Errorf("gossip node m%03d: first round to %v, want the 3 peers after it %v", i, got[0], want)
		}
		reached := map[NodeID]bool{}
		for _, to := range got {
			for _, p := range to {
				reached[p] = true
			}
		}
		if len(reached) != size-1 {
			t.Errorf("gossip node m%03d: %d of %d peers reached within %d rounds", i, len(reached), size-1, rounds)
		}
		for _, p := range got[0] {
			first[p]++
		}
	}
	for p, c := range first {
		if c != 3 {
			t.Errorf("%s got %d nodes' first gossip round, want 3 (FanOut): rounds must spread", p, c)
		}
	}
}
