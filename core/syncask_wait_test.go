package core

import (
	"testing"
)

// TestResyncAskWaitsARetryInterval: when a member comes back (a restart)
// a node waits for the full sync that member sends when they meet; it
// re-asks (MsgSyncRequest) only when the sync has not arrived a
// RetryInterval after the wait began — asking at once cost a second full
// registry transfer per member on every rejoin — and then does ask.
func TestResyncAskWaitsARetryInterval(t *testing.T) {
	c := newLockstep(t, 2, fastTiming)
	restarted := c.restart("n2", 2)
	// n2's full syncs to n1 are lost; membership gets through.
	c.drop = func(env Envelope) bool {
		k := env.Msg.Kind
		return env.To == "n1" && k != MsgWelcome && k != MsgHeartbeat && k != MsgJoin
	}
	mark := len(c.sent)
	n1 := c.nodes["n1"]
	var waitBegan, asked Instant
	retry := restarted.cfg.Timing.RetryInterval
	c.until(func() bool {
		if waitBegan == 0 && !n1.ready() {
			waitBegan = c.now
		}
		for _, env := range c.sent[mark:] {
			if env.Msg.From == "n1" && env.Msg.Kind == MsgSyncRequest {
				asked = c.now
				return true
			}
		}
		mark = len(c.sent)
		return false
	}, 20*retry, "a sync request from n1 to the restarted n2")
	if waitBegan == 0 {
		t.Fatal("n1 asked without waiting for n2's resync")
	}
	if waited := asked.Sub(waitBegan); waited < retry {
		t.Fatalf("n1 asked for n2's sync %v after the wait began, before a RetryInterval (%v)", waited, retry)
	}
}
