package sim

// SweepRepairs returns the periodic round's sweep repairs of every
// incarnation of every node so far (core.Stats.SweepRepairs): the
// children the sweep started, stopped or changed without a mark that
// would have scheduled them. The simulator loses no exit report, so every
// one is a condition of placement that changed without marking its child
// (core/syncround.go).
func (s *Sim) SweepRepairs() int {
	n := s.sweepRepairsGone
	for _, name := range s.names {
		if sn := s.nodes[name]; sn.node != nil {
			n += sn.node.Stats().SweepRepairs
		}
	}
	return n
}
