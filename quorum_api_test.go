package phub_test

import (
	"errors"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// priority_state_updated (ProcessHub: the event queue's lock changed)
// fires when a node loses quorum, detail "partitioned", and when it
// regains it, detail "quorum_regained".
func TestPriorityStateUpdatedOnQuorumChange(t *testing.T) {
	c := newCluster(t, 2, func(cfg *core.Config) {
		cfg.Partition.Kind = core.StaticQuorum
		cfg.Partition.QuorumSize = 2
	})
	a := c.hub("a")
	c.waitFor(10*time.Second, "a has quorum", func() bool { return !a.Partitioned() })
	details := make(chan string, 16)
	if err := a.RegisterHook(core.HookPriorityStateUpdated, "q", func(h core.Hook) { details <- h.Detail }); err != nil {
		t.Fatal(err)
	}
	next := func(want string) {
		t.Helper()
		select {
		case got := <-details:
			if got != want {
				t.Fatalf("priority_state_updated detail %q, want %q", got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no priority_state_updated hook (want %q)", want)
		}
	}
	c.net.Disconnect("b")
	next("partitioned")
	if !a.Partitioned() {
		t.Error("the hook said partitioned, Partitioned() says no")
	}
	c.net.Reconnect("b")
	next("quorum_regained")
	if a.CancelHook(core.HookPriorityStateUpdated, "no-such-id") {
		t.Error("CancelHook of an unknown id reported a handler")
	}
	if !a.CancelHook(core.HookPriorityStateUpdated, "q") {
		t.Error("CancelHook of a registered id reported none")
	}
}

// ResetClusterSize (MajorityQuorum.reset_cluster_size) lets a node that
// lost its majority after a planned downsize serve again at once, and
// refuses a size below 1 and a hub without the majority quorum strategy.
func TestResetClusterSize(t *testing.T) {
	c := newCluster(t, 3, func(cfg *core.Config) {
		cfg.Partition.Kind = core.MajorityQuorum
		cfg.Partition.InitialClusterSize = 3
	})
	a := c.hub("a")
	ctx := ctxT(t, 30*time.Second)
	if err := a.ResetClusterSize(ctx, 0); !errors.Is(err, phub.ErrResetClusterSize) {
		t.Fatalf("ResetClusterSize(0): %v, want ErrResetClusterSize", err)
	}
	c.waitFor(20*time.Second, "a holds a majority of 3", func() bool { return !a.Partitioned() })
	c.net.Disconnect("a")
	// a may count itself partitioned before it has seen every peer go
	// (a member not yet established counts for nobody's majority,
	// core/quorum_members.go): wait until it is alone.
	c.waitFor(20*time.Second, "a alone, without a majority of 3", func() bool {
		for _, m := range a.Members() {
			if m.Name != "a" && m.Status == core.StatusAlive {
				return false
			}
		}
		return a.Partitioned()
	})
	if err := a.ResetClusterSize(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if a.Partitioned() {
		t.Error("a still partitioned after ResetClusterSize(1)")
	}
	if _, err := a.StartChild(ctx, core.ChildSpec{ID: "solo", Kind: "noop"}); err != nil {
		t.Errorf("start on a after the reset: %v", err)
	}
	c.net.Reconnect("a")

	s := newCluster(t, 1, func(cfg *core.Config) { cfg.Partition.Kind = core.StaticQuorum; cfg.Partition.QuorumSize = 1 })
	if err := s.hub("a").ResetClusterSize(ctx, 1); !errors.Is(err, phub.ErrResetClusterSize) {
		t.Errorf("ResetClusterSize on a static quorum hub: %v, want ErrResetClusterSize", err)
	}
}
