package phubtest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/phubtest"
)

// waiter is a child that runs until it is stopped.
func waiter(core.ChildSpec) (phub.Child, error) {
	return phub.ChildFunc(func(ctx context.Context, _ phub.ChildEnv) error {
		<-ctx.Done()
		return nil
	}), nil
}

func newCluster(t *testing.T, n int, opts ...phubtest.Option) *phubtest.Cluster {
	return phubtest.NewCluster(t, n, append([]phubtest.Option{phubtest.WithKinds(phub.Registry{"waiter": waiter})}, opts...)...)
}

func startWaiters(t *testing.T, h *phub.Hub, n int) {
	t.Helper()
	var specs []core.ChildSpec
	for i := 0; i < n; i++ {
		specs = append(specs, core.ChildSpec{ID: core.ChildID(fmt.Sprintf("w%02d", i)), Kind: "waiter"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := h.StartChildren(ctx, specs, phub.Await()); err != nil || !res.OK() {
		t.Fatalf("start: %v %v", err, res.Errors())
	}
}

func converge(t *testing.T, c *phubtest.Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.WaitConverged(ctx); err != nil {
		t.Fatal(err)
	}
}

// running counts, per child, the live nodes running it.
func running(c *phubtest.Cluster) map[core.ChildID][]core.NodeID {
	out := map[core.ChildID][]core.NodeID{}
	for i := 0; i < c.Len(); i++ {
		if !c.Live(i) {
			continue
		}
		for _, ch := range c.Node(i).WhichChildrenLocal().Children {
			out[ch.ID] = append(out[ch.ID], c.Name(i))
		}
	}
	return out
}

func onceEach(t *testing.T, c *phubtest.Cluster, n int, skip ...core.NodeID) {
	t.Helper()
	r := running(c)
	if len(r) != n {
		t.Fatalf("%d children running, want %d: %v", len(r), n, r)
	}
	for id, nodes := range r {
		if len(nodes) != 1 {
			t.Errorf("%s runs on %v, want one node", id, nodes)
		}
		for _, s := range skip {
			if nodes[0] == s {
				t.Errorf("%s runs on %s", id, s)
			}
		}
	}
}

func TestClusterFormsAndRunsChildren(t *testing.T) {
	c := newCluster(t, 3)
	if c.Len() != 3 || c.Name(2) != "n2" {
		t.Fatalf("Len %d, Name(2) %s", c.Len(), c.Name(2))
	}
	for i := 0; i < 3; i++ {
		if got := len(c.Node(i).Alive()); got != 3 {
			t.Fatalf("%s sees %d alive nodes after NewCluster", c.Name(i), got)
		}
	}
	startWaiters(t, c.Node(0), 12)
	converge(t, c)
	onceEach(t, c, 12)
}

func TestKillAndRestart(t *testing.T) {
	c := newCluster(t, 3)
	startWaiters(t, c.Node(0), 12)
	converge(t, c)
	before := running(c)
	c.Kill(1)
	if c.Live(1) {
		t.Fatal("Live(1) after Kill")
	}
	if _, err := c.Node(1).StartChildren(context.Background(), nil); !errors.Is(err, phub.ErrClosed) {
		t.Fatalf("a killed node's hub: %v, want ErrClosed", err)
	}
	converge(t, c)
	onceEach(t, c, 12, "n1")
	moved := 0
	for _, nodes := range before {
		if nodes[0] == "n1" {
			moved++
		}
	}
	if moved == 0 {
		t.Fatalf("no child ran on n1 before the kill; the test proves nothing: %v", before)
	}
	c.Restart(1)
	if !c.Live(1) {
		t.Fatal("not Live(1) after Restart")
	}
	converge(t, c)
	onceEach(t, c, 12)
	if len(c.Node(1).WhichChildrenLocal().Children) == 0 {
		t.Fatalf("the restarted node got no children back: %v", running(c))
	}
}

func TestPartitionAndHeal(t *testing.T) {
	c := newCluster(t, 3)
	startWaiters(t, c.Node(0), 12)
	converge(t, c)
	c.Partition([]int{0}, []int{1, 2})
	converge(t, c)
	if got := c.Node(0).Alive(); len(got) != 1 {
		t.Fatalf("n0 sees %v alive while partitioned away", got)
	}
	// Divergence (the default): each side runs every child.
	r := running(c)
	for id, nodes := range r {
		if len(nodes) != 2 || nodes[0] != "n0" {
			t.Errorf("partitioned: %s runs on %v, want n0 and one of n1, n2", id, nodes)
		}
	}
	c.Heal()
	converge(t, c)
	onceEach(t, c, 12)
}

// WaitConverged names what has not settled when its context ends.
func TestWaitConvergedReportsWhatDiffers(t *testing.T) {
	c := newCluster(t, 2, phubtest.WithConfig(func(cfg *core.Config) { cfg.Timing.DownAfter = time.Minute }))
	c.Partition([]int{0}, []int{1})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.WaitConverged(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "alive") {
		t.Fatalf("WaitConverged while nobody noticed the partition: %v", err)
	}
}
