package admin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
)

// phub_children_migrated_total counts on the node the children left (core
// emits children_migrated there), and its help text says so: when a node
// joins, the node that handed children over counts them, the joiner
// counts nothing.
func TestChildrenMigratedCountsTheNodeLeft(t *testing.T) {
	net := transport.NewInmemNetwork()
	start := func(name core.NodeID, seeds []core.NodeID) (*phub.Hub, *metrics) {
		h, err := phub.New(phub.Config{Core: fastCore(name, seeds), Transport: net.Endpoint(name), Logger: quiet(),
			Kinds: phub.Registry{kinds.CounterKind: kinds.NewCounters().Factory}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h.Close(ctx)
		})
		m, err := newMetrics(h, nil)
		if err != nil {
			t.Fatal(err)
		}
		return h, m
	}
	h1, m1 := start("n1", nil)
	var specs []core.ChildSpec
	for i := 0; i < 20; i++ {
		specs = append(specs, core.ChildSpec{ID: core.ChildID(fmt.Sprintf("m%02d", i)), Kind: kinds.CounterKind})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := h1.StartChildren(ctx, specs, phub.Await()); err != nil || !res.OK() {
		t.Fatalf("start: %v %v", err, res.Errors())
	}
	h2, m2 := start("n2", []core.NodeID{"n1"})
	var moved int
	waitFor(t, "children moved to the joiner and counted on the node they left", func() bool {
		moved = len(h2.WhichChildrenLocal().Children)
		return moved > 0 && len(h1.WhichChildrenLocal().Children) == len(specs)-moved &&
			migratedTotal(t, m1) == float64(moved)
	})
	if got := migratedTotal(t, m2); got != 0 {
		t.Errorf("the joiner counted %v migrated children, want 0 (they migrated to it)", got)
	}
	help, _ := migrated(t, m1)
	if !strings.Contains(help, "away from this node") || strings.Contains(help, "to this node") {
		t.Errorf("help text %q does not say the count is of children that left this node", help)
	}
}

// migrated returns phub_children_migrated_total's help text and value.
func migrated(t *testing.T, m *metrics) (help string, value float64) {
	t.Helper()
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == "phub_children_migrated_total" {
			return f.GetHelp(), f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatal("no phub_children_migrated_total")
	return "", 0
}

func migratedTotal(t *testing.T, m *metrics) float64 {
	_, v := migrated(t, m)
	return v
}
