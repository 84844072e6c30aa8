package core

import "testing"

// TestStatsCountEntriesAndTombstones: Stats counts live entries and
// tombstones exactly on every node, through a start and a stop.
func TestStatsCountEntriesAndTombstones(t *testing.T) {
	c := newLockstep(t, 3, fastTiming)
	specs := []ChildSpec{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}})
	for _, r := range rep.Results {
		if r.Err != "" {
			t.Fatalf("start %s: %s", r.ID, r.Err)
		}
	}
	want := func(entries, tombstones int) {
		t.Helper()
		for _, name := range c.names {
			s := c.nodes[name].Stats()
			if s.Entries != entries || s.Tombstones != tombstones {
				t.Fatalf("%s: %d entries, %d tombstones; want %d, %d", name, s.Entries, s.Tombstones, entries, tombstones)
			}
		}
	}
	want(3, 0)
	rep = c.request("n2", Request{ID: 2, Op: OpStop, IDs: []ChildID{"b"}, Stop: StopOptions{Await: true}})
	if len(rep.Results) != 1 || rep.Results[0].Err != "" {
		t.Fatalf("stop: %+v", rep)
	}
	c.runFor(c.nodes["n1"].cfg.Timing.HeartbeatInterval)
	want(2, 1)
	if got := len(c.nodes["n3"].List()); got != 2 {
		t.Fatalf("List has %d entries, want 2", got)
	}
}
