package core

import (
	"slices"
	"testing"
	"time"
)

// TestDurableNodeRecordsItsPeersAndWaitsForThem: a durable node writes the
// peers it sees (itself left out) to its disk as they change, so after a
// full restart it waits for them — whose registries may be newer than its
// disk — instead of acting alone after DownAfter.
func TestDurableNodeRecordsItsPeersAndWaitsForThem(t *testing.T) {
	names := []NodeID{"n1", "n2", "n3"}
	nodes := map[NodeID]*Node{}
	disk := NewSnapshot()
	now := Instant(1000 * time.Second)
	for _, name := range names {
		cfg := DefaultConfig(name)
		cfg.Incarnation = 1
		cfg.RandSeed = 1
		cfg.Durable = true
		cfg.Seeds = names
		fastTiming(&cfg)
		n, err := NewNode(cfg, now)
		if err != nil {
			t.Fatal(err)
		}
		nodes[name] = n
	}
	pump := func() {
		for busy := true; busy; {
			busy = false
			for _, name := range names {
				rd := nodes[name].Ready()
				if rd.Empty() {
					continue
				}
				busy = true
				if name == "n1" {
					disk.Apply(rd.Persist)
				}
				for _, env := range rd.Messages {
					nodes[env.To].Step(now, env.Msg)
				}
			}
		}
	}
	for i := 0; i < 200 && len(nodes["n1"].View()) < 3; i++ {
		now = now.Add(10 * time.Millisecond)
		for _, name := range names {
			nodes[name].Tick(now)
		}
		pump()
	}
	if got := disk.View; !slices.Equal(got, []NodeID{"n2", "n3"}) {
		t.Fatalf("n1's disk records the view %v, want its peers [n2 n3] (view now %v)", got, nodes["n1"].View())
	}
	d := newSoloDriver(t, 2, disk, now.Add(time.Minute))
	d.run(3 * d.n.Config().Timing.DownAfter)
	if d.n.Readiness().Synced {
		t.Fatal("n1, restarted alone from its disk, acts after 3×DownAfter without hearing the peers it last saw")
	}
}
