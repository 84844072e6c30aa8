package core

// masterCandidates returns the nodes among which the active/passive
// master of e is chosen (master): its placement — for a guided child,
// its pinned nodes that are alive in this node's view. A pinned node that
// is down or has left runs no replica, so as master it left the child
// with no active replica at all (mix seeds 326 and 364: a guided start
// pinned to a node that had left, every live replica passive for good);
// the master moves back when the node returns, as a ring-placed child's
// does. All pinned nodes count when none is alive.
func (n *Node) masterCandidates(e *Entry) []NodeID {
	if len(e.Pinned) == 0 {
		return n.placement(e)
	}
	alive := make([]NodeID, 0, len(e.Pinned))
	for _, p := range e.Pinned {
		if p == n.cfg.Name || n.members.alive(p) {
			alive = append(alive, p)
		}
	}
	if len(alive) == 0 {
		return e.Pinned
	}
	return alive
}
