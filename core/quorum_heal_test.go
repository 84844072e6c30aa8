package core

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestMajorityQuorumHealStartMeetsRival is netfault's c03 (README,
// "Reliability on real processes"), scripted. Five nodes with majority
// quorum are split {n2,n3} | {n1,n4,n5}; x's ring owner is n2, and on
// the majority side another node, m, owns it. The heal is noticed link
// by link: n4 sees n2 and n3 first and sends them its full sync, so n2
// regains quorum ({n2,n3,n4}, 3 of 5) and counts itself synced. Only then
// does m start x (its round reaches n1 and n4: n4's sync to n2 has left
// without it) and answer ok. n2, x's owner again in its view, holds no
// version of x and starts it at the same epoch; its round reaches n3 and
// n4. n4 holds m's live start of that generation: it must refuse n2's
// write (conflict.go), or n2 answers ok too — two acknowledged starts of
// x with no stop between, which porcupine calls illegal.
//
// With Broken.MajorityAcceptsRivalWrites (the rule before quorum_rival.go)
// the same script ends in the two acknowledged starts: the window is
// reached.
func TestMajorityQuorumHealStartMeetsRival(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		e, x, m, first, second := healRivalStarts(t, false)
		if second.Err == "" {
			t.Fatalf("two acknowledged starts of %s with no stop between: %s answered ok on %v e%d, then n2 ok on %v e%d",
				x, m, first.Nodes, first.Epoch, second.Nodes, second.Epoch)
		}
		if second.Err == Code(ErrAlreadyStarted) && second.Epoch != first.Epoch {
			t.Fatalf("n2 answered already started at e%d, the start acknowledged was e%d", second.Epoch, first.Epoch)
		}
		healRivalConverges(t, e, x, m, first)
	})
	t.Run("broken: acknowledged twice", func(t *testing.T) {
		_, x, m, first, second := healRivalStarts(t, true)
		if second.Err != "" || second.Epoch != first.Epoch {
			t.Fatalf("without the refusal n2's start of %s: %+v, want ok at e%d like %s's", x, second, first.Epoch, m)
		}
	})
}

// healRivalStarts runs the script up to both starts and returns their
// results: m's on the majority side, then n2's after the partial heal.
func healRivalStarts(t *testing.T, broken bool) (e *testEnv, x ChildID, m NodeID, first, second ChildResult) {
	e = newMajorityWorld(t, broken)
	minority, majority := []NodeID{"n2", "n3"}, []NodeID{"n1", "n4", "n5"}
	x, m = healRivalChild(t, e.nodes["n1"])

	for _, a := range minority {
		for _, b := range majority {
			e.cut[[2]NodeID{a, b}], e.cut[[2]NodeID{b, a}] = true, true
		}
	}
	split := func() bool {
		return e.nodes["n2"].Partitioned() && len(e.nodes["n5"].View()) == 3 && len(e.nodes["n1"].View()) == 3 && len(e.nodes["n4"].View()) == 3
	}
	if _, err := e.run(10*time.Second, true, split); err != nil {
		t.Fatalf("split not detected: %v", err)
	}

	// The heal reaches n4 first.
	for _, a := range minority {
		delete(e.cut, [2]NodeID{a, "n4"})
		delete(e.cut, [2]NodeID{"n4", a})
	}
	n2 := e.nodes["n2"]
	regained := func() bool {
		return !n2.Partitioned() && n2.ready() && slices.Contains(e.nodes["n4"].View(), "n2")
	}
	if _, err := e.run(10*time.Second, true, regained); err != nil {
		t.Fatalf("n2 did not regain quorum through n4: %v (view %v partitioned %v ready %v needSync %v synced %v est %v maxSeen %d seeds %+v)", err, n2.View(), n2.Partitioned(), n2.ready(), n2.needSync, n2.synced, n2.quorum.members.est, n2.quorum.maxSeen, n2.quorum.seeds)
	}
	if o := n2.ownerFor(x, nil); o != "n2" {
		t.Fatalf("%s's owner in n2's view %v is %s", x, n2.View(), o)
	}
	if o := e.nodes[m].ownerFor(x, nil); o != m {
		t.Fatalf("%s's owner in %s's view %v is %s", x, m, e.nodes[m].View(), o)
	}

	first = startAt(t, e, m, x)
	if first.Err != "" {
		t.Fatalf("%s's start of %s: %+v (the setup failed)", m, x, first)
	}
	if v, ok := e.nodes["n4"].reg.get(x); !ok || v.Stopped || v.By != m {
		t.Fatalf("n4 holds %+v, want %s's start", v, m)
	}
	if v, ok := n2.reg.get(x); ok {
		t.Fatalf("n2 holds %+v before its start: the setup failed", v)
	}
	second = startAt(t, e, "n2", x)
	return e, x, m, first, second
}

var healNames = []NodeID{"n1", "n2", "n3", "n4", "n5"}

// healRivalConverges heals every link and checks that x then runs once,
// and every registry holds m's acknowledged start.
func healRivalConverges(t *testing.T, e *testEnv, x ChildID, m NodeID, first ChildResult) {
	e.cut = map[[2]NodeID]bool{}
	converged := func() bool {
		var on []NodeID
		for _, name := range healNames {
			if c := e.nodes[name].local[x]; c != nil {
				on = append(on, name)
			}
		}
		return len(on) == 1 && e.formed()
	}
	if _, err := e.run(10*time.Second, true, converged); err != nil {
		t.Fatalf("after the heal: %v", err)
	}
	for _, name := range healNames {
		if v, ok := e.nodes[name].reg.get(x); !ok || v.Stopped || v.Epoch != first.Epoch || v.By != m {
			t.Fatalf("%s holds %+v after the heal, want %s's acknowledged start e%d", name, v, m, first.Epoch)
		}
	}
}

// healRivalChild picks a child whose ring owner is n2 with every node up,
// and whose owner without n2 and n3 is n5 (as c03's was) or else n1: a
// majority-side owner other than n4, the one node both sides see.
func healRivalChild(t *testing.T, n *Node) (ChildID, NodeID) {
	for i := 0; i < 1000; i++ {
		id := ChildID(fmt.Sprintf("x%d", i))
		order := n.BelongsTo(id, 5)
		if len(order) != 5 || order[0] != "n2" {
			continue
		}
		for _, o := range order {
			if o == "n5" || o == "n1" {
				return id, o
			}
			if o == "n4" {
				break
			}
		}
	}
	t.Fatal("no child id owned by n2 whose majority-side owner is n1 or n5")
	return "", ""
}

// startAt sends an awaited start of id to node, settles, and returns the
// child's result from the node's reply.
func startAt(t *testing.T, e *testEnv, node NodeID, id ChildID) ChildResult {
	t.Helper()
	e.reqID++
	req := Request{ID: e.reqID, Op: OpStart, Specs: []ChildSpec{{ID: id}}, Start: StartOptions{Await: true}}
	e.nodes[node].Request(e.now, req)
	e.drain(node)
	if _, err := e.settle(true); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.replies[node] {
		if r.ID != req.ID {
			continue
		}
		if r.Err != nil && len(r.Results) == 0 {
			return ChildResult{ID: id, Err: Code(r.Err), Detail: r.Err.Error()}
		}
		if len(r.Results) != 1 {
			t.Fatalf("%s's reply to the start of %s: %+v", node, id, r)
		}
		return r.Results[0]
	}
	t.Fatalf("%s did not answer the start of %s within the settle", node, id)
	return ChildResult{}
}

// newMajorityWorld forms n1..n5 with majority quorum (every member
// established everywhere); broken sets Broken.MajorityAcceptsRivalWrites.
func newMajorityWorld(t *testing.T, broken bool) *testEnv {
	t.Helper()
	e := newTestEnv()
	e.replies = map[NodeID][]Reply{}
	e.tune = func(c *Config) {
		c.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: 5, TrackMaxSize: true}
		c.Broken.MajorityAcceptsRivalWrites = broken
	}
	for _, name := range healNames {
		if err := e.addNode(name, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.run(time.Minute, true, e.formed); err != nil {
		t.Fatalf("forming: %v", err)
	}
	established := func() bool {
		for _, name := range healNames {
			if len(e.nodes[name].quorum.members.est) != len(healNames) {
				return false
			}
		}
		return true
	}
	if _, err := e.run(10*time.Second, true, established); err != nil {
		t.Fatalf("members not established: %v", err)
	}
	return e
}

// TestMajorityQuorumOkNeedsAQuorumOfAcks: an owner's round stops waiting
// for peers that go down, and the view may regain a majority through
// another member meanwhile. n1 sees n5 down and starts x; only n2
// acknowledges (n3 and n4 are cut off from n1 as the round leaves), n5
// comes back, and n3 and n4 are declared down: n1 sees {n1,n2,n5}, a
// quorum, but only n2 and itself hold x, which is not a majority of five
// — a rival owner seeing {n3,n4,n5} could have its own start acknowledged.
// n1 must not answer ok (quorum_rival.go majorityShortOfAcks); with
// Broken.MajorityAcceptsRivalWrites it does, so the script reaches that
// round.
func TestMajorityQuorumOkNeedsAQuorumOfAcks(t *testing.T) {
	for _, broken := range []bool{false, true} {
		t.Run(fmt.Sprintf("broken=%v", broken), func(t *testing.T) {
			e := newMajorityWorld(t, broken)
			var x ChildID
			for i := 0; i < 1000 && x == ""; i++ {
				if id := ChildID(fmt.Sprintf("x%d", i)); e.nodes["n1"].BelongsTo(id, 1)[0] == "n1" {
					x = id
				}
			}
			cut := func(a NodeID, bs ...NodeID) {
				for _, b := range bs {
					e.cut[[2]NodeID{a, b}], e.cut[[2]NodeID{b, a}] = true, true
				}
			}
			n1 := e.nodes["n1"]
			cut("n1", "n5")
			if _, err := e.run(10*time.Second, true, func() bool { return len(n1.View()) == 4 }); err != nil {
				t.Fatalf("n1 did not see n5 down: %v", err)
			}
			cut("n1", "n3", "n4")
			delete(e.cut, [2]NodeID{"n1", "n5"})
			delete(e.cut, [2]NodeID{"n5", "n1"})
			e.reqID++
			req := Request{ID: e.reqID, Op: OpStart, Specs: []ChildSpec{{ID: x}}, Start: StartOptions{Await: true, Timeout: 5 * time.Second}}
			n1.Request(e.now, req)
			e.drain("n1")
			answered := func() bool {
				for _, r := range e.replies["n1"] {
					if r.ID == req.ID {
						return true
					}
				}
				return false
			}
			if _, err := e.run(5*time.Second, true, answered); err != nil {
				t.Fatalf("n1 did not answer: %v (view %v)", err, n1.View())
			}
			if v := n1.View(); !slices.Equal(v, []NodeID{"n1", "n2", "n5"}) || n1.Partitioned() {
				t.Fatalf("n1 sees %v (partitioned %v), want a quorum of n1, n2, n5", v, n1.Partitioned())
			}
			var got ChildResult
			for _, r := range e.replies["n1"] {
				if r.ID == req.ID && len(r.Results) == 1 {
					got = r.Results[0]
				}
			}
			if broken != (got.Err == "") {
				t.Fatalf("n1's start of %s, acknowledged by n2 alone: %+v (broken %v)", x, got, broken)
			}
			if !broken && got.Err != Code(ErrTimeout) {
				t.Fatalf("n1's start of %s: %+v, want an unknown outcome", x, got)
			}
		})
	}
}
