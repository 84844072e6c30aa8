package checks

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// genConfig shapes a generated history.
type genConfig struct {
	Ops, Children, Clients int
	UnknownFrac            float64 // fraction of ops whose outcome is lost
	Seed                   uint64
}

// genHistory generates a history that is linearizable by construction: each
// op gets a linearization point inside [Call, Return], outputs are computed
// by applying the ops to a true registry in linearization-point order, and
// present children sometimes migrate (their epoch grows with no client op).
// Unknown ops take effect (or not) at any point after their call, possibly
// long after the client gave up.
func genHistory(cfg genConfig) History {
	r := rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))
	type pending struct {
		op      Op
		lin     int64
		applied bool // for unknown ops: whether the effect happens
		migrate bool // a spontaneous epoch bump, not a client op
	}
	free := make([]int64, cfg.Clients)
	var ps []pending
	for i := 0; i < cfg.Ops; i++ {
		c := r.IntN(cfg.Clients)
		call := free[c] + 1 + r.Int64N(50)
		lin := call + r.Int64N(100)
		ret := lin + r.Int64N(100)
		child := fmt.Sprintf("c%03d", r.IntN(cfg.Children))
		kind := []OpKind{OpStart, OpStart, OpStop, OpLookup, OpLookup}[r.IntN(5)]
		p := pending{op: Op{Client: c, Node: fmt.Sprintf("n%d", r.IntN(5)), Child: child, Kind: kind, Call: call, Return: ret}, lin: lin}
		if r.Float64() < cfg.UnknownFrac {
			p.op.Outcome = OutcomeUnknown
			p.lin = call + r.Int64N(2000)
			p.applied = r.IntN(2) == 0
			ret = call + 300 // the client times out and moves on
		}
		free[c] = ret
		ps = append(ps, p)
		if r.IntN(20) == 0 {
			ps = append(ps, pending{op: Op{Child: child}, lin: lin + 1, migrate: true})
		}
	}
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(ps[a].lin - ps[b].lin) })
	type state struct {
		present bool
		epoch   uint64
		nodes   []string
	}
	states := make(map[string]*state)
	epochs := make(map[string]uint64)
	for _, i := range order {
		p := &ps[i]
		s := states[p.op.Child]
		if s == nil {
			s = &state{}
			states[p.op.Child] = s
		}
		unknown := p.op.Outcome == OutcomeUnknown
		if unknown && !p.applied {
			continue
		}
		switch {
		case p.migrate:
			if s.present {
				epochs[p.op.Child]++
				s.epoch = epochs[p.op.Child]
			}
		case p.op.Kind == OpStart:
			if s.present {
				p.op.Outcome = OutcomeAlreadyStarted
				break
			}
			epochs[p.op.Child]++
			*s = state{present: true, epoch: epochs[p.op.Child], nodes: []string{p.op.Node}}
			p.op.Outcome, p.op.Epoch, p.op.Nodes = OutcomeOK, s.epoch, s.nodes
		case p.op.Kind == OpStop:
			if !s.present {
				p.op.Outcome = OutcomeNotFound
				break
			}
			*s = state{}
			p.op.Outcome = OutcomeOK
		case p.op.Kind == OpLookup:
			if !s.present {
				p.op.Outcome = OutcomeNotFound
				break
			}
			p.op.Outcome, p.op.Epoch, p.op.Nodes = OutcomeOK, s.epoch, s.nodes
		}
		if unknown {
			p.op.Outcome, p.op.Epoch, p.op.Nodes = OutcomeUnknown, 0, nil
		}
	}
	var h History
	for _, p := range ps {
		if p.migrate {
			continue
		}
		if p.op.Outcome == OutcomeUnknown {
			p.op.Return = 0
		}
		h.Add(p.op)
	}
	return h
}
