package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/store"
)

// Durability measures what the durable registry costs (README,
// Performance): awaited starts with durability off and on (each batch
// written and fsynced before the acknowledgements it supports), the
// recovery of a node's state from disk, and the disk bytes per entry.
// The stores live in temporary directories under dir ("" = os.TempDir):
// the fsync cost depends on that file system.
func Durability(o Options, dir string) ([]Figure, error) {
	o = o.withDefaults()
	var figs []Figure
	emit := o.emitter(&figs)
	for _, n := range o.StartSizes {
		for _, durable := range []bool{false, true} {
			mode := "off"
			if durable {
				mode = "on"
			}
			f := Figure{Name: fmt.Sprintf("start %d children, awaited (reply), durability %s", n, mode), Unit: "ms"}
			for r := 0; r < o.Runs; r++ {
				d, err := durableStart(n, r, durable, dir)
				if err != nil {
					return figs, fmt.Errorf("durable start %d: %w", n, err)
				}
				f.Samples = append(f.Samples, ms(d))
			}
			emit(f)
		}
	}
	n := o.StartSizes[len(o.StartSizes)-1]
	load := Figure{Name: fmt.Sprintf("recovery: load a node's state of %d entries from disk (read, checksum, decode, build)", n), Unit: "ms"}
	restart := Figure{Name: fmt.Sprintf("recovery: restart a node of %d entries until it serves them again", n), Unit: "ms"}
	logBytes := Figure{Name: "disk bytes per entry (log, after the awaited start)", Unit: "B"}
	snapBytes := Figure{Name: "disk bytes per entry (compacted snapshot)", Unit: "B"}
	for r := 0; r < o.Runs; r++ {
		l, rs, lb, sb, err := recovery(n, r, dir)
		if err != nil {
			return figs, fmt.Errorf("recovery %d: %w", n, err)
		}
		load.Samples, restart.Samples = append(load.Samples, ms(l)), append(restart.Samples, ms(rs))
		logBytes.Samples, snapBytes.Samples = append(logBytes.Samples, lb), append(snapBytes.Samples, sb)
	}
	emit(load)
	emit(restart)
	emit(logBytes)
	emit(snapBytes)
	return figs, nil
}

// durabilityDownAfter is the failure detection of the durability
// figures' clusters, durable or not (see cluster.downAfter).
const durabilityDownAfter = 30 * time.Second

// durabilityAwait bounds each awaited start of the durability figures:
// generous, so a loaded machine yields slow figures, not a failed run
// (at a load average of ~35 a 100,000-child start outlived 1 minute).
const durabilityAwait = 4 * time.Minute

// durableStart starts n children with await on a fresh 3-node cluster,
// durable or not, and returns the time to the reply.
func durableStart(n, run int, durable bool, dir string) (time.Duration, error) {
	d := ""
	if durable {
		tmp, err := os.MkdirTemp(dir, "phubd-bench-")
		if err != nil {
			return 0, err
		}
		defer os.RemoveAll(tmp)
		d = tmp
	}
	c, err := newClusterIn(3, d, durabilityDownAfter)
	if err != nil {
		return 0, err
	}
	defer c.close()
	sp := specs(fmt.Sprintf("d%d", run), n)
	ctx, cancel := context.WithTimeout(context.Background(), durabilityAwait+time.Minute)
	defer cancel()
	runtime.GC()
	t0 := time.Now()
	res, err := c.hubs[0].StartChildren(ctx, sp, phub.Await(), phub.Timeout(durabilityAwait))
	ack := time.Since(t0)
	if err != nil {
		return 0, err
	}
	if !res.OK() {
		return 0, fmt.Errorf("%d children failed, first %v", len(res.Errors()), res.Errors()[0])
	}
	return ack, nil
}

// recovery starts n children on a durable 3-node cluster, then measures
// loading the third node's store (a fresh process's view of it), and a
// restart of that node — a crash (its hub stopped without a graceful
// leave is not possible from outside, so it is closed, which keeps its
// registry on disk) and a new hub on the same store — until its registry
// holds the n entries again. It also reports the store's bytes per entry.
func recovery(n, run int, dir string) (load, restart time.Duration, logPerEntry, snapPerEntry float64, err error) {
	tmp, err := os.MkdirTemp(dir, "phubd-bench-")
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer os.RemoveAll(tmp)
	c, err := newClusterIn(3, tmp, durabilityDownAfter)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer c.close()
	sp := specs(fmt.Sprintf("r%d", run), n)
	ctx, cancel := context.WithTimeout(context.Background(), durabilityAwait+time.Minute)
	defer cancel()
	if res, err := c.hubs[0].StartChildren(ctx, sp, phub.Await(), phub.Timeout(durabilityAwait)); err != nil || !res.OK() {
		return 0, 0, 0, 0, fmt.Errorf("start: %v", err)
	}
	if err := waitUntil(durabilityAwait, func() bool { return c.allEntries(n) }); err != nil {
		return 0, 0, 0, 0, err
	}
	victim := len(c.hubs) - 1
	name := c.names[victim]
	logPerEntry = float64(dirBytes(filepath.Join(tmp, string(name)))) / float64(n)
	cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
	c.hubs[victim].Close(cctx)
	ccancel()

	runtime.GC()
	t0 := time.Now()
	st, err := store.Open(filepath.Join(tmp, string(name)))
	if err != nil {
		return 0, 0, 0, 0, err
	}
	snap, err := st.Load()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	cfg := core.DefaultConfig(name)
	cfg.Incarnation = snap.NextIncarnation(uint64(time.Now().UnixNano()))
	node, err := core.NewNodeFromSnapshot(cfg, core.Instant(time.Now().UnixNano()), snap)
	load = time.Since(t0)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if node.Recovered() < n {
		return 0, 0, 0, 0, fmt.Errorf("recovered %d entries of %d", node.Recovered(), n)
	}
	if err := st.Compact(); err != nil {
		return 0, 0, 0, 0, err
	}
	snapPerEntry = float64(st.Bytes()) / float64(n)
	st.Close()

	// A restart on the same store: New loads it, the node rejoins.
	c.hubs = c.hubs[:victim]
	c.names = c.names[:victim]
	c.stores = c.stores[:victim]
	runtime.GC()
	t1 := time.Now()
	if err := c.addNamed(name); err != nil {
		return 0, 0, 0, 0, err
	}
	h := c.hubs[len(c.hubs)-1]
	if err := waitUntil(durabilityAwait, func() bool { return len(h.List()) >= n }); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("restarted node holds %d of %d", len(h.List()), n)
	}
	restart = time.Since(t1)
	return load, restart, logPerEntry, snapPerEntry, nil
}

func dirBytes(dir string) int64 {
	var total int64
	_ = filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			total += info.Size()
		}
		return nil
	})
	return total
}
