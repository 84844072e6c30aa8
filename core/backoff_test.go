package core

import (
	"errors"
	"testing"
	"time"
)

// TestRetransmissionsBackOff: a request whose owner never completes (its
// peer's replication acknowledgements are lost) is resent by its origin,
// and the owner's replication by the owner, first after RetryInterval and
// then at doubling intervals up to 4 RetryIntervals — a constant number of
// resends per 4 RetryIntervals, not one per RetryInterval (a slow
// 100,000-child start resent ~33,000 specs to each owner every 300 ms).
func TestRetransmissionsBackOff(t *testing.T) {
	c := newLockstep(t, 2, fastTiming)
	c.drop = func(env Envelope) bool { return env.Msg.Kind == MsgReplicateAck }
	id := c.ownedBy("n2", "c")
	mark := len(c.sent)
	rep := c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}})
	if len(rep.Results) != 1 || !errors.Is(rep.Results[0].Err.Err(), ErrTimeout) {
		t.Fatalf("reply %+v, want one ErrTimeout result", rep)
	}
	requests, replications := 0, 0
	for _, env := range c.sent[mark:] {
		switch {
		case env.Msg.From == "n1" && env.Msg.Kind == MsgRequest:
			requests++
		case env.Msg.From == "n2" && env.Msg.Kind == MsgReplicate && env.Msg.Seq != 0:
			replications++
		}
	}
	tm := c.nodes["n1"].cfg.Timing
	r, d := tm.RetryInterval, tm.RequestTimeout
	// Sends at 0, R, 3R, 7R, then every 4R until the deadline.
	most := 4 + int((d-7*r+4*r-1)/(4*r))
	without := int(d / r)
	t.Logf("within %v: %d request sends, %d replication sends (backoff allows %d; resending every %v would be ~%d)", d, requests, replications, most, r, without)
	for what, got := range map[string]int{"request": requests, "replication": replications} {
		if got > most {
			t.Errorf("%s sent %d times within %v: more than the backoff's %d", what, got, d, most)
		}
		if got < 3 {
			t.Errorf("%s sent %d times within %v: a lost message must still be resent after %v and %v", what, got, d, r, 3*r)
		}
	}
	if retryDue(0, 0, 5, time.Second) != false || retryDue(Instant(4*time.Second), 0, 5, time.Second) != true {
		t.Error("the backoff is not capped at 4 retry intervals")
	}
}
