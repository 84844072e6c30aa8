package core

import (
	"slices"
	"testing"
	"time"
)

// TestStrictVoterHoldEndsExactlyOnTime: a voter keeps a holder's grant for
// exactly its hold, L·(1+ρ)+margin on the voter's clock after granting:
// until then it flags the child to any other holder, from that instant on
// it grants the child to another node (the failover the proof sketch
// bounds: a holder cut off right after a grant blocks the child that long
// and no longer).
func TestStrictVoterHoldEndsExactlyOnTime(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(time.Second)
	h := w.startOne("a", "x")
	v, other := w.othersThan(h)
	voter := w.nodes[v]
	rec := voter.strict.recs[holderKey{h, 1}]
	if rec == nil {
		t.Fatalf("voter %s holds no grant of %s", v, h)
	}
	if _, ok := rec.held["x"]; !ok {
		t.Fatalf("voter %s's last grant to %s does not hold x", v, h)
	}
	end := rec.at.Add(voter.strict.voterHold)
	ask := func(at Mono, seq uint64) (flagged, inactive []ChildID) {
		voter.SetMono(at)
		flagged, inactive, err := voter.voterGrant(holderKey{other, 1}, seq, []ChildID{"x"})
		if err != "" {
			t.Fatalf("voter %s refused %s's round at %d: %s", v, other, at, err)
		}
		return flagged, inactive
	}
	if flagged, _ := ask(end-1, 1<<40); !slices.Equal(flagged, []ChildID{"x"}) {
		t.Fatalf("1 ns before the hold ends, voter %s flagged %v to %s, want x (still %s's)", v, flagged, other, h)
	}
	if flagged, inactive := ask(end, 1<<40+1); len(flagged)+len(inactive) != 0 {
		t.Fatalf("when the hold ends, voter %s flagged %v and did not grant %v to %s, want x granted", v, flagged, inactive, other)
	}
}
