package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// The wider workload (issue 10): large batches and guided mappings,
// drawn per seed from a stream of their own so every other draw of a
// seed stays what it was.
//
//   - A large batch is one awaited start of 100–300 children from a random
//     live node during chaos, on nodes whose limits are shrunk (as
//     smallLimits in the tests) so the batch's routed requests, its
//     replication and the full syncs that carry it are split into parts.
//   - A guided seed runs the guided distribution: every start carries a
//     child mapping (the sim adds one to starts that have none, naming
//     Factor random members), and one in six a deliberately invalid one
//     (an unknown node, a repeated node, a spec left out, a wrong number
//     of nodes) that must be refused with ProcessHub's named error and
//     change nothing.

// drawWide draws the wide-workload settings of a seed.
func drawWide(class Class, seed uint64, s *Setup) {
	r := rand.New(rand.NewPCG(seed, uint64(len(class))*7919+4)) // +3 is strict mode's
	if r.IntN(5) == 0 {
		s.LargeBatch = 100 + r.IntN(201)
	}
	// Guided children are bound to their nodes: a node that left for good
	// (churn) or a cluster that loses every disk would strand them, so
	// those classes keep consistent hashing.
	if class != ClassChurn && class != ClassDurable && r.IntN(6) == 0 {
		s.Guided = true
	}
}

// wideLimits shrinks the limits table so that a large batch's messages
// are split (the largest legal entry still fits one part).
func wideLimits(c *core.Config) {
	l := &c.Limits
	l.MaxKindBytes, l.MaxParams, l.MaxParamBytes, l.MaxSpecBytes = 32, 4, 512, 1024
	l.MaxMetadataEntries, l.MaxMetadataBytes, l.MaxPinnedNodes = 4, 256, 4
	l.MaxMessageBytes = 8 << 10
}

// scheduleLargeBatch schedules the seed's large batch within chaos.
func (s *Sim) scheduleLargeBatch(n int, r *rand.Rand, chaos time.Duration) {
	if n == 0 {
		return
	}
	at := time.Duration(r.Int64N(int64(chaos / 2)))
	s.after(at, func() {
		live := s.LiveNodes()
		if len(live) == 0 {
			return
		}
		specs := make([]core.ChildSpec, n)
		for i := range specs {
			specs[i] = core.ChildSpec{ID: core.ChildID(fmt.Sprintf("b%d", i)), Restart: core.RestartPolicy(i % 3)}
		}
		s.cover(CoverLargeBatch)
		s.Request(live[r.IntN(len(live))], core.Request{Op: core.OpStart, Specs: specs,
			Start: core.StartOptions{Await: true, SkipCheckExisting: true, Metadata: core.Metadata{"tag": "large"}}})
	})
}

// guidedMapping gives a guided seed's start a child mapping when it has
// none: Factor distinct random members per child, the same for every
// start of one id (two concurrent starts of one id with different
// mappings are both acknowledged: each pinned node acts as the child's
// owner, so guided callers must keep one mapping per id — found by this
// workload, documented), or, one time in six, a
// mapping that is invalid in one of ProcessHub's ways (remembered, so the
// reply can be checked).
func (s *Sim) guidedMapping(r *core.Request) {
	if !s.guided || r.Op != core.OpStart || r.Start.ChildMapping != nil || len(r.Specs) == 0 {
		return
	}
	factor := 1
	for _, n := range s.names {
		factor = max(1, s.nodes[n].cfg.Redundancy.Factor)
		break
	}
	factor = min(factor, len(s.names))
	if s.pinRng == nil {
		// A stream of its own: which children a seed pins to which nodes
		// (to the node an outage takes down, say) must not move with
		// message traffic, nor differ between the partition modes of the
		// availability report (it moved every guided wait with 60d9ae7).
		s.pinRng = rand.New(rand.NewPCG(s.opts.Seed, 0x70696e73))
	}
	m := map[core.ChildID][]core.NodeID{}
	for _, sp := range r.Specs {
		nodes, ok := s.guidedNodes[sp.ID]
		if !ok {
			perm := s.pinRng.Perm(len(s.names))
			for _, i := range perm[:factor] {
				nodes = append(nodes, s.names[i])
			}
			s.guidedNodes[sp.ID] = nodes
		}
		m[sp.ID] = append([]core.NodeID(nil), nodes...)
	}
	r.Start.ChildMapping = m
	if s.pinRng.IntN(6) != 0 {
		return
	}
	id := r.Specs[0].ID
	switch s.pinRng.IntN(4) {
	case 0:
		m[id] = append(m[id][:factor-1:factor-1], "n99") // a node nobody heard of
	case 1:
		if factor > 1 {
			m[id] = append(m[id][:factor-1:factor-1], m[id][0]) // a repeated node
		} else {
			m[id] = []core.NodeID{""}
		}
	case 2:
		delete(m, id) // a spec left out
	default:
		m[id] = append(m[id], m[id][0]) // one node too many
	}
	s.invalidGuided[s.nextReq+1] = true
}

// invalidMappingErrors are the named errors of an invalid child mapping.
var invalidMappingErrors = []error{core.ErrInvalidChildMapping, core.ErrChildMappingMismatch, core.ErrChildReplicationMismatch}

// checkGuidedReply asserts that a start with an invalid mapping was
// refused as a whole with a named error.
func (s *Sim) checkGuidedReply(id uint64, rep core.Reply) {
	if !s.invalidGuided[id] {
		return
	}
	delete(s.invalidGuided, id)
	for _, e := range invalidMappingErrors {
		if errors.Is(rep.Err, e) {
			s.cover(CoverGuidedInvalidRefused)
			return
		}
	}
	s.guidedViolations = append(s.guidedViolations, checks.Violation{Check: "guided-mapping",
		Detail: fmt.Sprintf("request %d with an invalid child mapping was answered %v (results %v), not with a named mapping error", id, rep.Err, rep.Results)})
}
