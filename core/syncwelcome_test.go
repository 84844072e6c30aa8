package core

import "testing"

// TestJoinerStartsOnlyItsShareOfTheWholeRing: a 4th node joining 3 that
// run 600 children starts exactly the children a 4-node ring places on
// it. Before the welcome carried the seed's sync (syncwelcome.go), the
// joiner got its seed's registry before the member list, counted itself
// synced with its seed alone in view and started every child a ring of
// itself and its seed gave it (about half of them, most running
// elsewhere), then stopped them once it learned the other members.
func TestJoinerStartsOnlyItsShareOfTheWholeRing(t *testing.T) {
	const n = 600
	ring := NewRing(DefaultConfig("n1").Distribution.VirtualNodes, []NodeID{"n1", "n2", "n3", "n4"})
	for _, mode := range []struct {
		name string
		tune func(*Config)
	}{{"cold", nil}, {"hot", hotSwapWithHandover}} {
		t.Run(mode.name, func(t *testing.T) {
			k, _ := joinFourth(t, n, mode.tune)
			share := 0
			for _, s := range benchSpecs("c", n) {
				share += btoi(ring.BelongsTo(s.ID, 1)[0] == "n4")
			}
			wrong := 0
			for _, id := range k.started["n4"] {
				if owner := ring.BelongsTo(id, 1)[0]; owner != "n4" {
					if wrong == 0 {
						t.Errorf("n4 started %s, which the 4-node ring places on %s", id, owner)
					}
					wrong++
				}
			}
			if wrong > 0 || len(k.started["n4"]) != share {
				t.Errorf("n4 started %d children (%d not its own), want its %d", len(k.started["n4"]), wrong, share)
			}
			for _, p := range []NodeID{"n1", "n2", "n3"} {
				if len(k.started[p]) != 0 {
					t.Errorf("%s started %d children on a join that moves children only to n4", p, len(k.started[p]))
				}
			}
		})
	}
}
