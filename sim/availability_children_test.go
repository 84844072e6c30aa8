package sim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestShortfallsAccountForTheTimeNotRunning: on pinnedSeed (a guided
// seed with an idle outage) every mode's shortfalls over all children sum
// to the run's wanted time not running, and the children pinned to the
// node that went away are among them, each short by the outage (~47 s).
func TestShortfallsAccountForTheTimeNotRunning(t *testing.T) {
	st := Draw(ClassMessages, pinnedSeed)
	if !pinnedCandidate(st) {
		t.Fatalf("messages seed %d is no pinned candidate (pinnedSeed's doc)", pinnedSeed)
	}
	for _, mode := range AvailabilityModes {
		_, s := RunSeedSim(ClassMessages, pinnedSeed, availabilityOptions(mode, st.Nodes))
		a := s.Availability()
		var sum time.Duration
		pinnedLong := 0
		for _, sf := range s.Shortfalls(-1) {
			sum += sf.Missing
			if len(sf.Pinned) > 0 && sf.Missing >= 40*time.Second {
				pinnedLong++
			}
		}
		if sum != a.Wanted-a.Running {
			t.Errorf("%s: shortfalls sum to %v, the run misses %v", mode, sum, a.Wanted-a.Running)
		}
		if pinnedLong == 0 {
			t.Errorf("%s: no pinned child short by the outage; pinned gaps %v", mode, a.PinnedGaps)
		}
		for _, sf := range s.Shortfalls(time.Second) {
			if sf.Missing <= time.Second || sf.Missing > sf.Wanted {
				t.Errorf("%s: %s short %v of %v wanted: outside (1 s, wanted]", mode, sf.Child, sf.Missing, sf.Wanted)
			}
		}
	}
}

// TestWriteAvailabilityChildrenNamesEachSeedAndMode: one line per seed
// and mode, children indented under it.
func TestWriteAvailabilityChildrenNamesEachSeedAndMode(t *testing.T) {
	var b bytes.Buffer
	WriteAvailabilityChildren(&b, []Class{ClassNone}, 1, nil)
	seed := availabilitySeeds(ClassNone, 1)[0]
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	k := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "  ") {
			continue
		}
		if k >= len(AvailabilityModes) || !strings.HasPrefix(l, fmt.Sprintf("none seed %d %s: running ", seed, AvailabilityModes[k])) {
			t.Fatalf("line %q: want one per mode of seed %d, in AvailabilityModes' order\n%s", l, seed, b.String())
		}
		k++
	}
	if k != len(AvailabilityModes) {
		t.Fatalf("%d seed lines, want %d\n%s", k, len(AvailabilityModes), b.String())
	}
}
