package core

import (
	"errors"
	"testing"
	"time"
)

// TestLocalTimingRequestTimeout: under LocalTiming an awaited start whose
// replication is never acknowledged is answered ErrTimeout after the 5 s
// its doc promises — not before, and within a tick after.
func TestLocalTimingRequestTimeout(t *testing.T) {
	c := newLockstep(t, 2, func(cfg *Config) { cfg.Timing = LocalTiming() })
	c.drop = func(env Envelope) bool { return env.Msg.Kind == MsgReplicateAck }
	id := c.ownedBy("n1", "c")
	sent := c.now
	rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
	if len(rep.Results) != 1 || !errors.Is(rep.Results[0].Err.Err(), ErrTimeout) {
		t.Fatalf("reply %+v, want one ErrTimeout result", rep)
	}
	waited := c.now.Sub(sent)
	if tick := LocalTiming().TickInterval; waited < 5*time.Second || waited > 5*time.Second+tick {
		t.Fatalf("answered ErrTimeout after %v, want 5s (+ one %v tick)", waited, tick)
	}
}
