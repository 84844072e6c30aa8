package core

// Answered requests, kept compactly for deduplication.
//
// An owner remembers the results of the last maxDoneResults requests it
// answered (replicator.done), so that a retransmission — its answer was
// lost, or the network duplicated it — gets the same answer instead of
// being executed again. A large request goes in parts of 4,096 children
// (subparts.go), so the table holds up to 4,096 parts, and each result
// kept whole (id, node list, epoch, error, detail, metadata: ~100 bytes
// with its node list) cost ~33 MB per node after a million-child start on
// 3 nodes, held until 4,096 later requests pushed them out.
//
// A large answer keeps, per child, only its epoch and the index of its
// shape: the node list, error and detail it shares with other children
// (an owner's start answers every child it placed alone with the same
// one-node list). Ids are not kept: a retransmission names the same
// children in the same order (same origin, incarnation and sequence
// number), so they come from it. Small answers, answers carrying
// metadata (lookups) and answers with more than maxDoneShapes shapes are
// kept as they were. Rebuilt, an answer equals the one first sent.

// compactDoneAbove is the size above which an answer is kept compactly.
const compactDoneAbove = 64

// maxDoneShapes bounds the distinct shapes of a compact answer.
const maxDoneShapes = 16

// doneResults is a remembered answer: whole (plain), or compact.
type doneResults struct {
	plain  []ChildResult
	epochs []uint64
	shape  []uint8
	shapes []ChildResult // Nodes, Err and Detail; ID and Epoch empty
}

// compactDone returns res as kept in the table of answered requests.
func compactDone(res []ChildResult) doneResults {
	if len(res) <= compactDoneAbove {
		return doneResults{plain: res}
	}
	d := doneResults{epochs: make([]uint64, len(res)), shape: make([]uint8, len(res))}
	last := -1
	for i := range res {
		r := &res[i]
		if r.Metadata != nil {
			return doneResults{plain: res}
		}
		k := last
		if k < 0 || !sameShape(&d.shapes[k], r) {
			k = -1
			for j := range d.shapes {
				if sameShape(&d.shapes[j], r) {
					k = j
					break
				}
			}
		}
		if k < 0 {
			if len(d.shapes) == maxDoneShapes {
				return doneResults{plain: res}
			}
			d.shapes = append(d.shapes, ChildResult{Nodes: r.Nodes, Err: r.Err, Detail: r.Detail})
			k = len(d.shapes) - 1
		}
		d.epochs[i], d.shape[i], last = r.Epoch, uint8(k), k
	}
	return d
}

// sameShape reports whether r has shape s: the same nodes, error and
// detail.
func sameShape(s, r *ChildResult) bool {
	if s.Err != r.Err || s.Detail != r.Detail || len(s.Nodes) != len(r.Nodes) {
		return false
	}
	for i := range s.Nodes {
		if s.Nodes[i] != r.Nodes[i] {
			return false
		}
	}
	return true
}

// results rebuilds the answer to m, a retransmission of the request it
// answered: the ids come from m. An m naming another number of children
// (never sent for one sequence number) gets the remembered results
// without ids.
func (d doneResults) results(m Message) []ChildResult {
	if d.epochs == nil {
		return d.plain
	}
	out := make([]ChildResult, len(d.epochs))
	for i := range out {
		s := &d.shapes[d.shape[i]]
		out[i] = ChildResult{Nodes: s.Nodes, Epoch: d.epochs[i], Err: s.Err, Detail: s.Detail}
	}
	if ids := requestIDs(m); len(ids) == len(out) {
		for i, id := range ids {
			out[i].ID = id
		}
	}
	return out
}

// doneResults returns the remembered answer to key, rebuilt for m.
func (n *Node) doneResults(key reqKey, m Message) ([]ChildResult, bool) {
	d, ok := n.repl.done[key]
	if !ok {
		return nil, false
	}
	return d.results(m), true
}
