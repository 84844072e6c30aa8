package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/phub/phub/core"
)

// testBrokenEnv names the hidden, test-only variable that injects
// core.Config.Broken faults into a node, so e2e/netfault can prove its
// verdict catches a broken phubd. It lies outside the PHUB_ namespace
// (the configuration rejects unknown PHUB_* variables), is not listed by
// `phubd run -h`, and must never be set in production. Its value is a
// comma-separated list of ack-before-replicate, ignore-epochs, skip-sync,
// quorum-ignores-seeds (majority quorum without counting the configured
// seeds not yet identified, the rule before core/quorum_seeds.go),
// volatile-epoch-floor (a durable node that never persists its epoch
// floor), zero-stopped-at (tombstones written without their stop time,
// so they are collected at once), no-epoch-floor (a child whose tombstone
// expired starts again at epoch 1), intensity-off-by-one (one restart
// more than Restart.MaxRestarts within Restart.Window),
// which-global-drops-child (a peer's first child left out of
// which_children_global) and
// no-fence-guard (strict mode without its fence guard process, so e2e can
// show what the guard prevents).
const testBrokenEnv = "PHUBD_TEST_BROKEN"

// noFenceGuard is the PHUBD_TEST_BROKEN fault that runs strict mode without
// its fence guard process.
const noFenceGuard = "no-fence-guard"

// splitNodeFaults separates no-fence-guard (a fault of the node, not of
// core) from the faults applyTestBroken applies.
func splitNodeFaults(value string) (coreFaults string, withoutGuard bool) {
	var rest []string
	for _, name := range strings.Split(value, ",") {
		if strings.TrimSpace(name) == noFenceGuard {
			withoutGuard = true
			continue
		}
		if name != "" {
			rest = append(rest, name)
		}
	}
	return strings.Join(rest, ","), withoutGuard
}

// applyTestBroken sets the faults named by value on b. An unknown name
// is an error naming it; an empty value changes nothing.
func applyTestBroken(value string, b *core.BrokenFor) error {
	if value == "" {
		return nil
	}
	for _, name := range strings.Split(value, ",") {
		switch strings.TrimSpace(name) {
		case "ack-before-replicate":
			b.AckBeforeReplicate = true
		case "ignore-epochs":
			b.IgnoreEpochs = true
		case "skip-sync":
			b.SkipSync = true
		case "quorum-ignores-seeds":
			b.QuorumIgnoresSeeds = true
		case "volatile-epoch-floor":
			b.VolatileEpochFloor = true
		case "zero-stopped-at":
			b.ZeroStoppedAt = true
		case "no-epoch-floor":
			b.NoEpochFloor = true
		case "intensity-off-by-one":
			b.IntensityOffByOne = true
		case "which-global-drops-child":
			b.WhichGlobalDropsChild = true
		default:
			return fmt.Errorf("%s: unknown fault %q (want ack-before-replicate, ignore-epochs, skip-sync, quorum-ignores-seeds, volatile-epoch-floor, zero-stopped-at, no-epoch-floor, intensity-off-by-one, which-global-drops-child or %s)", testBrokenEnv, name, noFenceGuard)
		}
	}
	return nil
}

// injectTestFaults applies value (the content of PHUBD_TEST_BROKEN) to
// cfg.Broken and logs a warning when any fault is injected.
func injectTestFaults(cfg *core.Config, value string, log *slog.Logger) error {
	if err := applyTestBroken(value, &cfg.Broken); err != nil {
		return err
	}
	if cfg.Broken != (core.BrokenFor{}) {
		log.Warn("phubd: test-only protocol faults injected", "env", testBrokenEnv, "faults", fmt.Sprintf("%+v", cfg.Broken))
	}
	return nil
}
