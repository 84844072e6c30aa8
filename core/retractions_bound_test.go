package core

import (
	"fmt"
	"testing"
	"time"
)

// TestRetractionsStayBoundedUnderChurn: each node remembers, per peer,
// the version at which the peer retracted a claim (registry.removed), so
// that an older message cannot bring the claim back. Since the claims
// digest, full claim lists — which used to clear those records — go only
// with full syncs and repairs, so the records must go with the entry
// they guard: once a stopped child's tombstone is collected, no node
// remembers its retractions. Under endless churn of fresh ids, the
// records stay bounded by the registry, not by the ids ever stopped.
func TestRetractionsStayBoundedUnderChurn(t *testing.T) {
	const ttl = 20 * time.Second
	c := digestCluster(t, func(cfg *Config) { cfg.Timing.TombstoneTTL = ttl })
	retractions := func(name NodeID) int {
		k := 0
		for _, m := range c.nodes[name].reg.removed {
			k += len(m)
		}
		return k
	}
	id := uint64(100)
	stopped := 0
	for round := 0; round < 30; round++ {
		ids := churnRound(t, c, &id, round)
		stopped += len(ids)
		c.runFor(digestInterval)
	}
	// Past the tombstones' TTL, n2's garbage collection alone (before
	// any message, so before any full claim list clears them) leaves it
	// remembering no retraction of a collected child.
	n := c.nodes["n2"]
	if got := retractions("n2"); got < stopped/2 {
		t.Fatalf("n2 remembers %d retractions of %d stopped children before collecting: the test no longer churns claims", got, stopped)
	}
	n.now = n.now.Add(ttl + time.Second)
	n.collectGarbage()
	if n.reg.len() != n.reg.live {
		t.Fatalf("n2 still holds %d tombstones after their TTL", n.reg.len()-n.reg.live)
	}
	if got := retractions("n2"); got > n.reg.len() {
		t.Errorf("n2 remembers %d claim retractions after %d children were stopped and collected; its registry holds %d entries", got, stopped, n.reg.len())
	}
}

// churnRound starts 40 fresh children from n1 and stops them, awaiting
// both (request ids from *id on), and returns their ids.
func churnRound(t *testing.T, c *lockstep, id *uint64, round int) []ChildID {
	t.Helper()
	specs := benchSpecs(fmt.Sprintf("churn%d-", round), 40)
	*id++
	if r := c.request("n1", Request{ID: *id, Op: OpStart, Specs: specs, Start: StartOptions{Await: true}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	ids := make([]ChildID, len(specs))
	for i, s := range specs {
		ids[i] = s.ID
	}
	*id++
	if r := c.request("n1", Request{ID: *id, Op: OpStop, IDs: ids, Stop: StopOptions{Await: true}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	return ids
}
