package core

import (
	"hash/fnv"
	"slices"
	"testing"
)

// TestRingPlacementIsAWireContract: nodes of different builds share a
// cluster during a rolling upgrade (WireJSON), and they agree where each
// child belongs only if the ring computes the same placement in every
// build. The ring hash is the documented FNV-1a 64 with a splitmix64
// finalizer (checked against the standard library's FNV), and a few
// placements on a five-node ring with the default 128 virtual nodes are
// pinned: a change of either moves children between builds.
func TestRingPlacementIsAWireContract(t *testing.T) {
	splitmix := func(z uint64) uint64 {
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		return z ^ (z >> 31)
	}
	r := newRing(DefaultConfig("n1").Distribution.VirtualNodes)
	r.set([]NodeID{"n5", "n3", "n1", "n4", "n2"})
	for _, c := range []struct {
		id     ChildID
		hash   uint64
		owners []NodeID // the first three nodes clockwise
	}{
		{"job-1", 0xfed2e199023f9450, []NodeID{"n2", "n3", "n4"}},
		{"job-2", 0xd510f22fb94c22e2, []NodeID{"n2", "n5", "n4"}},
		{"job-3", 0x495303f0658ff42b, []NodeID{"n5", "n1", "n2"}},
		{"job-4", 0x8b865cac4f8f5026, []NodeID{"n2", "n1", "n5"}},
		{"job-5", 0x2dd23330791e18cd, []NodeID{"n1", "n4", "n2"}},
		{"job-6", 0x7fdd4f1723707530, []NodeID{"n4", "n2", "n3"}},
		{"job-7", 0xfd639ab87ab3b65a, []NodeID{"n1", "n4", "n2"}},
		{"job-8", 0x35d84ec541a4d3d6, []NodeID{"n5", "n3", "n4"}},
		{"worker/eu-west/42", 0x1912221221287704, []NodeID{"n3", "n4", "n2"}},
		{"", 0xf52a15e9a9b5e89b, []NodeID{"n1", "n5", "n2"}},
	} {
		f := fnv.New64a()
		f.Write([]byte(c.id))
		if want := splitmix(f.Sum64()); want != c.hash {
			t.Fatalf("the pinned hash of %q is %#x, FNV-1a+splitmix64 gives %#x: fix the table", c.id, c.hash, want)
		}
		if got := stableHash(string(c.id)); got != c.hash {
			t.Errorf("stableHash(%q) = %#x, want %#x (FNV-1a 64 + splitmix64)", c.id, got, c.hash)
		}
		if got := r.successors(nil, c.id, 3); !slices.Equal(got, c.owners) {
			t.Errorf("%q is placed on %v, want %v as in every earlier build", c.id, got, c.owners)
		}
		if got := r.first(c.id); got != c.owners[0] {
			t.Errorf("the owner of %q is %s, want %s", c.id, got, c.owners[0])
		}
	}
}
