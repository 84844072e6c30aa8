package core

import (
	"testing"
	"time"
)

// TestHotSwapRenewalDeadlineKeepsTheInstanceOnAnUnreadyNode: a renewal
// (a stale generation restarted here, renewWithState) whose old instance
// never gives its state stops it at Retention and starts the new
// generation without state (tickMigrations). If the node is not ready
// then (a member came back and its full sync is awaited), nothing can
// start here: the instance keeps running, as when the state comes late
// (onHandoverState, TestHotSwapRenewalWaitsWhileAReturningMembersSyncIsAwaited),
// and the renewal is tried again once the node is ready. Before, the
// instance stopped at Retention and the child ran nowhere until the sync.
func TestHotSwapRenewalDeadlineKeepsTheInstanceOnAnUnreadyNode(t *testing.T) {
	const retention = time.Second
	c, id, n1, l := hotSwapChildOn(t, 3, "n1", "u", retention)

	// n3 goes away, then comes back; its full sync to n1 is held back.
	cut := true
	c.drop = func(env Envelope) bool {
		if env.To == "n3" || env.Msg.From == "n3" {
			return cut || (env.To == "n1" && env.Msg.Kind != MsgHeartbeat)
		}
		return false
	}
	c.until(func() bool { return !n1.members.alive("n3") }, time.Minute, "n1 takes n3 for down")
	n1.renewWithState(l) // the instance never answers with its state
	c.pump()
	asked := c.now
	cut = false
	c.until(func() bool { return n1.members.alive("n3") }, time.Minute, "n1 sees n3 back")
	c.until(func() bool { return c.now.Sub(asked) > retention+100*time.Millisecond }, time.Minute, "the renewal's retention passes")
	if n1.ready() {
		t.Fatal("n1 is ready without n3's full sync: the test does not test a renewal's deadline on an unready node")
	}
	if n1.local[id] != l {
		t.Fatalf("n1 stopped its instance at the renewal's retention while it cannot start the next (n3's sync awaited); runs now: %v", n1.local[id] != nil)
	}

	c.drop = nil
	c.until(n1.ready, time.Minute, "n1 gets n3's full sync")
	c.runFor(3 * retention)
	e, ok := n1.reg.get(id)
	if now := n1.local[id]; !ok || now == nil || now.epoch != e.Epoch || now.status != childRunning {
		t.Fatalf("once ready, n1 does not run %s at the registry's epoch: local %+v, entry %+v", id, now, e)
	}
}
