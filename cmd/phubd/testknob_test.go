package main

import (
	"strings"
	"testing"

	"github.com/phub/phub/core"
)

func TestTestBrokenKnob(t *testing.T) {
	var b core.BrokenFor
	if err := applyTestBroken("", &b); err != nil || b != (core.BrokenFor{}) {
		t.Fatalf("empty value: %+v, %v", b, err)
	}
	if err := applyTestBroken("ack-before-replicate, skip-sync,quorum-ignores-seeds,volatile-epoch-floor,zero-stopped-at,no-epoch-floor,intensity-off-by-one,which-global-drops-child", &b); err != nil {
		t.Fatal(err)
	}
	if want := (core.BrokenFor{AckBeforeReplicate: true, SkipSync: true, QuorumIgnoresSeeds: true, VolatileEpochFloor: true, ZeroStoppedAt: true, NoEpochFloor: true, IntensityOffByOne: true, WhichGlobalDropsChild: true}); b != want {
		t.Fatalf("got %+v, want %+v", b, want)
	}
	err := applyTestBroken("ignore-epochs,typo", &b)
	if err == nil || !strings.Contains(err.Error(), `unknown fault "typo"`) || !strings.Contains(err.Error(), testBrokenEnv) {
		t.Fatalf("unknown fault: %v", err)
	}
}
