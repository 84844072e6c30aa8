package phub

import (
	"context"
	"fmt"
	"time"

	"github.com/phub/phub/core"
)

// StartChildren starts children across the cluster (ProcessHub's
// init_children). Without Await it returns once the request is initiated;
// with Await it returns a result per spec: the node(s) and epoch of each
// started child or its error (ErrAlreadyStarted, ErrStartFailed,
// ErrTimeout, ErrNodeDown, ...).
//
// The returned error is request-level: ErrNoChildren for empty specs,
// ErrInvalidSpec (also for a kind without a factory on this node and a
// spec the kind's factory rejects as invalid, e.g. an exec command not
// found), the guided strategy's mapping errors, ErrPartitioned,
// ErrAlreadyStarted (with the offending ids in Results) when a spec's id
// is already registered, ErrRolledBack after Rollback(),
// ErrRollbackNeedsAwait for Rollback() without Await(), ErrClosed, or
// ctx's error. A request abandoned because ctx ended still runs to its
// end inside the cluster; its reply is discarded.
func (h *Hub) StartChildren(ctx context.Context, specs []core.ChildSpec, opts ...StartOption) (StartResult, error) {
	var o core.StartOptions
	for _, opt := range opts {
		opt.applyStart(&o)
	}
	if o.OnFailure == core.Rollback && !o.Await {
		return StartResult{}, fmt.Errorf("phub: start: %w", ErrRollbackNeedsAwait)
	}
	if o.Await && o.Timeout <= 0 {
		o.Timeout = h.coreTimeout(ctx)
	}
	req := core.Request{Op: core.OpStart, Specs: specs, Start: o}
	if err := h.cfg.Core.Limits.CheckRequest(req); err != nil {
		return StartResult{}, fmt.Errorf("phub: start: %w", err)
	}
	if err := h.checkSpecs(specs); err != nil {
		return StartResult{}, fmt.Errorf("phub: start: %w", err)
	}
	rep, err := h.request(ctx, req)
	if err != nil {
		return StartResult{}, err
	}
	res := StartResult{Initiated: rep.Initiated, RolledBack: rep.RolledBack, Results: convertResults(rep.Results)}
	if rep.Err != nil {
		return res, fmt.Errorf("phub: start: %w", rep.Err)
	}
	return res, nil
}

// StartChild starts one child and waits for it (Await is implied). It
// returns the child's result and its error, if any.
func (h *Hub) StartChild(ctx context.Context, spec core.ChildSpec, opts ...StartOption) (ChildResult, error) {
	res, err := h.StartChildren(ctx, []core.ChildSpec{spec}, append(opts, Await())...)
	if len(res.Results) == 1 {
		r := res.Results[0]
		if err == nil {
			err = r.Err
		}
		return r, err
	}
	return ChildResult{ID: spec.ID}, err
}

// StopChildren stops children wherever they run (ProcessHub's
// stop_children). With Await it returns a result per id; an unknown id
// reports ErrNotFound. The returned error is request-level
// (ErrNoChildren, ErrPartitioned, ErrClosed, ctx's error).
func (h *Hub) StopChildren(ctx context.Context, ids []core.ChildID, opts ...StopOption) (StopResult, error) {
	var o core.StopOptions
	for _, opt := range opts {
		opt.applyStop(&o)
	}
	if o.Await && o.Timeout <= 0 {
		o.Timeout = h.coreTimeout(ctx)
	}
	rep, err := h.request(ctx, core.Request{Op: core.OpStop, IDs: ids, Stop: o})
	if err != nil {
		return StopResult{}, err
	}
	res := StopResult{Initiated: rep.Initiated, Results: convertResults(rep.Results)}
	if rep.Err != nil {
		return res, fmt.Errorf("phub: stop: %w", rep.Err)
	}
	return res, nil
}

// TerminateChild stops the child wherever it runs and removes it from
// every registry (ProcessHub's child_terminate, made cluster-safe): like
// an awaited stop it is routed to the child's owner, refused with
// ErrPartitioned on a node without quorum, and returns only once the
// removal is replicated, so an owner Lookup afterwards never finds the
// child. It returns ErrNotFound if the child is not registered, and
// ErrTimeout or ErrNodeDown when the outcome is unknown.
func (h *Hub) TerminateChild(ctx context.Context, id core.ChildID) error {
	_, err := h.TerminateChildResult(ctx, id)
	return err
}

// TerminateChildResult is TerminateChild returning the child's result:
// the nodes it ran on and the epoch (generation) that ended.
func (h *Hub) TerminateChildResult(ctx context.Context, id core.ChildID) (ChildResult, error) {
	rep, err := h.request(ctx, core.Request{Op: core.OpTerminate, IDs: []core.ChildID{id}, Timeout: h.coreTimeout(ctx)})
	if err != nil {
		return ChildResult{ID: id}, err
	}
	if rep.Err != nil {
		return ChildResult{ID: id}, fmt.Errorf("phub: terminate: %w", rep.Err)
	}
	rs := convertResults(rep.Results)
	if len(rs) != 1 {
		return ChildResult{ID: id}, fmt.Errorf("phub: terminate %q: %d results", id, len(rs))
	}
	if rs[0].Err != nil {
		return rs[0], fmt.Errorf("phub: terminate: %w", rs[0].Err)
	}
	return rs[0], nil
}

// Redistribute hands the given children to node, which must be one of
// their placement nodes (ProcessHub's children_redist_init). It returns
// once initiated, or ErrNothingToRedistribute / ErrUnknownNode.
func (h *Hub) Redistribute(ctx context.Context, ids []core.ChildID, node core.NodeID) error {
	rep, err := h.request(ctx, core.Request{Op: core.OpRedistribute, IDs: ids, Target: node})
	if err != nil {
		return err
	}
	if rep.Err != nil {
		return fmt.Errorf("phub: redistribute: %w", rep.Err)
	}
	return nil
}

// WhichChildrenLocal returns the children running on this node. The
// snapshot is rebuilt on the event loop when it is stale (waiting at most
// a second; after Close it returns the last snapshot).
func (h *Hub) WhichChildrenLocal() core.NodeChildren {
	if h.localStale.Load() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = h.call(ctx, func() {
			h.localStale.Store(false)
			lc := h.node.WhichChildrenLocal()
			h.local.Store(&lc)
		})
		cancel()
	}
	lc := h.local.Load()
	if lc == nil {
		return core.NodeChildren{Node: h.name}
	}
	return core.NodeChildren{Node: lc.Node, Children: append([]core.LocalChild(nil), lc.Children...)}
}

// WhichChildrenGlobal asks every alive member for its local children. It
// returns the answers (this node's included, sorted by node) and the
// members that did not answer before ctx's deadline (or
// core.Config.Timing.RequestTimeout): unreachable nodes are reported, not
// hidden.
func (h *Hub) WhichChildrenGlobal(ctx context.Context) ([]core.NodeChildren, []core.NodeID, error) {
	rep, err := h.request(ctx, core.Request{Op: core.OpWhichGlobal, Timeout: h.coreTimeout(ctx)})
	if err != nil {
		return nil, nil, err
	}
	if rep.Err != nil {
		return rep.Global, rep.Unreachable, fmt.Errorf("phub: which children: %w", rep.Err)
	}
	return rep.Global, rep.Unreachable, nil
}

// Lookup returns the registry entry of id. With core.Local it is answered
// from this node's replica through a lock-free index without involving
// the loop (fast, eventually consistent); the returned entry is shared and
// must not be modified. With core.Owner the lookup is routed to the
// child's owner (read-your-writes): the entry then carries the owner's
// epoch, metadata and replica nodes. An unknown or stopped child returns
// ErrNotFound.
func (h *Hub) Lookup(ctx context.Context, id core.ChildID, consistency core.Consistency) (*core.Entry, error) {
	if consistency == core.Local {
		if e := h.index.get(id); e != nil {
			return e, nil
		}
		return nil, lookupNotFound(id)
	}
	return h.lookupRouted(ctx, id, consistency)
}

// lookupNotFound is a local Lookup's error for id; out of Lookup, whose
// local path then needs no stack frame for formatting.
func lookupNotFound(id core.ChildID) error {
	return fmt.Errorf("phub: lookup %q: %w", id, ErrNotFound)
}

// lookupRouted is Lookup with a consistency other than core.Local: a
// request to the child's owner.
func (h *Hub) lookupRouted(ctx context.Context, id core.ChildID, consistency core.Consistency) (*core.Entry, error) {
	rep, err := h.request(ctx, core.Request{Op: core.OpLookup, IDs: []core.ChildID{id}, Consistency: consistency, Timeout: h.coreTimeout(ctx)})
	if err != nil {
		return nil, err
	}
	if rep.Err != nil {
		return nil, fmt.Errorf("phub: lookup %q: %w", id, rep.Err)
	}
	if len(rep.Results) != 1 {
		return nil, fmt.Errorf("phub: lookup %q: %d results", id, len(rep.Results))
	}
	r := rep.Results[0]
	if err := r.Err.Err(); err != nil {
		return nil, fmt.Errorf("phub: lookup %q: %w", id, err)
	}
	e := &core.Entry{Spec: core.ChildSpec{ID: id}, Epoch: r.Epoch, Metadata: r.Metadata}
	if le := h.index.get(id); le != nil {
		e.Spec = le.Spec
		e.Holder = le.Holder
		e.Pinned = le.Pinned
	}
	for _, n := range r.Nodes {
		e.Replicas = append(e.Replicas, core.Replica{Node: n, Epoch: r.Epoch, Active: true})
	}
	return e, nil
}

// List returns every live entry of this node's registry replica, sorted
// by id. The entries are shared and must not be modified.
func (h *Hub) List() []*core.Entry { return h.index.list(nil) }

// Count returns the number of live entries of this node's registry
// replica, len(List()) without building the list: one atomic read of the
// lookup index, without involving the event loop.
func (h *Hub) Count() int { return h.index.len() }

// ByTag returns the ids of live children whose metadata "tag" is tag,
// sorted (ProcessHub's tag_query).
func (h *Hub) ByTag(tag string) []core.ChildID {
	es := h.index.list(func(e *core.Entry) bool { return e.Metadata["tag"] == tag })
	out := make([]core.ChildID, len(es))
	for i, e := range es {
		out[i] = e.Spec.ID
	}
	return out
}

// Members returns every known member with its status, sorted by name.
func (h *Hub) Members() []core.Member {
	if ms := h.members.Load(); ms != nil {
		return append([]core.Member(nil), (*ms)...)
	}
	return nil
}

// Alive returns the names of the alive members (this node included).
func (h *Hub) Alive() []core.NodeID {
	var out []core.NodeID
	for _, m := range h.Members() {
		if m.Status == core.StatusAlive {
			out = append(out, m.Name)
		}
	}
	return out
}

// Partitioned reports whether the node has lost quorum (it then stops its
// children and answers requests with ErrPartitioned).
func (h *Hub) Partitioned() bool { return h.partitioned.Load() }

// Placement returns the nodes the ring assigns to id now (for a known
// child, its guided pins if any).
func (h *Hub) Placement(ctx context.Context, id core.ChildID) ([]core.NodeID, error) {
	var out []core.NodeID
	err := h.call(ctx, func() { out = h.node.Placement(id) })
	return out, err
}

// BelongsTo returns the first k nodes of id's preference list on the ring
// (ProcessHub's belongs_to); BelongsTo(id, k) is a prefix of
// BelongsTo(id, m) for m > k.
func (h *Hub) BelongsTo(ctx context.Context, id core.ChildID, k int) ([]core.NodeID, error) {
	var out []core.NodeID
	err := h.call(ctx, func() { out = h.node.BelongsTo(id, k) })
	return out, err
}

// Stats returns the sizes of core's tables (to check they stay bounded).
func (h *Hub) Stats(ctx context.Context) (core.Stats, error) {
	var out core.Stats
	err := h.call(ctx, func() { out = h.node.Stats() })
	return out, err
}

// ResetClusterSize sets the majority quorum's max-seen cluster size for a
// planned downsize (ProcessHub's reset_cluster_size) and re-evaluates
// quorum at once. It refuses, with ErrResetClusterSize, a size below 1
// and a hub whose partition strategy is not majority_quorum (where the
// size would be ignored).
func (h *Hub) ResetClusterSize(ctx context.Context, size int) error {
	if kind := h.cfg.Core.Partition.Kind; kind != core.MajorityQuorum {
		return fmt.Errorf("phub: reset cluster size: the partition strategy is %q, not %q: %w", kind, core.MajorityQuorum, ErrResetClusterSize)
	}
	if size < 1 {
		return fmt.Errorf("phub: reset cluster size to %d: want at least 1: %w", size, ErrResetClusterSize)
	}
	return h.call(ctx, func() { h.node.ResetClusterSize(h.now(), size) })
}

// RegisterHook registers fn for hooks of kind under id. fn runs on the
// hub's hook goroutine (never on the event loop), one hook at a time, in
// the order core emitted the hooks; handlers of one kind run in
// registration order. Registering an id twice for a kind returns
// ErrDuplicateHook; a kind outside core.AllHooks returns
// ErrUnknownHookKind. fn must not modify the hook's IDs.
func (h *Hub) RegisterHook(kind core.HookKind, id string, fn func(core.Hook)) error {
	return h.hooks.register(kind, id, fn)
}

// CancelHook removes the handler registered for kind under id and reports
// whether there was one. A call of the handler already in progress
// finishes; no later hook reaches it.
func (h *Hub) CancelHook(kind core.HookKind, id string) bool {
	return h.hooks.cancel(kind, id)
}

func (h *Hub) coreTimeout(ctx context.Context) time.Duration {
	return coreTimeout(ctx, h.clock.Now(), h.cfg.Core.Timing.TickInterval)
}
