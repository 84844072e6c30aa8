package core

// Handovers and their acknowledgements in batches. A hot swap moves many
// children at once (a join moves a quarter of them to the joiner), and
// every moved child's old instance hands its state over and is
// acknowledged. One message each way per child made a 10,000-child join
// under hot swap send 4,640 handovers and acknowledgements, and, each
// acknowledgement being its own input, a claim retraction per child to
// every peer (BenchmarkJoin10k/hot: 11,615 messages).
//
// Now a node queues the handovers and acknowledgements it sends and, when
// the driver drains its outputs (Ready), sends one message per receiver:
// a MsgHandover or MsgHandoverAck whose Handovers list names each child.
// A batch of one goes in the one-child form (IDs, State, Epoch, Seq,
// Full), which every peer understands; a state larger than
// maxBatchedStateBytes goes alone in that form too, so a batch never holds
// an item larger than a message part (chunks.go splits a large batch in
// parts). The receiver handles each item as a one-child message, and
// acknowledges it in its own batch, so the sender stops the old instances
// in one input and retracts their claims in one message per peer.
// Queued messages go out in the same Ready as the input that queued them:
// the batching only joins what one drain already held.

// maxBatchedStateBytes bounds the state of a handover that travels in a
// batch; a larger one is sent alone.
func (l Limits) maxBatchedStateBytes() int { return l.MaxMessageBytes / 4 }

// handoverBatches holds the handovers and acknowledgements queued for
// each receiver until the outputs are drained.
type handoverBatches struct {
	handovers map[NodeID][]HandoverItem
	acks      map[NodeID][]HandoverItem
}

// queueHandover sends a handover: queued for the next Ready, or at once
// when its state is too large for a batch.
func (n *Node) queueHandover(to NodeID, it HandoverItem) {
	if len(it.State) > n.cfg.Limits.maxBatchedStateBytes() {
		n.send(to, handoverMsg(it))
		return
	}
	if n.migr.batch.handovers == nil {
		n.migr.batch.handovers = map[NodeID][]HandoverItem{}
	}
	n.migr.batch.handovers[to] = append(n.migr.batch.handovers[to], it)
}

// queueAck acknowledges the handover k of id, in the next Ready.
func (n *Node) queueAck(to NodeID, id ChildID, k handoverKey) {
	if n.migr.batch.acks == nil {
		n.migr.batch.acks = map[NodeID][]HandoverItem{}
	}
	n.migr.batch.acks[to] = append(n.migr.batch.acks[to], HandoverItem{ID: id, Epoch: k.epoch, Instance: k.instance})
}

// flushHandoverBatches sends every queued handover and acknowledgement,
// one message per receiver and kind, receivers in name order.
func (n *Node) flushHandoverBatches() {
	for _, q := range []struct {
		items map[NodeID][]HandoverItem
		kind  MsgKind
	}{{n.migr.batch.handovers, MsgHandover}, {n.migr.batch.acks, MsgHandoverAck}} {
		if len(q.items) == 0 {
			continue
		}
		for _, to := range sortedKeys(q.items) {
			items := q.items[to]
			switch {
			case len(items) == 1 && q.kind == MsgHandover:
				n.send(to, handoverMsg(items[0]))
			case len(items) == 1:
				n.send(to, Message{Kind: MsgHandoverAck, IDs: []ChildID{items[0].ID}, Epoch: items[0].Epoch, Seq: items[0].Instance})
			default:
				n.send(to, Message{Kind: q.kind, Handovers: items})
			}
		}
	}
	n.migr.batch.handovers, n.migr.batch.acks = nil, nil
}

// handoverMsg is the one-child form of a handover.
func handoverMsg(it HandoverItem) Message {
	return Message{Kind: MsgHandover, IDs: []ChildID{it.ID}, State: it.State, Epoch: it.Epoch, Seq: it.Instance, Full: it.Shutdown}
}

// onHandoverMsg handles a MsgHandover: each child of a batch as a
// one-child message.
func (n *Node) onHandoverMsg(m Message) {
	if len(m.Handovers) == 0 {
		n.onHandover(m)
		return
	}
	for _, it := range m.Handovers {
		one := handoverMsg(it)
		one.Hub, one.From, one.Inc = m.Hub, m.From, m.Inc
		n.onHandover(one)
	}
}

// onHandoverAckMsg handles a MsgHandoverAck: each acknowledgement of a
// batch as a one-child acknowledgement.
func (n *Node) onHandoverAckMsg(m Message) {
	if len(m.Handovers) == 0 {
		n.onHandoverAck(m.From, m.IDs, m.Epoch, m.Seq)
		return
	}
	for _, it := range m.Handovers {
		n.onHandoverAck(m.From, []ChildID{it.ID}, it.Epoch, it.Instance)
	}
}
