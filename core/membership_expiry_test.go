package core

import (
	"fmt"
	"testing"
	"time"
)

// The expiry scan (expireMembers) looks up only the members that expire:
// while a SWIM cluster forms none does (probes decide who is down), so
// no member is looked up, however many scans the changes cause. A copy
// of every name and a lookup each per scan cost every node O(N) per
// scan: 1701 lookups in the first 30 s of 32 nodes before (1.7 per
// member learned), 0 now.
func TestFormingExpiryScanLooksUpNoMember(t *testing.T) {
	for _, size := range []int{16, 32} {
		e := newTestEnv()
		e.tune = func(c *Config) { c.Membership.Detector = Swim }
		for i := size; i >= 1; i-- {
			if err := e.addNode(NodeID(fmt.Sprintf("n%03d", i)), 1); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.run(10*time.Second, true, e.formed); err != nil {
			t.Fatalf("%d swim nodes did not form: %v", size, err)
		}
		if _, err := e.run(20*time.Second, true, nil); err != nil { // past DownAfter: the scans have run
			t.Fatal(err)
		}
		looks, scans := 0, 0
		for _, n := range e.nodes {
			looks += n.members.delta.expireLooks
			scans += btoi(n.members.delta.expiryOK)
		}
		if scans == 0 {
			t.Fatalf("%d swim nodes: no expiry scan ran", size)
		}
		if looks != 0 {
			t.Errorf("%d swim nodes: the expiry scans looked up %d members, want 0 (none expires)", size, looks)
		}
	}
}
