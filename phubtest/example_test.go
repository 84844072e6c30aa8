package phubtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/phubtest"
)

// session is the child kind under test: it runs until it is stopped.
func session(core.ChildSpec) (phub.Child, error) {
	return phub.ChildFunc(func(ctx context.Context, env phub.ChildEnv) error {
		<-ctx.Done()
		return nil
	}), nil
}

// sessionsSurviveACrash is a test of your own code; in a _test.go file it
// is func TestSessionsSurviveACrash(t *testing.T).
func sessionsSurviveACrash(t phubtest.TB) {
	c := phubtest.NewCluster(t, 3, phubtest.WithKinds(phub.Registry{"session": session}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var specs []core.ChildSpec
	for i := 0; i < 9; i++ {
		specs = append(specs, core.ChildSpec{ID: core.ChildID(fmt.Sprintf("s%d", i)), Kind: "session"})
	}
	if res, err := c.Node(0).StartChildren(ctx, specs, phub.Await()); err != nil || !res.OK() {
		t.Fatalf("start: %v %v", err, res.Errors())
	}

	c.Kill(1) // a crash: no leave, no handover
	if err := c.WaitConverged(ctx); err != nil {
		t.Fatalf("after the crash: %v", err)
	}
	fmt.Println("running after the crash:", len(c.Node(0).List()), "children on", c.Node(0).Alive())

	c.Partition([]int{0}, []int{2})
	if err := c.WaitConverged(ctx); err != nil {
		t.Fatalf("partitioned: %v", err)
	}
	fmt.Println("n0 alone sees", c.Node(0).Alive())

	c.Heal()
	c.Restart(1)
	if err := c.WaitConverged(ctx); err != nil {
		t.Fatalf("after heal and restart: %v", err)
	}
	fmt.Println("healed:", c.Node(1).Alive())
}

func Example() {
	t := &exampleT{}
	defer t.cleanup()
	sessionsSurviveACrash(t)
	// Output:
	// running after the crash: 9 children on [n0 n2]
	// n0 alone sees [n0]
	// healed: [n0 n1 n2]
}

// exampleT stands in for the *testing.T a real test gets.
type exampleT struct{ cleanups []func() }

func (t *exampleT) Helper()                         {}
func (t *exampleT) Logf(format string, args ...any) {}
func (t *exampleT) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
func (t *exampleT) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
