package sim

import (
	"strings"
	"testing"

	"github.com/phub/phub/core"
)

// TestRapidQuorumRegressionCatchesViewCounting proves that the committed
// fail file TestRapidCluster-quorum-crash-join-leave-cut.fail is a
// regression that can fail: replayed on a core whose majority quorum
// counts views (core.Broken.QuorumCountsViews, the rule before
// core/quorum_members.go), its case fails the minority-window check — a
// node cut off with two of the four members it knew acknowledged a stop —
// while TestRapidCluster replays it on the real core and passes.
func TestRapidQuorumRegressionCatchesViewCounting(t *testing.T) {
	tb := &captureTB{name: t.Name()}
	withRapidFlags(t, map[string]string{
		"rapid.failfile":   "testdata/rapid/TestRapidCluster/TestRapidCluster-quorum-crash-join-leave-cut.fail",
		"rapid.checks":     "1",
		"rapid.nofailfile": "true",
	}, func() {
		checkCaptured(tb, rapidClusterProp(rapidConfig{Broken: core.BrokenFor{QuorumCountsViews: true}}))
	})
	if !tb.failed {
		t.Fatalf("the fail file passed on a core that counts views: %v", tb.logs)
	}
	if msg := strings.Join(tb.errors, "\n"); !strings.Contains(msg, "inside minority window") {
		t.Fatalf("the fail file failed, but not on a minority window:\n%s", msg)
	}
}
