package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestAvailabilityPinnedGapsApart: messages seed 28 is a guided seed whose
// idle stretch (47 s) keeps n2 down; its guided child c4, pinned to n2,
// waits the whole stretch. That wait is a pinned gap, not a failover gap
// (it was the 47 s maximum of the messages and partition rows).
func TestAvailabilityPinnedGapsApart(t *testing.T) {
	const class, seed = ClassMessages, 28
	if st := Draw(class, seed); !st.Guided || !st.Outage {
		t.Fatalf("messages seed 28 drew guided=%v outage=%v: pick another guided seed with an idle outage", st.Guided, st.Outage)
	}
	for _, mode := range AvailabilityModes {
		_, s := RunSeedSim(class, seed, availabilityOptions(mode, Draw(class, seed).Nodes))
		a := s.Availability()
		if len(a.PinnedGaps) == 0 {
			t.Errorf("%s: no pinned gap; gaps %v", mode, a.Gaps)
		}
		for _, g := range a.PinnedGaps {
			if g < 40*time.Second {
				t.Errorf("%s: a pinned gap of %v, want the idle outage (~47 s)", mode, g)
			}
		}
		for _, g := range a.Gaps {
			if g > 30*time.Second {
				t.Errorf("%s: a failover gap of %v: a pinned child's wait counted as failover?", mode, g)
			}
		}
	}
}

// TestAvailabilityPinnedLeaveWaitsApart: a guided child pinned to a node
// that leaves gracefully waits for that node, it does not fail over; its
// wait goes with the pinned waits, not the failover gaps after a leave
// (mix seed 26: c6, pinned to n1, waited the 2 min 30 s left of the run
// after n1 left, and was reported as the leave gaps' maximum).
func TestAvailabilityPinnedLeaveWaitsApart(t *testing.T) {
	const class, seed = ClassMix, 26
	st := Draw(class, seed)
	if !st.Guided {
		t.Fatalf("mix seed 26 no longer draws guided children: pick another seed with a pinned child on a leaving node")
	}
	_, s := RunSeedSim(class, seed, availabilityOptions("divergence", st.Nodes))
	a := s.Availability()
	long := false
	for _, g := range a.PinnedGaps {
		long = long || g > time.Minute
	}
	if !long {
		t.Errorf("no pinned wait over a minute; pinned %v, leave gaps %v", a.PinnedGaps, a.LeaveGaps)
	}
	for _, g := range a.LeaveGaps {
		if g > 30*time.Second {
			t.Errorf("a failover gap of %v after a leave: a pinned child's wait counted as failover?", g)
		}
	}
}

// TestAvailabilityOptionsOnARefusedStrategyNameTheSeed: messages seed 15
// draws a strategy strict mode refuses (RunAvailability skips such seeds),
// so availabilityOptions("strict") booted no node; RunSeedSim went on
// with an empty cluster and panicked with rand.IntN(0) in the calm phase.
// A node that cannot boot is now named in a panic wrapping
// ErrNodeCannotBoot, with the class, seed and core's refusal.
func TestAvailabilityOptionsOnARefusedStrategyNameTheSeed(t *testing.T) {
	const class, seed = ClassMessages, 15
	st := Draw(class, seed)
	if st.Strategy == "singularity-cold" || st.Strategy == "gossip" {
		t.Fatalf("messages seed 15 drew %s, which strict accepts: pick a seed RunAvailability skips", st.Strategy)
	}
	err := bootPanic(func() { RunSeedSim(class, seed, availabilityOptions("strict", st.Nodes)) })
	if !errors.Is(err, ErrNodeCannotBoot) {
		t.Fatalf("RunSeedSim with strict on %s: %v, want ErrNodeCannotBoot", st.Strategy, err)
	}
	for _, want := range []string{"class=messages", "seed=15", st.Strategy} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not name %q", err, want)
		}
	}
	t.Logf("%v", err)
}

// bootPanic runs f and returns the error it panicked with (nil if it
// returned; a panic that is no error fails as one).
func bootPanic(f func()) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if e, ok := p.(error); ok {
				err = e
				return
			}
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	f()
	return nil
}

// TestPhasesWithNoLiveNode: the calm phase and the idle stretch run on a
// cluster with every node down without asking a node that is not there
// (the calm phase drew one with rand.IntN(0) and panicked).
func TestPhasesWithNoLiveNode(t *testing.T) {
	prof, err := ProfileNamed("fast")
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Seed: 1, Profile: &prof, Start: DefaultStart})
	for i := 1; i <= 3; i++ {
		if err := s.AddNode(nodeName(i)); err != nil {
			t.Fatal(err)
		}
	}
	s.RunFor(time.Second)
	for _, n := range s.NodeNames() {
		s.Crash(n)
	}
	if live := s.LiveNodes(); len(live) != 0 {
		t.Fatalf("live after crashing all: %v", live)
	}
	r := rand.New(rand.NewPCG(1, 2))
	if err := bootPanic(func() { s.calmPhase(Setup{}, prof, r, 12) }); err != nil {
		t.Fatalf("calm phase with no live node: %v", err)
	}
	if err := bootPanic(func() {
		s.idlePhase(ClassCrash, Setup{Outage: true}, prof, r, time.Second, Guarantee{})
	}); err != nil {
		t.Fatalf("idle stretch with no live node: %v", err)
	}
}
