package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

func specs(prefix string, n int) []core.ChildSpec {
	out := make([]core.ChildSpec, n)
	for i := range out {
		out[i] = core.ChildSpec{ID: core.ChildID(fmt.Sprintf("%s%d", prefix, i))}
	}
	return out
}

func cluster(t *testing.T, seed uint64, n int) *Sim {
	t.Helper()
	s := New(Options{Seed: seed})
	for i := 1; i <= n; i++ {
		if err := s.AddNode(core.NodeID(fmt.Sprintf("n%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(2 * time.Second)
	return s
}

func TestStartAwaitPlacesOnRing(t *testing.T) {
	s := cluster(t, 1, 3)
	for _, name := range s.LiveNodes() {
		if got := len(s.Node(name).View()); got != 3 {
			t.Fatalf("%s sees %d members, want 3", name, got)
		}
	}
	id, err := s.Request("n1", core.Request{Op: core.OpStart, Specs: specs("c", 100), Start: core.StartOptions{Await: true}})
	if err != nil {
		t.Fatal(err)
	}
	s.RunFor(2 * time.Second)
	rep, ok := s.Reply(id)
	if !ok {
		t.Fatal("no reply")
	}
	if rep.Err != nil {
		t.Fatalf("reply error %v", rep.Err)
	}
	for _, r := range rep.Results {
		if r.Err != "" {
			t.Fatalf("child %s: %s %s", r.ID, r.Err, r.Detail)
		}
		run := s.Running(r.ID)
		want := s.Node("n1").BelongsTo(r.ID, 1)
		if len(run) != 1 || run[0] != want[0] {
			t.Fatalf("child %s runs on %v, ring says %v", r.ID, run, want)
		}
	}
	for _, name := range s.LiveNodes() {
		if got := len(s.Node(name).List()); got != 100 {
			t.Fatalf("%s registry has %d entries, want 100", name, got)
		}
	}
}

func TestSameSeedSameTrace(t *testing.T) {
	run := func(seed uint64) uint64 {
		s := cluster(t, seed, 4)
		s.SetNet(NetConfig{Loss: 0.05, Dup: 0.05, Reorder: 0.1})
		s.Request("n2", core.Request{Op: core.OpStart, Specs: specs("x", 50), Start: core.StartOptions{Await: true}})
		s.RunFor(time.Second)
		s.Crash("n3")
		s.RunFor(2 * time.Second)
		s.Restart("n3")
		s.RunFor(2 * time.Second)
		return s.TraceHash()
	}
	for seed := uint64(1); seed <= 5; seed++ {
		a, b := run(seed), run(seed)
		if a != b {
			t.Fatalf("seed %d: trace hashes differ: %x vs %x", seed, a, b)
		}
	}
	if run(1) == run(2) {
		t.Fatal("different seeds gave the same trace: the seed is not used")
	}
}
