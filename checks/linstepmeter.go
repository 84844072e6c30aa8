package checks

import (
	"slices"
	"sync/atomic"

	"github.com/anishathalye/porcupine"
)

// stepMeter counts porcupine's model steps per child, for a step budget
// (LinBudget.Steps). porcupine checks each child's partition in its own
// goroutine, so each child has its own counter; the map is built before
// the check and only read during it.
type stepMeter struct {
	budget int64
	used   map[string]*atomic.Int64
}

func newStepMeter(ops []porcupine.Operation, budget int64) *stepMeter {
	m := &stepMeter{budget: budget, used: map[string]*atomic.Int64{}}
	if budget <= 0 {
		return m
	}
	for _, op := range ops {
		c := op.Input.(regInput).Child
		if m.used[c] == nil {
			m.used[c] = new(atomic.Int64)
		}
	}
	return m
}

// wrap returns model with a Step that refuses every step of a child past
// its budget, so porcupine's search of that child ends quickly (it
// backtracks through what it linearized) instead of running on.
func (m *stepMeter) wrap(model porcupine.Model) porcupine.Model {
	if m.budget <= 0 {
		return model
	}
	step := model.Step
	model.Step = func(s, in, out any) (bool, any) {
		if m.used[in.(regInput).Child].Add(1) > m.budget {
			return false, s
		}
		return step(s, in, out)
	}
	return model
}

// exhausted returns, sorted, the children whose search ran out of steps.
func (m *stepMeter) exhausted() []string {
	var out []string
	for c, n := range m.used {
		if n.Load() > m.budget {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}
