package bench

import (
	"fmt"

	"github.com/phub/phub/core"
)

// hotSwap configures hot-swap migration with state handover: the joiner
// starts its instance first, the old holder hands its state over (an
// IdleChild hands an empty state at once) and stops once the handover is
// acknowledged.
func hotSwap(c *core.Config) {
	c.Migration.Kind, c.Migration.Handover = core.HotSwap, true
}

// emitRedistribution measures the redistribution of 10,000 children
// from 3 to 4 nodes until every registry matches the ring, o.Runs times,
// with swap configuring the migration (nil: cold swap), and emits the
// wall time under name followed by its load-independent counts: CPU
// time, entries and full syncs sent, messages. what names the figure in
// an error.
func emitRedistribution(o Options, name, what string, swap func(*core.Config), emit func(Figure)) error {
	wall := Figure{Name: name, Unit: "ms"}
	cpu := Figure{Name: "  its CPU time, all 4 nodes and the poll (load-independent)", Unit: "ms"}
	entries := Figure{Name: "  its registry entries sent per child (load-independent)", Unit: "entries"}
	syncs := Figure{Name: "  its full syncs carrying entries (load-independent)", Unit: "syncs"}
	msgs := Figure{Name: "  its messages sent (load-independent)", Unit: "msgs"}
	for r := 0; r < o.Runs; r++ {
		m, err := redistribution(10000, r, swap)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		wall.Samples = append(wall.Samples, ms(m.wall))
		cpu.Samples = append(cpu.Samples, ms(m.cpu))
		entries.Samples = append(entries.Samples, m.entriesPerChild)
		syncs.Samples = append(syncs.Samples, float64(m.fullSyncs))
		msgs.Samples = append(msgs.Samples, float64(m.messages))
	}
	for _, f := range []Figure{wall, cpu, entries, syncs, msgs} {
		emit(f)
	}
	return nil
}
