package core

import (
	"fmt"
	"testing"
	"time"
)

// TestStrictConcurrentOwnersCannotBothStart: under a non-transitive cut
// (a–c down, b hears both) a and c each own child x in their own view. a
// starts x and answers ok; then c, which has not heard of x, starts it
// too. b, in the middle, holds a's version when c's round arrives and
// refuses to acknowledge c's conflicting write, so c cannot answer ok:
// two oks for two starts with no stop between them is an illegal history
// (nontransitive strict seed 145 of the long sweep: b acknowledged both,
// and c answered ok once it took the child over after the heal).
func TestStrictConcurrentOwnersCannotBothStart(t *testing.T) {
	w := newStrictWorld(t, map[NodeID]float64{"a": 1, "b": 1, "c": 1})
	for _, n := range w.nodes {
		n.cfg.Timing.RequestTimeout = 20 * time.Second // c's answer may come after the heal
	}
	w.run(time.Second)
	w.cut[[2]NodeID{"a", "c"}] = true
	w.run(time.Second) // a and c each see the other down; b sees both
	var x ChildID
	for i := 0; i < 1000 && x == ""; i++ {
		id := ChildID(fmt.Sprintf("x%d", i))
		if w.nodes["b"].ownerFor(id, nil) == "c" && w.nodes["a"].ownerFor(id, nil) == "a" && w.nodes["c"].ownerFor(id, nil) == "c" {
			x = id
		}
	}
	if x == "" {
		t.Fatal("no child id owned by a in a's view and by c in c's and b's")
	}
	startAwait := func(at NodeID, reqID uint64) Reply {
		n := w.nodes[at]
		n.SetMono(w.mono(at))
		n.Request(w.now, Request{ID: reqID, Op: OpStart, Specs: []ChildSpec{{ID: x}}, Start: StartOptions{Await: true}})
		w.drain(at)
		for deadline := w.now.Add(30 * time.Second); w.now < deadline; w.step() {
			for _, r := range w.replies[at] {
				if r.ID == reqID {
					return r
				}
			}
			if reqID == 2 && w.now.Sub(Instant(1000*time.Second)) > 4*time.Second {
				w.cut[[2]NodeID{"a", "c"}] = false // heal while c's start waits
			}
		}
		t.Fatalf("no reply to the start at %s", at)
		return Reply{}
	}
	first := startAwait("a", 1)
	if first.Err != nil || len(first.Results) != 1 || first.Results[0].Err != "" {
		t.Fatalf("a's start of %s: %+v", x, first)
	}
	second := startAwait("c", 2) // the overlap check runs every tick meanwhile
	if len(second.Results) != 1 {
		t.Fatalf("c's start of %s: %+v", x, second)
	}
	got := second.Results[0]
	if got.Err == "" {
		t.Fatalf("c's start of %s answered ok (on %v, epoch %d) after a's start was acknowledged: two starts without a stop", x, got.Nodes, got.Epoch)
	}
	if got.Err != Code(ErrTimeout) && got.Err != Code(ErrAlreadyStarted) {
		t.Fatalf("c's start of %s: %v, want an unknown outcome or already started", x, got.Err)
	}
}

// TestWriteConflicts: which versions a peer holds make it refuse an owner's
// acknowledged write of child w (and which do not), as seen in its ack.
func TestWriteConflicts(t *testing.T) {
	start, stop := versionOfW, stoppedVersionOfW
	for _, c := range []struct {
		name     string
		have     *Entry
		write    Entry
		conflict bool
	}{
		{"nothing here", nil, start(1, "n2"), false},
		{"an older generation here", ptr(stop(2, "n3")), start(3, "n2"), false},
		{"the same version again (retransmission)", ptr(start(1, "n2")), start(1, "n2"), false},
		{"another owner's start of the same epoch that wins the tie", ptr(start(1, "n3")), start(1, "n2"), true},
		{"another owner's start of the same epoch that loses the tie", ptr(start(1, "n1")), start(1, "n2"), true},
		{"a later live generation here (a rival owner's fresh start on a version this owner never saw: TestStrictStartMeetsLaterRivalStart; or, in a race, a takeover of this very start)", ptr(start(4, "n3")), start(3, "n2"), true},
		{"a stop of the generation this start would create", ptr(stop(3, "n3")), start(3, "n2"), true},
		{"two stops of the same generation", ptr(stop(2, "n3")), stop(2, "n2"), true},
		{"a stop of a takeover another stop already beat", ptr(stop(2, "n2")), stop(3, "n3"), true},
		{"a stop meeting a later generation's stop", ptr(stop(5, "n2")), stop(3, "n3"), true},
		{"a stop meeting an older generation's stop", ptr(stop(2, "n2")), stop(4, "n3"), false},
		{"a stop meeting a later live generation (a takeover chain or a rival owner's fresh start: seed 6668)", ptr(start(4, "n2")), stop(3, "n3"), true},
		{"a stop of the live generation here (the usual stop)", ptr(start(2, "n2")), stop(3, "n3"), false},
		{"a stop meeting a takeover of the same epoch (it may have been read: nontransitive seed 5908)", ptr(start(2, "n3")), stop(2, "n2"), true},
		{"a start meeting a later stop of another mapping (nontransitive seed 18060)", ptr(pin(stop(2, "n2"), "n2")), pin(start(1, "n1"), "n1"), true},
		{"a hashed start meeting a later guided stop", ptr(pin(stop(2, "n2"), "n2")), start(1, "n1"), true},
		{"a hashed start meeting a later stop (the start would lose the merge)", ptr(stop(3, "n3")), start(1, "n2"), true},
		{"a start meeting a later live version of its own mapping (a rival, or a takeover of it in a race)", ptr(pin(start(2, "n3"), "n1")), pin(start(1, "n1"), "n1"), true},
		{"a start meeting an older live generation (its owner saw it end, or never saw it: TestStrictStartMeetsOlderRivalStart)", ptr(start(2, "n3")), start(5, "n2"), true},
		{"a start meeting an older stopped generation", ptr(stop(4, "n3")), start(5, "n2"), false},
	} {
		for _, mode := range []PartitionConfig{
			{Kind: Strict, Voters: []NodeID{"n1", "n2"}},
			{Kind: MajorityQuorum, InitialClusterSize: 2, TrackMaxSize: true}, // quorum_rival.go
		} {
			t.Run(string(mode.Kind)+"/"+c.name, func(t *testing.T) {
				lc := newLockstep(t, 2, func(cfg *Config) {
					fastTiming(cfg)
					cfg.Partition = mode
				})
				n1 := lc.nodes["n1"]
				if c.have != nil {
					n1.reg.put(c.have)
				}
				ack := replicateFromN2(t, n1, lc.now, c.write)
				refused := ack.Err == errStaleVersion && len(ack.IDs) == 1 && ack.IDs[0] == "w"
				if refused != c.conflict {
					t.Fatalf("ack %+v: refused as a conflict = %v, want %v", ack, refused, c.conflict)
				}
			})
		}
	}
}

func ptr[T any](v T) *T { return &v }

// pin returns e with the guided mapping nodes.
func pin(e Entry, nodes ...NodeID) Entry {
	e.Pinned = nodes
	return e
}

// TestWriteConflictsStrictAndMajorityOnly: outside strict mode and
// majority quorum a rival version does not make a peer refuse (divergence
// and the static and dynamic quorums promise no linearizability across
// partitions, and refusing cost unknown outcomes after view changes);
// neither does majority quorum with Broken.MajorityAcceptsRivalWrites.
func TestWriteConflictsStrictAndMajorityOnly(t *testing.T) {
	for _, c := range []struct {
		name string
		tune func(*Config)
	}{
		{"divergence", func(*Config) {}},
		{"static_quorum", func(cfg *Config) { cfg.Partition = PartitionConfig{Kind: StaticQuorum, QuorumSize: 1} }},
		{"dynamic_quorum", func(cfg *Config) {
			cfg.Partition = PartitionConfig{Kind: DynamicQuorum, QuorumSize: 50, Window: time.Minute}
		}},
		{"broken majority_quorum", func(cfg *Config) {
			cfg.Partition = PartitionConfig{Kind: MajorityQuorum, InitialClusterSize: 2, TrackMaxSize: true}
			cfg.Broken.MajorityAcceptsRivalWrites = true
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			lc := newLockstep(t, 2, func(cfg *Config) {
				fastTiming(cfg)
				c.tune(cfg)
			})
			n1 := lc.nodes["n1"]
			n1.reg.put(&Entry{Spec: ChildSpec{ID: "w"}, Epoch: 1, Holder: "n3", By: "n3"})
			ack := replicateFromN2(t, n1, lc.now, versionOfW(1, "n2"))
			if ack.Err != "" || len(ack.IDs) > 0 {
				t.Fatalf("%s refused a rival write: %+v", c.name, ack)
			}
		})
	}
}

// replicateFromN2 steps a replication of write from n2 (incarnation 1,
// sequence 7) into n and returns n's acknowledgement of it.
func replicateFromN2(t *testing.T, n *Node, now Instant, write Entry) *Message {
	t.Helper()
	n.Step(now, Message{Kind: MsgReplicate, Hub: n.cfg.HubID, From: "n2", Inc: 1, Seq: 7, Entries: []Entry{write}})
	for _, env := range n.Ready().Messages {
		if env.Msg.Kind == MsgReplicateAck && env.Msg.Seq == 7 {
			return &env.Msg
		}
	}
	t.Fatal("no acknowledgement")
	return nil
}

// versionOfW is a live version of child w at epoch, written and held by by.
func versionOfW(epoch uint64, by NodeID) Entry {
	return Entry{Spec: ChildSpec{ID: "w"}, Epoch: epoch, Holder: by, By: by}
}

// stoppedVersionOfW is versionOfW's tombstone: the same version, stopped.
func stoppedVersionOfW(epoch uint64, by NodeID) Entry {
	e := versionOfW(epoch, by)
	e.Stopped = true
	return e
}
