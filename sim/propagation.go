package sim

import (
	"fmt"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// propagationSample is one live node whose registry did not list one
// running instance at one instant of a calm phase.
type propagationSample struct {
	at       core.Instant
	observer core.NodeID
	inst     *checks.Instance
}

// sampleRegistries records, for every instance that has run for at least
// bound, each live node whose registry does not list it (listed samples
// pass whatever happens later, so they are not kept). Judged later by
// checkPropagation, once the instance's end is known.
func (s *Sim) sampleRegistries(bound time.Duration) {
	live := s.LiveNodes()
	cutoff := int64(s.now.Add(-bound))
	for _, in := range s.instances {
		if in.End >= 0 || in.Start > cutoff || !s.Up(core.NodeID(in.Node)) {
			continue
		}
		s.propNewest = max(s.propNewest, in.Start)
		for _, l := range live {
			e := s.nodes[l].node.Lookup(core.ChildID(in.Child))
			listed := false
			if e != nil {
				for _, r := range e.Replicas {
					if string(r.Node) == in.Node {
						listed = true
					}
				}
			}
			if !listed {
				s.propSamples = append(s.propSamples, propagationSample{at: s.now, observer: l, inst: in})
			}
		}
	}
}

// checkPropagation judges the samples: an instance that had run for the
// bound at a sample, and kept running for the bound after it (so no stop
// was on its way), must have been listed by every live node.
func (s *Sim) checkPropagation(bound time.Duration) []checks.Violation {
	var vs []checks.Violation
	for _, p := range s.propSamples {
		if p.inst.End >= 0 && p.inst.End < int64(p.at.Add(bound)) {
			continue
		}
		vs = append(vs, checks.Violation{Check: checks.CheckPropagation, Child: p.inst.Child, Node: string(p.observer),
			Detail: fmt.Sprintf("at %d, %s's registry did not list %s, running since %d (bound %v)", int64(p.at), p.observer, p.inst, p.inst.Start, bound)})
		if len(vs) >= 10 {
			break
		}
	}
	return vs
}
