package phub_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

func TestClusterStartLookupStop(t *testing.T) {
	c := newCluster(t, 3, steadyTiming)
	a := c.hub("a")
	sp := specs("noop", "child", 300)
	res, err := a.StartChildren(ctxT(t, 10*time.Second), sp, phub.Await(), phub.WithMetadata(core.Metadata{"tag": "batch1"}))
	if err != nil {
		t.Fatalf("StartChildren: %v", err)
	}
	if !res.OK() || len(res.Results) != 300 || len(res.IDs()) != 300 {
		t.Fatalf("start results: ok=%v n=%d errors=%v", res.OK(), len(res.Results), res.Errors())
	}
	for _, r := range res.Results {
		if len(r.Nodes) != 1 || r.Epoch == 0 {
			t.Fatalf("result %+v: want one node and an epoch", r)
		}
	}

	// Every node's local index converges to all 300 entries, each with
	// its replica.
	c.waitFor(5*time.Second, "indexes converge to 300 entries", func() bool {
		for _, h := range c.hubs {
			es := h.List()
			if len(es) != 300 {
				return false
			}
			for _, e := range es {
				if len(e.Replicas) != 1 {
					return false
				}
			}
		}
		return true
	})
	if got := len(a.ByTag("batch1")); got != 300 {
		t.Fatalf("ByTag: %d ids, want 300", got)
	}

	// Each child runs exactly on the ring's node for it.
	global := c.whichGlobal(c.hub("b"), 3)
	total := 0
	for _, nc := range global {
		for _, ch := range nc.Children {
			total++
			pl, err := a.Placement(ctxT(t, time.Second), ch.ID)
			if err != nil || len(pl) != 1 || pl[0] != nc.Node {
				t.Fatalf("child %s runs on %s, placement %v (err %v)", ch.ID, nc.Node, pl, err)
			}
		}
	}
	if total != 300 {
		t.Fatalf("WhichChildrenGlobal lists %d children, want 300", total)
	}
	perNode := 0
	for _, name := range c.names {
		perNode += len(c.hub(name).WhichChildrenLocal().Children)
	}
	if perNode != 300 {
		t.Fatalf("WhichChildrenLocal sums to %d, want 300", perNode)
	}

	// Lookups, local and owner-routed, from every node.
	id := sp[42].ID
	want := res.Results[42]
	for _, h := range c.hubs {
		for _, cons := range []core.Consistency{core.Local, core.Owner} {
			e, err := h.Lookup(ctxT(t, 2*time.Second), id, cons)
			if err != nil {
				t.Fatalf("%s Lookup(%s, %d): %v", h.Name(), id, cons, err)
			}
			if e.Epoch != want.Epoch || len(e.Nodes()) != 1 || e.Nodes()[0] != want.Nodes[0] || e.Metadata["tag"] != "batch1" {
				t.Fatalf("%s Lookup(%s, %d) = %+v, want epoch %d on %v", h.Name(), id, cons, e, want.Epoch, want.Nodes)
			}
		}
	}
	if _, err := a.Lookup(ctxT(t, time.Second), "nope", core.Local); !errors.Is(err, phub.ErrNotFound) {
		t.Fatalf("Lookup unknown local: %v, want ErrNotFound", err)
	}
	if _, err := a.Lookup(ctxT(t, time.Second), "nope", core.Owner); !errors.Is(err, phub.ErrNotFound) {
		t.Fatalf("Lookup unknown owner: %v, want ErrNotFound", err)
	}

	// Stop the first 100 children from another node.
	var ids []core.ChildID
	for _, s := range sp[:100] {
		ids = append(ids, s.ID)
	}
	sr, err := c.hub("c").StopChildren(ctxT(t, 5*time.Second), ids, phub.Await())
	if err != nil || !sr.OK() || len(sr.Results) != 100 {
		t.Fatalf("StopChildren: err %v, ok %v, n %d, errors %v", err, sr.OK(), len(sr.Results), sr.Errors())
	}
	// Owner-routed lookups see the stop at once (read-your-writes).
	if _, err := c.hub("c").Lookup(ctxT(t, time.Second), ids[0], core.Owner); !errors.Is(err, phub.ErrNotFound) {
		t.Fatalf("owner Lookup after stop: %v, want ErrNotFound", err)
	}
	c.waitFor(5*time.Second, "indexes converge to 200 entries and 200 running", func() bool {
		for _, h := range c.hubs {
			if len(h.List()) != 200 {
				return false
			}
		}
		return len(c.runningOn()) == 200
	})
	// Stopping again reports not found per child, never a timeout.
	sr, err = a.StopChildren(ctxT(t, 5*time.Second), ids[:3], phub.Await())
	if err != nil || len(sr.Results) != 3 {
		t.Fatalf("StopChildren again: %v %+v", err, sr)
	}
	for _, r := range sr.Results {
		if !errors.Is(r.Err, phub.ErrNotFound) {
			t.Fatalf("stop of stopped child %s: %v, want ErrNotFound", r.ID, r.Err)
		}
	}
	// Not awaited: initiated.
	sr, err = a.StopChildren(ctxT(t, 5*time.Second), ids[3:4])
	if err != nil || !sr.Initiated {
		t.Fatalf("StopChildren without Await: %v %+v", err, sr)
	}
}

func TestRequestErrors(t *testing.T) {
	c := newCluster(t, 3, steadyTiming)
	a := c.hub("a")
	ctx := ctxT(t, 2*time.Minute) // bounds a hang; no call here is about time

	if _, err := a.StartChildren(ctx, nil, phub.Await()); !errors.Is(err, phub.ErrNoChildren) {
		t.Fatalf("empty start: %v, want ErrNoChildren", err)
	}
	if _, err := a.StopChildren(ctx, nil, phub.Await()); !errors.Is(err, phub.ErrNoChildren) {
		t.Fatalf("empty stop: %v, want ErrNoChildren", err)
	}
	if _, err := a.StartChildren(ctx, []core.ChildSpec{{ID: ""}}, phub.Await()); !errors.Is(err, phub.ErrInvalidSpec) {
		t.Fatalf("empty id: %v, want ErrInvalidSpec", err)
	}

	// Initiated start, then it shows up.
	res, err := a.StartChildren(ctx, []core.ChildSpec{{ID: "x1", Kind: "noop"}})
	if err != nil || !res.Initiated {
		t.Fatalf("start without Await: %v %+v", err, res)
	}
	c.waitFor(30*time.Second, "x1 registered", func() bool {
		_, err := a.Lookup(ctx, "x1", core.Local)
		return err == nil
	})
	// Already started: request-level error naming the id.
	res, err = a.StartChildren(ctx, []core.ChildSpec{{ID: "x1", Kind: "noop"}}, phub.Await())
	if !errors.Is(err, phub.ErrAlreadyStarted) || len(res.Results) != 1 || !errors.Is(res.Results[0].Err, phub.ErrAlreadyStarted) {
		t.Fatalf("duplicate start: %v %+v", err, res)
	}
	// The owner refuses it too when the local check is skipped.
	r, err := c.hub("b").StartChild(ctx, core.ChildSpec{ID: "x1", Kind: "noop"}, phub.SkipCheckExisting())
	if !errors.Is(err, phub.ErrAlreadyStarted) || r.ID != "x1" {
		t.Fatalf("duplicate start, skip check: %v %+v", err, r)
	}

	// A kind without a factory is an invalid spec, refused at the entry.
	r, err = a.StartChild(ctx, core.ChildSpec{ID: "bad", Kind: "no-such-kind"})
	if !errors.Is(err, phub.ErrInvalidSpec) || !errors.Is(err, phub.ErrUnknownKind) || !strings.Contains(err.Error(), "no-such-kind") {
		t.Fatalf("unknown kind: %v %+v", err, r)
	}
	// So is a spec its factory rejects as invalid (counter with a bad
	// parameter), with the factory's reason.
	r, err = a.StartChild(ctx, core.ChildSpec{ID: "bad2", Kind: "counter", Params: map[string]string{"interval_ms": "x"}})
	if !errors.Is(err, phub.ErrInvalidSpec) || !strings.Contains(err.Error(), "interval_ms") {
		t.Fatalf("invalid counter spec: %v %+v", err, r)
	}
	// Any other factory error fails the start where the child would run.
	r, err = a.StartChild(ctx, core.ChildSpec{ID: "bad3", Kind: "unstartable"})
	if !errors.Is(err, phub.ErrStartFailed) {
		t.Fatalf("factory error: %v %+v", err, r)
	}

	// Terminate.
	if err := a.TerminateChild(ctx, "nope"); !errors.Is(err, phub.ErrNotFound) {
		t.Fatalf("terminate unknown: %v", err)
	}
	if err := c.hub("c").TerminateChild(ctx, "x1"); err != nil {
		t.Fatalf("terminate: %v", err)
	}
	c.waitFor(30*time.Second, "x1 gone everywhere", func() bool {
		for _, h := range c.hubs {
			if _, err := h.Lookup(ctx, "x1", core.Local); err == nil {
				return false
			}
		}
		return len(c.runningOn()["x1"]) == 0
	})

	// Redistribute with nothing to do.
	if err := a.Redistribute(ctx, []core.ChildID{"nope"}, "b"); !errors.Is(err, phub.ErrNothingToRedistribute) {
		t.Fatalf("redistribute: %v", err)
	}
	if err := a.Redistribute(ctx, []core.ChildID{"nope"}, "zz"); !errors.Is(err, phub.ErrUnknownNode) {
		t.Fatalf("redistribute to unknown node: %v", err)
	}
}

func TestRollback(t *testing.T) {
	c := newCluster(t, 3, steadyTiming)
	a := c.hub("a")
	ctx := ctxT(t, 10*time.Second)
	sp := append(specs("noop", "rb", 5), core.ChildSpec{ID: "rb-bad", Kind: "unstartable"})
	res, err := a.StartChildren(ctx, sp, phub.Await(), phub.Rollback())
	if !errors.Is(err, phub.ErrRolledBack) || !res.RolledBack {
		t.Fatalf("rollback start: %v %+v", err, res)
	}
	if len(res.IDs()) != 5 || len(res.Errors()) != 1 || !errors.Is(res.Errors()[0], phub.ErrStartFailed) {
		t.Fatalf("rollback results: ids %v errors %v", res.IDs(), res.Errors())
	}
	c.waitFor(5*time.Second, "rolled-back children gone", func() bool {
		for _, h := range c.hubs {
			if len(h.List()) != 0 {
				return false
			}
		}
		return len(c.runningOn()) == 0
	})
	for _, s := range sp {
		if _, err := a.Lookup(ctx, s.ID, core.Owner); !errors.Is(err, phub.ErrNotFound) {
			t.Fatalf("owner lookup %s after rollback: %v", s.ID, err)
		}
	}
}

func TestGuidedValidation(t *testing.T) {
	c := newCluster(t, 3, func(cfg *core.Config) { cfg.Distribution.Kind = core.Guided })
	a := c.hub("a")
	ctx := ctxT(t, 10*time.Second)
	sp := []core.ChildSpec{{ID: "g1", Kind: "noop"}, {ID: "g2", Kind: "noop"}}
	cases := []struct {
		name    string
		mapping map[core.ChildID][]core.NodeID
		want    error
	}{
		{"missing", nil, phub.ErrMissingChildMapping},
		// ProcessHub's order: the list length is checked before phub's own
		// node checks, so with factor 1 a repeated node is a replication
		// mismatch and an unknown node is phub's invalid mapping.
		{"repeated", map[core.ChildID][]core.NodeID{"g1": {"b", "b"}, "g2": {"c"}}, phub.ErrChildReplicationMismatch},
		{"invalid", map[core.ChildID][]core.NodeID{"g1": {"zz"}, "g2": {"c"}}, phub.ErrInvalidChildMapping},
		{"mismatch", map[core.ChildID][]core.NodeID{"g1": {"b"}}, phub.ErrChildMappingMismatch},
		{"replication", map[core.ChildID][]core.NodeID{"g1": {"b", "c"}, "g2": {"c"}}, phub.ErrChildReplicationMismatch},
	}
	for _, tc := range cases {
		var opts []phub.StartOption
		if tc.mapping != nil {
			opts = append(opts, phub.ChildMapping(tc.mapping))
		}
		if _, err := a.StartChildren(ctx, sp, append(opts, phub.Await())...); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	res, err := a.StartChildren(ctx, sp, phub.Await(), phub.ChildMapping(map[core.ChildID][]core.NodeID{"g1": {"b"}, "g2": {"c"}}))
	if err != nil || !res.OK() {
		t.Fatalf("guided start: %v %v", err, res.Errors())
	}
	c.waitFor(5*time.Second, "guided children on their nodes", func() bool {
		on := c.runningOn()
		return len(on["g1"]) == 1 && on["g1"][0] == "b" && len(on["g2"]) == 1 && on["g2"][0] == "c"
	})
}

func TestHooks(t *testing.T) {
	c := newCluster(t, 3, nil)
	a := c.hub("a")
	ctx := ctxT(t, 10*time.Second)
	first := make(chan core.Hook, 64)
	if err := a.RegisterHook(core.HookRegistryInsert, "first", func(h core.Hook) { first <- h }); err != nil {
		t.Fatal(err)
	}
	if err := a.RegisterHook(core.HookRegistryInsert, "first", func(core.Hook) {}); !errors.Is(err, phub.ErrDuplicateHook) {
		t.Fatalf("duplicate hook id: %v", err)
	}
	if _, err := a.StartChild(ctx, core.ChildSpec{ID: "h1", Kind: "noop"}); err != nil {
		t.Fatal(err)
	}
	waitHook(t, first, "h1")

	if !a.CancelHook(core.HookRegistryInsert, "first") {
		t.Fatal("CancelHook: not found")
	}
	if a.CancelHook(core.HookRegistryInsert, "first") {
		t.Fatal("CancelHook twice: found")
	}
	// A handler registered after the cancel sees h2's insert; handlers run
	// in order on one goroutine, so the cancelled one would have seen it
	// first had it still been registered.
	second := make(chan core.Hook, 64)
	if err := a.RegisterHook(core.HookRegistryInsert, "second", func(h core.Hook) { second <- h }); err != nil {
		t.Fatal(err)
	}
	if _, err := a.StartChild(ctx, core.ChildSpec{ID: "h2", Kind: "noop"}); err != nil {
		t.Fatal(err)
	}
	waitHook(t, second, "h2")
	for len(first) > 0 {
		if h := <-first; len(h.IDs) == 1 && h.IDs[0] == "h2" {
			t.Fatalf("cancelled hook fired: %+v", h)
		}
	}

	// Join hooks fire when a node restarts under a new incarnation; leave
	// hooks when it is cut off.
	left := make(chan core.Hook, 8)
	if err := a.RegisterHook(core.HookPostClusterLeave, "left", func(h core.Hook) { left <- h }); err != nil {
		t.Fatal(err)
	}
	c.net.Disconnect("c")
	select {
	case h := <-left:
		if h.Node != "c" {
			t.Fatalf("leave hook for %s, want c", h.Node)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no post_cluster_leave hook after disconnecting c")
	}
	c.net.Reconnect("c")
	c.waitFor(5*time.Second, "c back", func() bool { return len(a.Alive()) == 3 })
}

func waitHook(t *testing.T, ch <-chan core.Hook, id core.ChildID) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case h := <-ch:
			if len(h.IDs) == 1 && h.IDs[0] == id {
				return
			}
		case <-timeout:
			t.Fatalf("no hook for %s", id)
		}
	}
}

func TestGracefulLeaveHandover(t *testing.T) {
	c := newCluster(t, 3, func(cfg *core.Config) {
		cfg.Migration.Kind = core.HotSwap
		cfg.Migration.Handover = true
		cfg.Migration.Retention = 2 * time.Second
	})
	ctx := ctxT(t, 20*time.Second)
	spec := core.ChildSpec{ID: "cnt", Kind: "counter", Params: map[string]string{"interval_ms": "2"}}
	r, err := c.hub("a").StartChild(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	old := r.Nodes[0]
	c.waitFor(5*time.Second, "counter counts on "+string(old), func() bool {
		v, ok := c.counters[old].Value("cnt")
		return ok && v >= 25
	})
	before, _ := c.counters[old].Value("cnt")
	if err := c.hub(old).Close(ctx); err != nil {
		t.Fatalf("Close(%s): %v", old, err)
	}
	final, _ := c.counters[old].Info("cnt")
	if final.Running {
		t.Fatalf("old instance still running after Close")
	}
	var other *phub.Hub
	for _, name := range c.names {
		if name != old {
			other = c.hub(name)
		}
	}
	var now core.NodeID
	c.waitFor(5*time.Second, "counter restarted elsewhere", func() bool {
		on := c.runningOn()["cnt"]
		if len(on) != 1 || on[0] == old {
			return false
		}
		now = on[0]
		_, ok := c.counters[now].Info("cnt")
		return ok
	})
	info, _ := c.counters[now].Info("cnt")
	// The state is the old count when core asked for it: at least what we
	// saw before Close, at most the old instance's final count (it counts
	// on until it is stopped).
	if !info.Handover || info.From < before || info.From > final.Count {
		t.Fatalf("new instance on %s: %+v; want handover from the old count in [%d, %d]", now, info, before, final.Count)
	}
	c.waitFor(5*time.Second, "counter keeps counting", func() bool {
		v, _ := c.counters[now].Value("cnt")
		return v > info.From+10
	})
	e, err := other.Lookup(ctx, "cnt", core.Owner)
	if err != nil || len(e.Nodes()) != 1 || e.Nodes()[0] != now || e.Epoch <= r.Epoch {
		t.Fatalf("Lookup after leave: %+v %v; want on %s with epoch > %d", e, err, now, r.Epoch)
	}
	// The closed hub refuses calls.
	if _, err := c.hub(old).StartChild(ctx, core.ChildSpec{ID: "late", Kind: "noop"}); !errors.Is(err, phub.ErrClosed) || !errors.Is(err, phub.ErrShuttingDown) {
		t.Fatalf("start on closed hub: %v", err)
	}
}

func TestAwaitCancelled(t *testing.T) {
	c := newCluster(t, 3, nil)
	a := c.hub("a")
	// With c cut off but not yet declared down, the owner waits for c's
	// replication acknowledgement, so an awaited start outlives a short
	// context.
	c.net.Disconnect("c")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := a.StartChildren(ctx, specs("noop", "slow", 10), phub.Await(), phub.Timeout(3*time.Second))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled await: %v, want DeadlineExceeded", err)
	}
	c.net.Reconnect("c")
	// The late reply is discarded; the hub keeps serving.
	c.waitFor(5*time.Second, "slow children registered", func() bool { return len(a.List()) == 10 })
	if _, err := a.StartChild(ctxT(t, 5*time.Second), core.ChildSpec{ID: "after", Kind: "noop"}); err != nil {
		t.Fatal(err)
	}
}
