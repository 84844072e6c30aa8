package core

import (
	"testing"
	"time"
)

// TestStrictRoundsPaceAtTheHeartbeat: a wanted child makes its holder ask
// the voters at the next tick, but once that round went out, a holder
// with nothing new to ask renews its leases once per heartbeat, not once
// per tick (the voters' traffic and work are per round).
func TestStrictRoundsPaceAtTheHeartbeat(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	w.run(time.Second)
	h := w.startOne("a", "x")
	holder := w.nodes[h]
	const d = 2 * time.Second
	before := holder.strict.seq
	w.run(d)
	rounds := holder.strict.seq - before
	hb := holder.cfg.Timing.HeartbeatInterval
	if most := uint64(d/hb) + 1; rounds > most {
		t.Fatalf("holder %s ran %d lease rounds in %v with nothing wanted, want at most %d (one per %v heartbeat)", h, rounds, d, most, hb)
	}
	if rounds < uint64(d/hb)/2 {
		t.Fatalf("holder %s ran %d lease rounds in %v: it does not renew every %v heartbeat", h, rounds, d, hb)
	}
}
