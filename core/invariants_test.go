package core

import (
	"strings"
	"testing"
	"time"
)

// TestCheckInvariantsCatchesCorruption breaks each invariant of a running
// node by hand and expects CheckInvariants to name it; the healthy node
// passes.
func TestCheckInvariantsCatchesCorruption(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(n *Node)
		want    string
	}{
		{"digest", func(n *Node) { n.reg.digest ^= 1 }, "digest"},
		{"live count", func(n *Node) { n.reg.live++ }, "live entries"},
		{"unclaimed child", func(n *Node) { n.reg.dropClaim(n.cfg.Name, "a") }, "not claimed"},
		{"stale claim", func(n *Node) { delete(n.local, "a") }, "no local instance"},
		{"claim instance", func(n *Node) { n.local["a"].instance++ }, "claimed as instance"},
		{"dirty order", func(n *Node) { n.dirtyOrder = append(n.dirtyOrder, "zz") }, "dirty"},
		{"orphan sub-request", func(n *Node) { n.pending.bySeq[99] = &subReq{seq: 99, parent: &pendingReq{req: Request{ID: 7}}} }, "not pending"},
		{"done table bound", func(n *Node) {
			for i := range maxDoneResults + 1 {
				n.repl.done[reqKey{seq: uint64(i)}] = doneResults{}
			}
		}, "done table"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv()
			if err := e.command("cluster", args{"n": {"2"}}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.run(time.Second, true, e.formed); err != nil {
				t.Fatal(err)
			}
			n := e.nodes["n1"]
			n.Request(e.now, Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: "a"}}, Start: StartOptions{Await: true}})
			e.drain("n1")
			if _, err := e.run(100*time.Millisecond, true, nil); err != nil {
				t.Fatal(err)
			}
			holder := e.nodes["n1"]
			if holder.local["a"] == nil {
				holder = e.nodes["n2"]
			}
			if err := holder.CheckInvariants(); err != nil {
				t.Fatalf("healthy node: %v", err)
			}
			tc.corrupt(holder)
			err := holder.CheckInvariants()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("after corrupting the %s: %v, want an error naming %q", tc.name, err, tc.want)
			}
		})
	}
}

// TestDigestChangeInvariant: the per-input digest check passes the
// registry's own changes (puts, overwrites, removals) and names a
// removal that left the digest stale (Broken.DigestIgnoresRemoval), at
// the input that did it.
func TestDigestChangeInvariant(t *testing.T) {
	for _, broken := range []bool{false, true} {
		r := newRegistry()
		r.staleDigest = broken
		r.watchDigest()
		r.put(&Entry{Spec: ChildSpec{ID: "a"}, Epoch: 1, By: "n1"})
		r.put(&Entry{Spec: ChildSpec{ID: "b"}, Epoch: 1, By: "n1"})
		if err := r.digestChangeInvariant(); err != nil {
			t.Fatalf("puts: %v", err)
		}
		r.put(&Entry{Spec: ChildSpec{ID: "a"}, Epoch: 2, Stopped: true, By: "n2"})
		if err := r.digestChangeInvariant(); err != nil {
			t.Fatalf("overwrite: %v", err)
		}
		r.remove("a")
		err := r.digestChangeInvariant()
		if broken != (err != nil) || (broken && !strings.Contains(err.Error(), "after this input's 1 entry changes")) {
			t.Fatalf("removal (broken %v): %v", broken, err)
		}
		if err := r.digestChangeInvariant(); err != nil {
			t.Fatalf("an input without changes: %v", err)
		}
	}
}
