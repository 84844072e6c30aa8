package core

import (
	"errors"
	"strings"
	"testing"
)

// TestPendingRequestIDsAndLimit: a request whose id is still pending is
// refused at once, naming the id, and the pending table refuses requests
// beyond Limits.MaxPendingRequests with ErrTooManyPending; neither
// disturbs the request already waiting.
func TestPendingRequestIDsAndLimit(t *testing.T) {
	c := newLockstep(t, 2, func(cfg *Config) {
		fastTiming(cfg)
		cfg.Limits.MaxPendingRequests = 2
	})
	c.drop = func(env Envelope) bool { return env.Msg.Kind == MsgRequest } // requests to n2 wait
	n1 := c.nodes["n1"]
	a, b, d := c.ownedBy("n2", "p"), c.ownedBy("n2", "q"), c.ownedBy("n2", "r")
	n1.Request(c.now, Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: a}}, Start: StartOptions{Await: true}})
	n1.Request(c.now, Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: b}}, Start: StartOptions{Await: true}})
	c.pump()
	if got := c.replies["n1"]; len(got) != 1 || got[0].ID != 1 || got[0].Err == nil || !strings.Contains(got[0].Err.Error(), "request id 1 already pending") {
		t.Fatalf("duplicate id: replies %+v, want one refusal naming id 1", got)
	}
	n1.Request(c.now, Request{ID: 2, Op: OpStart, Specs: []ChildSpec{{ID: b}}, Start: StartOptions{Await: true}})
	n1.Request(c.now, Request{ID: 3, Op: OpStart, Specs: []ChildSpec{{ID: d}}, Start: StartOptions{Await: true}})
	c.pump()
	if got := c.replies["n1"]; len(got) != 2 || got[1].ID != 3 || !errors.Is(got[1].Err, ErrTooManyPending) {
		t.Fatalf("over the limit: replies %+v, want request 3 refused with ErrTooManyPending", got)
	}
	if p := n1.Stats().Pending; p != 2 {
		t.Fatalf("%d requests pending, want 2 (ids 1 and 2)", p)
	}
}
