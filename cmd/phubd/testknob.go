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
// comma-separated list of ack-before-replicate, ignore-epochs, skip-sync.
const testBrokenEnv = "PHUBD_TEST_BROKEN"

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
		default:
			return fmt.Errorf("%s: unknown fault %q (want ack-before-replicate, ignore-epochs or skip-sync)", testBrokenEnv, name)
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
