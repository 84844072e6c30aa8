package sim

import (
	"errors"
	"fmt"
	"sort"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// Request submits a client request on node and returns its id. Awaited
// starts, stops and owner lookups are recorded in the history when they
// return (or as unknown outcomes if the node crashes first).
func (s *Sim) Request(node core.NodeID, r core.Request) (uint64, error) {
	sn := s.nodes[node]
	if sn == nil || !sn.up {
		return 0, fmt.Errorf("node %s is not up", node)
	}
	s.guidedMapping(&r)
	s.nextReq++
	r.ID = s.nextReq
	s.nextCli++
	c := &clientReq{id: r.ID, node: node, client: s.nextCli, call: s.now, req: r}
	s.clients[r.ID] = c
	s.raceGuidedStart(node, r)
	s.tracef(TraceEvent{Kind: "request", Node: string(node)}, "%s #%d %s", node, r.ID, r.Op)
	if s.paused(sn) {
		// The request waits in the paused process's queue; the peers a
		// which_children_global must account for are those the node sees
		// when it takes the request, after the inputs queued before it
		// (mix strict seed 1277: n1, paused, saw n5 when asked and had
		// declared it down by the time it woke and took the request).
		s.input(sn, func() {
			s.notePeers(sn, c)
			sn.node.Request(s.localTime(sn), r)
		})
		return r.ID, nil
	}
	s.notePeers(sn, c)
	sn.node.Request(s.localTime(sn), r)
	s.drain(sn)
	return r.ID, nil
}

// notePeers records, for a which_children_global, the peers its node sees
// as it takes the request: each must be listed or reported unreachable.
func (s *Sim) notePeers(sn *simNode, c *clientReq) {
	if c.req.Op != core.OpWhichGlobal {
		return
	}
	for _, p := range sn.node.View() {
		if p != sn.name {
			c.peers = append(c.peers, string(p))
		}
	}
}

// Reply returns the reply of a request, if it has arrived.
func (s *Sim) Reply(id uint64) (core.Reply, bool) {
	r, ok := s.replies[id]
	return r, ok
}

// History returns the recorded client history.
func (s *Sim) History() checks.History { return s.history }

func (s *Sim) sortedClientIDs() []uint64 {
	out := make([]uint64, 0, len(s.clients))
	for k := range s.clients {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (s *Sim) onReply(sn *simNode, rep core.Reply) {
	c := s.clients[rep.ID]
	if c == nil {
		return
	}
	s.tracef(TraceEvent{Kind: "reply", Node: string(sn.name), Failed: rep.Err != nil}, "%s #%d err=%v n=%d", sn.name, rep.ID, rep.Err, len(rep.Results))
	s.countReply(rep)
	s.checkGuidedReply(rep.ID, rep)
	s.noteGuidedReply(c, rep)
	expired := errors.Is(rep.Err, core.ErrTimeout)
	for _, res := range rep.Results {
		expired = expired || res.Err == core.Code(core.ErrTimeout)
	}
	if expired {
		s.cover(CoverRequestExpired)
	}
	if c.req.Op == core.OpWhichGlobal && rep.Err == nil {
		w := checks.WhichGlobal{Origin: string(c.node), Call: int64(c.call), Return: int64(s.now), Peers: c.peers}
		for _, g := range rep.Global {
			l := checks.WhichListing{Node: string(g.Node)}
			for _, ch := range g.Children {
				l.Children = append(l.Children, checks.WhichChild{Child: string(ch.ID), Instance: ch.Instance})
			}
			w.Listings = append(w.Listings, l)
		}
		for _, u := range rep.Unreachable {
			w.Unreachable = append(w.Unreachable, string(u))
		}
		s.whichObs = append(s.whichObs, w)
		if len(w.Listings) > 1 {
			s.cover(CoverWhichGlobalChecked)
		}
		if len(w.Unreachable) > 0 {
			s.cover(CoverWhichGlobalUnreachable)
		}
	}
	if c.req.Op == core.OpRedistribute && rep.Err == nil {
		s.cover(CoverRedistributeMoved)
	}
	if rep.Initiated && !awaited(c.req) {
		s.replies[rep.ID] = rep
		delete(s.clients, rep.ID)
		if c.req.Op == core.OpStart || c.req.Op == core.OpStop {
			// Accepted, not awaited: it may take effect any time later.
			kind := checks.OpStart
			if c.req.Op == core.OpStop {
				kind = checks.OpStop
			}
			for _, id := range requestIDs(c.req) {
				s.addOp(c, kind, id, checks.OutcomeUnknown, nil, 0, false)
			}
		}
		return
	}
	s.replies[rep.ID] = rep
	delete(s.clients, rep.ID)
	s.recordReply(c, rep)
}

func awaited(r core.Request) bool {
	switch r.Op {
	case core.OpStart:
		return r.Start.Await
	case core.OpStop:
		return r.Stop.Await
	case core.OpLookup, core.OpWhichGlobal, core.OpTerminate:
		return true
	}
	return false
}

// recordReply turns a reply into history operations, one per child.
func (s *Sim) recordReply(c *clientReq, rep core.Reply) {
	kind, ok := historyKind(c.req)
	if !ok {
		return
	}
	if rep.Err != nil && len(rep.Results) == 0 {
		// Request-level refusal (partitioned, invalid, no children): not applied.
		for _, id := range requestIDs(c.req) {
			s.addOp(c, kind, id, checks.OutcomeFailed, nil, 0, true)
		}
		return
	}
	for _, res := range rep.Results {
		out := outcomeOf(kind, res.Err)
		if res.Detail == core.LocalCheckDetail {
			// Refused by the caller's local (eventual) registry check.
			out = checks.OutcomeFailed
		}
		if kind == checks.OpStart && rep.RolledBack && res.Err == "" {
			// Started, then stopped by the rollback: both are unknown-
			// outcome operations from the call on (a separate client).
			out = checks.OutcomeUnknown
			s.nextCli++
			s.addOp(&clientReq{node: c.node, client: s.nextCli, call: c.call}, checks.OpStop, res.ID, checks.OutcomeUnknown, nil, 0, false)
		}
		if kind == checks.OpLookup && out == checks.OutcomeUnknown {
			continue
		}
		nodes := make([]string, len(res.Nodes))
		for i, n := range res.Nodes {
			nodes[i] = string(n)
		}
		s.addOp(c, kind, res.ID, out, nodes, res.Epoch, true)
		if kind == checks.OpStop && out == checks.OutcomeOK {
			s.stopped[res.ID] = s.now
		}
	}
}

func (s *Sim) addOp(c *clientReq, kind checks.OpKind, id core.ChildID, out checks.Outcome, nodes []string, epoch uint64, returned bool) {
	op := checks.Op{Client: c.client, Node: string(c.node), Child: string(id), Kind: kind, Call: int64(c.call), Return: int64(s.now), Outcome: out, Nodes: nodes, Epoch: epoch}
	if out == checks.OutcomeUnknown {
		op.Return = 0
	}
	s.history.Add(op)
}

func (s *Sim) finishUnknown(c *clientReq) {
	delete(s.clients, c.id)
	kind, ok := historyKind(c.req)
	if !awaited(c.req) {
		// A start or stop not awaited whose node crashed before it
		// released the "initiated" reply: a durable node may have
		// persisted the write (a crash between write and sync whose
		// write reached the disk) and carries it out once recovered. It
		// is an issued request of unknown outcome, as when accepted; left
		// out, its start ran as a resurrection "with no start issued
		// since" (durable strict seed 22468 of session 6's long sweep).
		ok = c.req.Op == core.OpStart || c.req.Op == core.OpStop
	}
	if !ok || kind == checks.OpLookup {
		return
	}
	for _, id := range requestIDs(c.req) {
		s.addOp(c, kind, id, checks.OutcomeUnknown, nil, 0, false)
	}
}

func historyKind(r core.Request) (checks.OpKind, bool) {
	switch r.Op {
	case core.OpStart:
		return checks.OpStart, r.Start.Await
	case core.OpStop:
		return checks.OpStop, r.Stop.Await
	case core.OpTerminate:
		// An owner-routed, always awaited stop (core's requestTerminate).
		return checks.OpStop, true
	case core.OpLookup:
		return checks.OpLookup, r.Consistency == core.Owner
	}
	return 0, false
}

func requestIDs(r core.Request) []core.ChildID {
	if r.Op == core.OpStart {
		out := make([]core.ChildID, len(r.Specs))
		for i, sp := range r.Specs {
			out[i] = sp.ID
		}
		return out
	}
	return r.IDs
}

func outcomeOf(kind checks.OpKind, code core.ErrCode) checks.Outcome {
	switch code {
	case "":
		return checks.OutcomeOK
	case core.Code(core.ErrAlreadyStarted):
		return checks.OutcomeAlreadyStarted
	case core.Code(core.ErrNotFound):
		return checks.OutcomeNotFound
	case core.Code(core.ErrPartitioned), core.Code(core.ErrInvalidSpec), core.Code(core.ErrShuttingDown):
		return checks.OutcomeFailed
	}
	// timeout, node_down, start_failed, ...: maybe applied.
	return checks.OutcomeUnknown
}
