package core

import (
	"errors"
	"fmt"
	"testing"
)

// TestExpiredRequestsAnswerInRequestOrder: requests that time out at the
// same tick are answered in the order of their ids, so a node's output
// depends only on its inputs (one seed = one run) and a client sees its
// timeouts in the order it asked.
func TestExpiredRequestsAnswerInRequestOrder(t *testing.T) {
	c := newLockstep(t, 2, fastTiming)
	c.drop = func(env Envelope) bool { return env.Msg.Kind == MsgReplicateAck }
	const n = 40
	for i := 1; i <= n; i++ {
		id := c.ownedBy("n2", fmt.Sprint("c", i))
		c.nodes["n1"].Request(c.now, Request{ID: uint64(i), Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
	}
	c.pump()
	c.until(func() bool { return len(c.replies["n1"]) == n }, 2*c.nodes["n1"].cfg.Timing.RequestTimeout, "every request answered")
	for i, r := range c.replies["n1"] {
		if r.ID != uint64(i+1) {
			t.Fatalf("reply %d answers request %d, want %d (requests answered out of order)", i, r.ID, i+1)
		}
		if len(r.Results) != 1 || !errors.Is(r.Results[0].Err.Err(), ErrTimeout) {
			t.Fatalf("request %d: %+v, want a timeout", r.ID, r)
		}
	}
}
