package main

import (
	"fmt"
	"io"

	"github.com/phub/phub/sim"
)

// seedCursor walks one class's seeds for phubd sim: every seed, or with
// strict only those that draw strict mode (--mode strict).
type seedCursor struct {
	class  sim.Class
	seed   uint64 // the last seed handed out
	strict bool
	index  uint64 // how many seeds were handed out (sharding counts these)

	runs, failures int
	last           uint64 // the last seed run here (this shard)
}

// next returns the class's next seed.
func (c *seedCursor) next() uint64 {
	c.seed++
	for c.strict && !sim.Draw(c.class, c.seed).Strict {
		c.seed++
	}
	c.index++
	return c.seed
}

// sweepCursor returns the cursor that gives the k-th seed of a sweep of
// count seeds per class: class after class, or with interleave
// round-robin (seed index i of every class before index i+1).
func sweepCursor(cursors []*seedCursor, count, k uint64, interleave bool) *seedCursor {
	if interleave {
		return cursors[k%uint64(len(cursors))]
	}
	return cursors[k/count]
}

// writeClassCounts prints what every class ran, so a sweep cut short
// (--for, --fail-fast) says how far it got: runs, failures and the last
// seed run per class.
func writeClassCounts(w io.Writer, cursors []*seedCursor) {
	if len(cursors) < 2 {
		return
	}
	for _, c := range cursors {
		fmt.Fprintf(w, "  %-14s %6d runs  %4d failures  last seed %d\n", c.class, c.runs, c.failures, c.last)
	}
}
