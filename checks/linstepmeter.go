package checks

import (
	"slices"
	"sync/atomic"

	"github.com/anishathalye/porcupine"
)

// stepMeter counts porcupine's model steps per child (LinResult.Steps),
// for a step budget (LinBudget.Steps). porcupine checks each child's partition in its own
// goroutine, so each child has its own counter; the map is built before
// the check and only read during it.
type stepMeter struct {
	budget int64
	used   map[string]*atomic.Int64
}

func newStepMeter(ops []porcupine.Operation, budget int64) *stepMeter {
	m := &stepMeter{budget: budget, used: map[string]*atomic.Int64{}}
	for _, op := range ops {
		c := op.Input.(regInput).Child
		if m.used[c] == nil {
			m.used[c] = new(atomic.Int64)
		}
	}
	return m
}

// wrap returns model with a Step that counts each child's steps and,
// with a budget, refuses every step of a child past it, so porcupine's
// search of that child ends quickly (it backtracks through what it
// linearized) instead of running on.
func (m *stepMeter) wrap(model porcupine.Model) porcupine.Model {
	step := model.Step
	model.Step = func(s, in, out any) (bool, any) {
		if n := m.used[in.(regInput).Child].Add(1); m.budget > 0 && n > m.budget {
			return false, s
		}
		return step(s, in, out)
	}
	return model
}

// most returns the most steps one child's search took.
func (m *stepMeter) most() int64 {
	var most int64
	for _, n := range m.used {
		most = max(most, n.Load())
	}
	return most
}

// exhausted returns, sorted, the children whose search ran out of steps.
func (m *stepMeter) exhausted() []string {
	if m.budget <= 0 {
		return nil
	}
	var out []string
	for c, n := range m.used {
		if n.Load() > m.budget {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}
