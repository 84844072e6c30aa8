package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// pinnedSeed is the messages seed TestAvailabilityPinnedGapsApart runs:
// the first messages seed, counting from 1, that draws guided children,
// an idle outage and a strategy every mode accepts (pinnedCandidate), and
// on which every mode of AvailabilityModes shows the pinned wait apart
// (pinnedGapsApart reports nothing). Which children a run pins to the
// outage node comes from the simulator's stream for guided mappings
// (sim.pinRng), the same in every mode and unmoved by message traffic
// since session 12; before, it came from the one random stream, which
// the join's single registry send (core/syncwelcome.go) moved off seed
// 28 to seed 82. If the workload's requests change, the search names
// the next seed:
// PHUB_PINNED_SEARCH=300 go test ./sim -run TestAvailabilityPinnedSeedSearch -v
const pinnedSeed = 28

// TestAvailabilityPinnedGapsApart: on pinnedSeed the idle stretch (47 s)
// keeps a node down and a guided child pinned to it waits the whole
// stretch. That wait is a pinned gap, not a failover gap (it was the 47 s
// maximum of the messages and partition rows).
func TestAvailabilityPinnedGapsApart(t *testing.T) {
	if st := Draw(ClassMessages, pinnedSeed); !pinnedCandidate(st) {
		t.Fatalf("messages seed %d drew guided=%v outage=%v strategy %s: pick another seed (pinnedSeed's doc)", pinnedSeed, st.Guided, st.Outage, st.Strategy)
	}
	for _, p := range pinnedGapsApart(ClassMessages, pinnedSeed) {
		t.Error(p)
	}
}

// pinnedCandidate reports whether a seed's setup can show a pinned wait
// in every availability mode: guided children, an idle outage, and a
// strategy every mode accepts (RunAvailability's: singularity with cold
// swap, or gossip).
func pinnedCandidate(st Setup) bool {
	return st.Guided && st.Outage && (st.Strategy == "singularity-cold" || st.Strategy == "gossip")
}

// pinnedGapsApart runs seed of class in every mode of AvailabilityModes
// and reports what keeps it from showing pinned waits apart: a mode with
// no pinned gap, a pinned gap shorter than the idle outage, or a failover
// gap long enough to be a pinned child's wait.
func pinnedGapsApart(class Class, seed uint64) []string {
	var problems []string
	for _, mode := range AvailabilityModes {
		_, s := RunSeedSim(class, seed, availabilityOptions(mode, Draw(class, seed).Nodes))
		a := s.Availability()
		if len(a.PinnedGaps) == 0 {
			problems = append(problems, fmt.Sprintf("%s: no pinned gap; gaps %v", mode, a.Gaps))
		}
		// The waits are wanted child-time that nothing ran: counted in
		// PinnedWanted, which Running never reaches into.
		if len(a.PinnedGaps) > 0 && a.PinnedWanted < 40*time.Second {
			problems = append(problems, fmt.Sprintf("%s: pinned gaps %v but %v of pinned wanted time, want the outage (~47 s) or more", mode, a.PinnedGaps, a.PinnedWanted))
		}
		if a.Running > a.Wanted-a.PinnedWanted {
			problems = append(problems, fmt.Sprintf("%s: running %v of %v wanted, %v of it pinned waits: something ran during a pinned wait?", mode, a.Running, a.Wanted, a.PinnedWanted))
		}
		for _, g := range a.PinnedGaps {
			if g < 40*time.Second {
				problems = append(problems, fmt.Sprintf("%s: a pinned gap of %v, want the idle outage (~47 s)", mode, g))
			}
		}
		for _, g := range a.Gaps {
			if g > 30*time.Second {
				problems = append(problems, fmt.Sprintf("%s: a failover gap of %v: a pinned child's wait counted as failover?", mode, g))
			}
		}
	}
	return problems
}

// TestAvailabilityPinnedSeedSearch (PHUB_PINNED_SEARCH=n) searches the
// first n messages seeds for pinnedSeed: it names the first candidate
// (pinnedCandidate) that shows pinned waits apart in every mode, and
// fails if none of the n does.
func TestAvailabilityPinnedSeedSearch(t *testing.T) {
	v := os.Getenv("PHUB_PINNED_SEARCH")
	if v == "" {
		t.Skip("set PHUB_PINNED_SEARCH=n to search the first n messages seeds")
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		t.Fatalf("PHUB_PINNED_SEARCH=%q: want a positive integer", v)
	}
	for seed := uint64(1); seed <= n; seed++ {
		if !pinnedCandidate(Draw(ClassMessages, seed)) {
			continue
		}
		problems := pinnedGapsApart(ClassMessages, seed)
		if len(problems) == 0 {
			t.Logf("first seed: %d (pinnedSeed is %d)", seed, pinnedSeed)
			return
		}
		t.Logf("seed %d: %v", seed, problems)
	}
	t.Fatalf("none of the first %d messages seeds shows pinned waits apart in every mode", n)
}

// TestAvailabilityPinnedLeaveWaitsApart: a guided child pinned to a node
// that leaves gracefully waits for that node, it does not fail over; its
// wait goes with the pinned waits, not the failover gaps after a leave
// (mix seed 26: c6, pinned to n1, waited the 2 min 30 s left of the run
// after n1 left, and was reported as the leave gaps' maximum). Since
// guided pins have a stream of their own (sim.pinRng) the seed is mix
// 152: c10, pinned to n2, waits the 1 min 25 s left after n2 leaves (no
// crash in the run).
func TestAvailabilityPinnedLeaveWaitsApart(t *testing.T) {
	const class, seed = ClassMix, 152
	st := Draw(class, seed)
	if !st.Guided {
		t.Fatalf("mix seed %d no longer draws guided children: pick another seed with a pinned child on a leaving node", seed)
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

// TestGuidedPinsAreTheSameInEveryMode: the availability report compares
// modes on the same seeds, so a guided child must be pinned to the same
// node in each; drawn from the simulator's one random stream, they were
// not (nontransitive seed 29: strict pinned 4 children to the outage
// node, divergence 3), and any change of message traffic moved them.
func TestGuidedPinsAreTheSameInEveryMode(t *testing.T) {
	const class, seed = ClassNonTransitive, 29
	st := Draw(class, seed)
	if !pinnedCandidate(st) {
		t.Fatalf("nontransitive seed %d drew guided=%v outage=%v strategy %s: pick another guided seed", seed, st.Guided, st.Outage, st.Strategy)
	}
	var first map[core.ChildID][]core.NodeID
	for _, mode := range AvailabilityModes {
		_, s := RunSeedSim(class, seed, availabilityOptions(mode, st.Nodes))
		if first == nil {
			first = s.guidedNodes
			if len(first) < 5 {
				t.Fatalf("%s pinned %d children: too few to compare", mode, len(first))
			}
			continue
		}
		same := 0
		for id, nodes := range s.guidedNodes {
			if want, ok := first[id]; ok {
				if !slices.Equal(nodes, want) {
					t.Errorf("%s pins %s to %v, %s to %v", mode, id, nodes, AvailabilityModes[0], want)
				}
				same++
			}
		}
		if same < len(first)/2 {
			t.Errorf("%s pinned %d of %s's %d children: the runs hardly share a workload", mode, same, AvailabilityModes[0], len(first))
		}
	}
}
