package sim

import (
	"strconv"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// drain takes a node's Ready batch and turns it into events.
func (s *Sim) drain(sn *simNode) {
	for {
		rd := sn.node.Ready()
		if s.opts.Durable && !s.persist(sn, rd.Persist) {
			return // the node stopped: nothing of this Ready is released
		}
		if rd.Empty() {
			if sn.node.Left() && sn.up {
				s.tracef(TraceEvent{Kind: "left", Node: string(sn.name)}, "%s", sn.name)
				sn.up, sn.left = false, true
				s.killChildren(sn)
				s.noteContacts() // minority.go
			}
			return
		}
		crash := false
		for _, env := range rd.Messages {
			if env.Msg.Kind == core.MsgResult && !crash && s.mayCrash(sn.name) && s.fire(SiteCrashAfterAck) {
				crash = true
			}
		}
		for i := range rd.Messages {
			if crash && rd.Messages[i].Msg.Kind != core.MsgResult && s.rng.IntN(2) == 0 {
				continue // lost with the crash
			}
			s.sendMsg(sn, &rd.Messages[i])
		}
		if crash {
			s.Crash(sn.name)
			name := sn.name
			s.after(time.Second, func() { s.Restart(name) })
			return
		}
		for _, eff := range rd.Effects {
			s.applyEffect(sn, eff)
		}
		if rd.LeaseUntil != 0 {
			s.armFence(sn, rd.LeaseUntil)
		}
		for _, rep := range rd.Replies {
			s.onReply(sn, rep)
		}
		for _, h := range rd.Hooks {
			s.hooks[h.Kind] += max(1, len(h.IDs))
			s.observeHook(sn, h)
		}
		s.checkClaimHooks(sn, rd.Hooks)
	}
}

// Oversize counts messages dropped for exceeding the sender's
// Limits.MaxMessageBytes (core splits large messages, so it stays 0).
func (s *Sim) Oversize() int { return s.oversize }

// sendMsg puts env on the network. The delivery reads env.Msg where it
// is, in the Ready batch (core hands out a new batch at every Ready and
// never touches a drained one): a copy per delivery was 5% of
// BenchmarkSim5Nodes's bytes.
func (s *Sim) sendMsg(from *simNode, env *core.Envelope) {
	to := s.nodes[env.To]
	net := s.opts.Net
	if to == nil {
		return // e.g. a seed named by address
	}
	if env.Msg.Parts > 1 {
		s.cover(CoverMessageSplit)
	}
	size := env.Bytes // core.MessageBytes(&env.Msg), computed by core's send
	s.sentMsgs++
	s.sentBytes += size
	if s.sentKind == nil {
		s.sentKind, s.sentKindBytes = map[core.MsgKind]int{}, map[core.MsgKind]int{}
	}
	s.sentKind[env.Msg.Kind]++
	s.sentKindBytes[env.Msg.Kind] += size
	if size > from.cfg.Limits.MaxMessageBytes {
		// The transport refuses a frame over its limit: so does the
		// simulated network, so a message core failed to split is lost
		// here as it would be in production (and counted).
		s.oversize++
		s.tracef(TraceEvent{Kind: "oversize", Node: string(from.name), Peer: string(env.To), Msg: env.Msg.Kind.String()}, "%s->%s %s", from.name, env.To, env.Msg.Kind)
		return
	}
	if s.blocked[[2]core.NodeID{from.name, env.To}] {
		return
	}
	if net.Loss > 0 && s.rng.Float64() < net.Loss {
		return
	}
	copies := 1
	if net.Dup > 0 && s.rng.Float64() < net.Dup {
		copies = 2
	}
	for i := 0; i < copies; i++ {
		d := net.MinDelay
		if net.MaxDelay > net.MinDelay {
			d += time.Duration(s.rng.Int64N(int64(net.MaxDelay - net.MinDelay)))
		}
		if net.Reorder > 0 && s.rng.Float64() < net.Reorder {
			d += time.Duration(s.rng.Int64N(int64(10 * net.MaxDelay)))
		}
		d += to.slow
		msg, inc := &env.Msg, to.inc
		fromName := from.name
		sentAt := int64(s.now)
		batch := isHandoverBatch(msg)
		if batch {
			s.batchSent(fromName, to.name, msg.Kind) // handover_batch.go
		}
		dl := s.newDelivery()
		*dl = delivery{msg: msg, from: fromName, to: to, inc: inc, sentAt: sentAt, batch: batch}
		s.seq++
		s.queue.push(event{at: s.now.Add(d), seq: s.seq, dlv: dl})
	}
}

// delivery is a message in flight on the simulated network: its event
// carries it in place of a closure, and a delivered one is reused by the
// next message sent (a closure per message sent was 5% of
// BenchmarkSim5Nodes's allocations).
type delivery struct {
	msg    *core.Message
	from   core.NodeID
	to     *simNode
	inc    uint64
	sentAt int64
	batch  bool
}

// newDelivery returns a delivery from the free list, or a new one.
func (s *Sim) newDelivery() *delivery {
	if n := len(s.freeDeliveries); n > 0 {
		dl := s.freeDeliveries[n-1]
		s.freeDeliveries = s.freeDeliveries[:n-1]
		return dl
	}
	return &delivery{}
}

// deliver lands dl at its receiver (unless it is down, restarted since,
// or cut off from the sender) and returns dl to the free list.
func (s *Sim) deliver(dl *delivery) {
	msg, fromName, to, inc, sentAt, batch := dl.msg, dl.from, dl.to, dl.inc, dl.sentAt, dl.batch
	*dl = delivery{} // keeps no message or node alive
	s.freeDeliveries = append(s.freeDeliveries, dl)
	if batch {
		s.batchLanded(fromName, to.name, msg.Kind)
	}
	if !to.up || to.inc != inc || s.blocked[[2]core.NodeID{fromName, to.name}] {
		return
	}
	if !s.observeDelivery(to, msg) {
		return // a retransmission storm, reported by checkRetransmissions
	}
	s.traceRecv(to.name, fromName, msg.Kind, sentAt)
	if s.direct(to) {
		to.node.Step(s.localTime(to), *msg)
		s.drain(to)
		return
	}
	s.input(to, func() { to.node.Step(s.localTime(to), *msg) })
}

// direct reports whether input would feed an input to sn at once
// (inputs are not batched and sn is not paused): the caller may then feed
// it and drain sn itself, without the closure input would have to keep
// (one allocation per delivered message or child report).
func (s *Sim) direct(sn *simNode) bool { return !s.opts.BatchInputs && !s.paused(sn) }

// childEvent reports ev to sn's core; a start failure is also checked
// against what the node held before and after (startFailureSeen,
// startFailureGaveUp).
func (s *Sim) childEvent(sn *simNode, ev core.ChildEvent) {
	if ev.Kind != core.ChildStartFailed {
		sn.node.ChildEvent(s.localTime(sn), ev)
		return
	}
	s.startFailureSeen(sn, ev)
	had := sn.node.Lookup(ev.ID) != nil
	sn.node.ChildEvent(s.localTime(sn), ev)
	s.startFailureGaveUp(sn, ev.ID, had)
}

// input feeds one input to a node. With Options.BatchInputs the node is
// an event loop that takes InputCost per input: inputs arriving while it
// is busy queue up and are fed together between BeginBatch and EndBatch,
// as the runtime does, so the batched path is simulated too.
func (s *Sim) input(sn *simNode, feed func()) {
	if s.paused(sn) {
		sn.pauseQ = append(sn.pauseQ, feed) // fed in a burst on waking
		return
	}
	if !s.opts.BatchInputs {
		feed()
		s.drain(sn)
		return
	}
	sn.queue = append(sn.queue, feed)
	if sn.flushScheduled {
		return
	}
	sn.flushScheduled = true
	at := s.now
	if sn.busyUntil > at {
		at = sn.busyUntil
	}
	inc := sn.inc
	s.at(at, func() {
		sn.flushScheduled = false
		if !sn.up || sn.inc != inc {
			sn.queue = nil
			return
		}
		q := sn.queue
		sn.queue = nil
		s.tracef(TraceEvent{Kind: "batch", Node: string(sn.name)}, "%s %d", sn.name, len(q))
		sn.node.BeginBatch()
		for _, f := range q {
			f()
		}
		sn.node.EndBatch()
		s.drain(sn)
		sn.busyUntil = s.now.Add(time.Duration(len(q)) * s.opts.InputCost)
	})
}

// traceEffect traces "effect NODE KIND ID #INSTANCE eEPOCH" as tracef
// with "%s %d %s #%d e%d" would, without fmt and its boxed arguments
// (effects are the most frequent trace line: 2.4% of
// BenchmarkSim5Nodes's CPU went to their formatting).
func (s *Sim) traceEffect(sn *simNode, e core.Effect) {
	ev := TraceEvent{Kind: "effect", Node: string(sn.name)}
	b, mark := s.traceBegin(&ev)
	b = append(b, sn.name...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(e.Kind), 10)
	b = append(b, ' ')
	b = append(b, e.ID...)
	b = append(b, " #"...)
	b = strconv.AppendUint(b, e.Instance, 10)
	b = append(b, " e"...)
	b = strconv.AppendUint(b, e.Epoch, 10)
	s.traceEnd(ev, b, mark)
}

// traceRecv traces "recv TO<-FROM KIND" as tracef with "%s<-%s %s"
// would, without fmt (a recv line per delivered message).
func (s *Sim) traceRecv(to, from core.NodeID, kind core.MsgKind, sentAt int64) {
	ev := TraceEvent{Kind: "recv", Node: string(to), Peer: string(from), Msg: kind.String(), SentAt: sentAt}
	b, mark := s.traceBegin(&ev)
	b = append(b, to...)
	b = append(b, "<-"...)
	b = append(b, from...)
	b = append(b, ' ')
	b = append(b, ev.Msg...)
	s.traceEnd(ev, b, mark)
}

// freshState is the state a fresh instance starts with, told apart from
// every other instance's: "ID@NODE.INC#INSTANCE" (as fmt's
// "%s@%s.%d#%d", which was 3% of BenchmarkSim5Nodes's CPU).
func freshState(id core.ChildID, node core.NodeID, inc, instance uint64) []byte {
	b := make([]byte, 0, len(id)+len(node)+24)
	b = append(b, id...)
	b = append(b, '@')
	b = append(b, node...)
	b = append(b, '.')
	b = strconv.AppendUint(b, inc, 10)
	b = append(b, '#')
	return strconv.AppendUint(b, instance, 10)
}

// childReport is a child's report on its way to its node's core: its
// event carries it in place of a closure, and a reported one is reused
// (a closure per report was 8% of BenchmarkSim5Nodes's allocations).
type childReport struct {
	sn  *simNode
	inc uint64
	ev  core.ChildEvent
}

// newReport returns a childReport from the free list, or a new one.
func (s *Sim) newReport() *childReport {
	if n := len(s.freeReports); n > 0 {
		r := s.freeReports[n-1]
		s.freeReports = s.freeReports[:n-1]
		return r
	}
	return &childReport{}
}

// reportChild feeds r to its node (unless it went down or restarted
// since the child made it) and returns r to the free list.
func (s *Sim) reportChild(r *childReport) {
	sn, inc, ev := r.sn, r.inc, r.ev
	*r = childReport{} // keeps no node or state alive
	s.freeReports = append(s.freeReports, r)
	if !sn.up || sn.inc != inc {
		return
	}
	if ev.Kind == core.ChildStarted || ev.Kind == core.ChildStartFailed {
		sn.starting = max(sn.starting-1, 0)
	}
	if ev.Kind == core.ChildStarted {
		s.childRan(sn, ev) // startlatency.go
	}
	if s.direct(sn) {
		if ev.Kind == core.ChildExited {
			s.queueExit(sn, ev)
			return
		}
		s.childEvent(sn, ev)
		s.drain(sn)
		return
	}
	s.input(sn, func() { s.childEvent(sn, ev) })
}

// queueExit feeds sn's exit reports of one instant as one core batch, as
// the runtime's loop feeds what its inbox holds: children stopped
// together by a move exit together, and each exit report fed alone would
// make its claim retraction a message of its own to every peer (one
// claims message per moved child instead of one per move).
func (s *Sim) queueExit(sn *simNode, ev core.ChildEvent) {
	sn.exits = append(sn.exits, queuedExit{ev: ev, inc: sn.inc})
	if len(sn.exits) > 1 {
		return
	}
	s.at(s.now, func() {
		q := sn.exits
		sn.exits = nil
		if !sn.up {
			return
		}
		direct := s.direct(sn) // else paused or batching since: the usual input path
		if direct {
			sn.node.BeginBatch()
		}
		for _, x := range q {
			if x.inc != sn.inc {
				continue // made by an instance of an earlier life
			}
			if direct {
				s.childEvent(sn, x.ev)
			} else {
				ev := x.ev
				s.input(sn, func() { s.childEvent(sn, ev) })
			}
		}
		if direct {
			sn.node.EndBatch()
			s.drain(sn)
		}
	})
}

// queuedExit is an exit report waiting for its instant's batch, with the
// incarnation of the node that made it.
type queuedExit struct {
	ev  core.ChildEvent
	inc uint64
}

// stateNow returns c's state: for a fresh instance (no state handed to
// it, none set since) its own freshState.
func (c *simChild) stateNow() []byte {
	if c.fresh {
		return freshState(c.id, c.node, c.inc, c.instance)
	}
	return c.state
}

func (s *Sim) applyEffect(sn *simNode, e core.Effect) {
	s.traceEffect(sn, e)
	if s.opts.onEffect != nil {
		s.opts.onEffect(s, sn.name, e)
	}
	inc := sn.inc
	report := func(d time.Duration, ev core.ChildEvent) {
		r := s.newReport()
		*r = childReport{sn: sn, inc: inc, ev: ev}
		s.seq++
		s.queue.push(event{at: s.now.Add(d), seq: s.seq, rep: r})
	}
	switch e.Kind {
	case core.EffectStart:
		s.endInstance(sn, e.ID) // a restart replaces the old instance
		sn.starting++
		fate := s.movedStart(sn, e.ID) // faults_starting.go
		if e.Spec.Params["fail"] == "start" || fate == fateFailsStart {
			// It exists (starting) until its failure is reported.
			tr := &checks.Instance{Child: string(e.ID), Node: string(sn.name), Incarnation: sn.inc, Epoch: e.Epoch, Instance: e.Instance, Start: int64(s.now), End: int64(s.now.Add(s.opts.ChildStartDelay)), Active: e.Active}
			if e.State != nil {
				// A handed-over state given to a start that fails goes
				// with it (faults_starting.go fails moved starts).
				tr.Received, tr.Given = string(e.State), []string{string(e.State)}
			}
			s.instances = append(s.instances, tr)
			report(s.opts.ChildStartDelay, core.ChildEvent{Kind: core.ChildStartFailed, ID: e.ID, Instance: e.Instance, Reason: "simulated start failure"})
			return
		}
		tenure := s.restarting
		if tenure == 0 {
			s.tenures++
			tenure = s.tenures
		}
		// Every fresh instance has a state of its own, told apart from
		// every other instance's (stateNow); handed-over state replaces it.
		c := &simChild{id: e.ID, instance: e.Instance, epoch: e.Epoch, state: e.State, fresh: e.State == nil, node: sn.name, inc: sn.inc, spec: e.Spec, tenure: tenure}
		c.own = checks.Instance{Child: string(e.ID), Node: string(sn.name), Incarnation: sn.inc, Epoch: e.Epoch, Instance: e.Instance, Start: int64(s.now), End: -1, Active: e.Active, Received: string(e.State)}
		tr := &c.own
		c.truth = tr
		if e.State != nil {
			tr.Given = []string{string(e.State)}
		}
		s.instances = append(s.instances, tr)
		sn.children[e.ID] = c
		d := s.childStartDelay()
		report(d, core.ChildEvent{Kind: core.ChildStarted, ID: e.ID, Instance: e.Instance})
		switch {
		case fate == fateCrashBeforeRun:
			s.crashStarting(sn, e.ID, e.Instance, d/2, false)
		case fate == fateCrashAfterRun:
			s.crashStarting(sn, e.ID, e.Instance, d+time.Millisecond, true)
		case e.State != nil && s.fireStartFault(SiteCrashBeforeRun):
			s.crashStarting(sn, e.ID, e.Instance, d/2, false) // given a stashed state
		}
		if e.State != nil {
			s.crashReceiverGiven(sn) // faults_starting.go
		}
	case core.EffectStop:
		if c := sn.children[e.ID]; c != nil && c.instance == e.Instance {
			s.swapStopped(sn, e) // startlatency.go
			// Strict mode keeps a stopped child leased until its exit is
			// reported, and a move keeps its claim (AwaitExit); other
			// stops need no report. It may take a while (slowexit.go).
			s.stopChild(sn, c, e, report)
		}
		if s.handovers[e.ID] == e.Instance {
			delete(s.handovers, e.ID)
		}
	case core.EffectRequestHandover:
		if c := sn.children[e.ID]; c != nil && c.instance == e.Instance {
			s.swapAsked(sn, e) // startlatency.go
			s.handovers[e.ID] = e.Instance
			if s.fire(SiteIsolateDuringHandover) {
				var others []core.NodeID
				for _, n := range s.LiveNodes() {
					if n != sn.name {
						others = append(others, n)
					}
				}
				s.Partition([]core.NodeID{sn.name}, others)
				s.after(2*sn.cfg.Migration.Retention, s.Heal)
			}
			state := c.stateNow()
			if sn.leaving {
				s.leaveHandovers = append(s.leaveHandovers, checks.Handover{Child: string(e.ID), From: string(sn.name), State: string(state), At: int64(s.now)})
			}
			s.handedOver[e.ID] = append(s.handedOver[e.ID], handedState{node: sn.name, instance: e.Instance, state: string(state)})
			report(time.Millisecond, core.ChildEvent{Kind: core.ChildHandoverState, ID: e.ID, Instance: e.Instance, State: state})
			s.crashNodeDuringHandover(sn, time.Millisecond) // once the state left (faults_starting.go)
		}
	case core.EffectDeliverHandover:
		if c := sn.children[e.ID]; c != nil && c.instance == e.Instance {
			c.state, c.fresh = e.State, false
			c.truth.Received = string(e.State)
			c.truth.Given = append(c.truth.Given, string(e.State))
			if c.truth.Ran == 0 && s.fireStartFault(SiteCrashBeforeRun) {
				s.crashStarting(sn, e.ID, e.Instance, 0, false) // faults_starting.go
			}
			if c.truth.Ran == 0 {
				s.crashReceiverGiven(sn) // faults_starting.go
			}
			report(time.Millisecond, core.ChildEvent{Kind: core.ChildHandoverConfirmed, ID: e.ID, Instance: e.Instance})
		}
	case core.EffectSignal:
		if c := sn.children[e.ID]; c != nil && c.instance == e.Instance {
			c.truth.Active = e.Active
		}
	}
}

// startFailureGaveUp records the end of child id when the node that took
// in its start failure gave it up (tombstoned its entry: had is whether
// the node held it live before). Like a child the node gives up after a
// crash (CrashChild), the tombstone is written outside the owner-routed
// history: for the checks it is a stop of unknown outcome from this
// instant on, and the child may be gone. A start the client awaits is
// answered "failed" by its owner, but a takeover's start (a migration, a
// failover) has no client: without the stop, an acknowledged start
// followed by the takeover's failure and a new acknowledged start read as
// two starts of a present child (crash strict seed 3320 of the long sweep:
// f0's start was acknowledged, n1 handed it to the rejoined n3 before its
// failure report, n3's start failed and tombstoned it, and a later start
// was acknowledged: "linearizability illegal").
//
// The stop is recorded even when a client still awaits a start of the
// child: that start may be answered with another outcome than "failed"
// (partition strict seed 20670: #17's start of f0 was answered timeout,
// unknown, after n3's takeover start of f0 failed and tombstoned it, and a
// later start was ok).
func (s *Sim) startFailureGaveUp(sn *simNode, id core.ChildID, had bool) {
	if !had || !sn.up || sn.node.Lookup(id) != nil {
		return
	}
	s.gone[id] = true
	s.nextCli++
	s.addOp(&clientReq{node: sn.name, client: s.nextCli, call: s.now}, checks.OpStop, id, checks.OutcomeUnknown, nil, 0, false)
}

// startFailureSeen records when a node takes in the report of a start
// that failed: the instance ended when the failure was reported, but a
// busy node lists it (starting) until it takes the report from its queue,
// and a request it takes directly can come first (none strict seed 2083:
// a which_children_global on a busy n4 listed f1 #1 after its failure
// report had queued).
func (s *Sim) startFailureSeen(sn *simNode, ev core.ChildEvent) {
	for i := len(s.instances) - 1; i >= 0; i-- {
		in := s.instances[i]
		if in.Node == string(sn.name) && in.Incarnation == sn.inc && in.Instance == ev.Instance && in.Child == string(ev.ID) {
			if int64(s.now) > in.End {
				in.EndSeen = int64(s.now)
			}
			return
		}
	}
}

// CrashChild makes a running child exit abnormally.
func (s *Sim) CrashChild(node core.NodeID, id core.ChildID) bool {
	sn := s.nodes[node]
	if sn == nil || !sn.up || s.paused(sn) {
		return false
	}
	c := sn.children[id]
	if c == nil {
		return false
	}
	s.tracef(TraceEvent{Kind: "crash-child", Node: string(node)}, "%s %s", node, id)
	s.endInstance(sn, id)
	at := s.localTime(sn)
	s.restarting = c.tenure // a restart in this batch continues the tenure
	sn.node.ChildEvent(at, core.ChildEvent{Kind: core.ChildExited, ID: id, Instance: c.instance, Abnormal: true, Reason: "simulated crash"})
	s.drain(sn)
	s.restarting = 0
	if sn.up {
		nc := sn.children[id]
		restarted := nc != nil && nc.instance != c.instance
		s.crashObs = append(s.crashObs, checks.ChildCrash{Child: string(id), Node: string(node), Incarnation: sn.inc, Epoch: c.epoch, Policy: c.spec.Restart.String(), At: int64(at), Restarted: restarted, Tenure: c.tenure})
		if !restarted && c.spec.Restart != core.Temporary {
			s.cover(CoverRestartIntensityExceeded)
		}
		if !restarted {
			// The node gave the child up: it tombstones the entry itself,
			// outside the owner-routed history. For the checks this is a
			// stop of unknown outcome from this instant on (it may lose to
			// a concurrent owner decision), and the child may be gone.
			s.gone[id] = true
			s.nextCli++
			s.addOp(&clientReq{node: node, client: s.nextCli, call: s.now}, checks.OpStop, id, checks.OutcomeUnknown, nil, 0, false)
		}
	}
	return true
}

// ChildState returns the state of the running instance of id on node.
func (s *Sim) ChildState(node core.NodeID, id core.ChildID) ([]byte, bool) {
	sn := s.nodes[node]
	if sn == nil || !sn.up {
		return nil, false
	}
	c := sn.children[id]
	if c == nil {
		return nil, false
	}
	return c.stateNow(), true
}

// SetChildState sets the state of the running instance of id on node.
func (s *Sim) SetChildState(node core.NodeID, id core.ChildID, state []byte) bool {
	sn := s.nodes[node]
	if sn == nil || !sn.up || sn.children[id] == nil {
		return false
	}
	c := sn.children[id]
	c.state, c.fresh = state, false
	return true
}

// Running returns the nodes running id now, sorted.
func (s *Sim) Running(id core.ChildID) []core.NodeID {
	var out []core.NodeID
	for _, n := range s.names {
		sn := s.nodes[n]
		if sn.up && sn.children[id] != nil {
			out = append(out, n)
		}
	}
	return out
}

// RunningCount returns how many instances run on node.
func (s *Sim) RunningCount(node core.NodeID) int {
	sn := s.nodes[node]
	if sn == nil || !sn.up {
		return 0
	}
	return len(sn.children)
}

// HookCount returns how many hooks of kind fired on all nodes, counting a
// hook about several children once per child (as ProcessHub's per-child
// hook messages).
func (s *Sim) HookCount(kind core.HookKind) int { return s.hooks[kind] }

// Instances returns the truth about every instance that ever ran.
func (s *Sim) Instances() []checks.Instance {
	out := make([]checks.Instance, len(s.instances))
	for i, in := range s.instances {
		out[i] = *in
	}
	return out
}

// Traffic returns how many protocol messages the nodes have sent so far
// and their encoded bytes (core.MessageBytes), counting messages the
// network then lost or refused.
func (s *Sim) Traffic() (messages, bytes int) { return s.sentMsgs, s.sentBytes }

// TrafficOf returns what Traffic counts for the messages of one kind.
func (s *Sim) TrafficOf(kind core.MsgKind) (messages, bytes int) {
	return s.sentKind[kind], s.sentKindBytes[kind]
}
