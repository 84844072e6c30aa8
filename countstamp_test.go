package phub_test

import (
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// TestCountAtStampsWhenTheCountChanged: CountAt returns each node's count
// with the time its loop changed it, which falls between the request and
// the moment every node was seen holding it — for a start and a stop.
// Fails if the stamp is not taken (the hub's start time comes back) or
// not paired with the count.
func TestCountAtStampsWhenTheCountChanged(t *testing.T) {
	c := newCluster(t, 3, nil)
	ctx := ctxT(t, 30*time.Second)
	sp := specs("idle", "stamp", 20)
	ids := make([]core.ChildID, len(sp))
	for i, s := range sp {
		ids[i] = s.ID
	}
	check := func(what string, want int, from time.Time) {
		t.Helper()
		c.waitFor(30*time.Second, what, func() bool {
			for _, h := range c.hubs {
				if h.Count() != want {
					return false
				}
			}
			return true
		})
		to := time.Now()
		for _, name := range c.names {
			n, at := c.hub(name).CountAt()
			if n != want || at.Before(from) || at.After(to) {
				t.Errorf("%s: %s's CountAt = %d at %v, want %d between %v and %v", what, name, n, at, want, from, to)
			}
			if n2, at2 := c.hub(name).CountAt(); n2 != n || !at2.Equal(at) {
				t.Errorf("%s: %s's CountAt moved without a change: %d at %v, then %d at %v", what, name, n, at, n2, at2)
			}
		}
	}
	t0 := time.Now()
	if res, err := c.hub("a").StartChildren(ctx, sp, phub.Await()); err != nil || !res.OK() {
		t.Fatalf("start: %v %v", err, res.Errors())
	}
	check("started", len(sp), t0)
	t1 := time.Now()
	if res, err := c.hub("b").StopChildren(ctx, ids, phub.Await()); err != nil || !res.OK() {
		t.Fatalf("stop: %v %v", err, res.Errors())
	}
	check("stopped", 0, t1)
}
