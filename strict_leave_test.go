package phub_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// TestStrictCloseReleasesLeases: in strict mode, closing the hub that runs
// a child (a graceful leave) hands the child over without waiting out its
// lease: the runtime keeps reporting exits while the node leaves, so core
// sends its release round (core/strict_leave.go) and the voters grant the
// child to its new owner at once. Without the release the child could run
// elsewhere only once the voters' hold of the last grant ended, ≥ the lease
// (6 s here) after the close; the bound below is half of it.
func TestStrictCloseReleasesLeases(t *testing.T) {
	const lease = 6 * time.Second
	c := newCluster(t, 3, func(cfg *core.Config) {
		cfg.Partition = core.PartitionConfig{Kind: core.Strict, Voters: []core.NodeID{"a", "b", "c"}, Lease: lease}
		cfg.Migration.Kind = core.ColdSwap
	})
	// The voters grant nothing for one hold after they boot.
	ctx := ctxT(t, 4*lease)
	for {
		res, err := c.hub("a").StartChildren(ctx, []core.ChildSpec{{ID: "x", Kind: "noop"}}, phub.Await())
		if err == nil && len(res.Results) == 1 {
			err = res.Results[0].Err
		}
		if err == nil || errors.Is(err, phub.ErrAlreadyStarted) {
			break
		}
		// Refused during the boot hold, or not started in time on a
		// loaded machine: ask again.
		if !errors.Is(err, phub.ErrPartitioned) && !errors.Is(err, phub.ErrTimeout) || ctx.Err() != nil {
			t.Fatalf("start x: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var holder core.NodeID
	c.waitFor(4*lease, "x running", func() bool {
		on := c.runningOn()["x"]
		if len(on) == 1 {
			holder = on[0]
		}
		return len(on) == 1
	})
	closeCtx, cancel := context.WithTimeout(context.Background(), 2*lease)
	defer cancel()
	if err := c.hub(holder).Close(closeCtx); err != nil {
		t.Fatalf("Close(%s): %v", holder, err)
	}
	closed := time.Now()
	var elsewhere core.NodeID
	waitFor(t, 3*lease, "x running on another node", func() bool {
		for _, name := range c.names {
			if name == holder {
				continue
			}
			for _, ch := range c.hub(name).WhichChildrenLocal().Children {
				if ch.ID == "x" {
					elsewhere = name
					return true
				}
			}
		}
		return false
	})
	gap := time.Since(closed)
	t.Logf("x ran on %s %v after %s closed (lease %v)", elsewhere, gap, holder, lease)
	if gap > lease/2 {
		t.Fatalf("x ran again %v after its holder closed gracefully, want well under the lease %v (the leave's release round)", gap, lease)
	}
}
