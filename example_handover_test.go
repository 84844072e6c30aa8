package phub_test

import (
	"context"
	"fmt"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// A Go child kind with handover state. Under hot-swap migration with
// handover, a child that must move (here: its node leaves) hands its
// state to its next instance, which starts from it (ChildEnv.State).
func Example_handover() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	started := make(chan string, 2)
	// Each instance adds its node to the list of nodes the child visited.
	tour := func(spec core.ChildSpec) (phub.Child, error) {
		return phub.ChildFunc(func(ctx context.Context, env phub.ChildEnv) error {
			visited := string(env.State()) // handed over by the previous instance
			if visited != "" {
				visited += ","
			}
			visited += string(env.Node())
			env.OnHandover(func() []byte { return []byte(visited) })
			started <- fmt.Sprintf("%s starts on %s, handed %q", env.ID(), env.Node(), env.State())
			<-ctx.Done()
			return nil
		}), nil
	}

	net := transport.NewInmemNetwork()
	hubs := map[core.NodeID]*phub.Hub{}
	for _, name := range []core.NodeID{"a", "b"} {
		cfg := core.DefaultConfig(name)
		cfg.Seeds = []core.NodeID{"a", "b"}
		cfg.Migration.Kind = core.HotSwap
		cfg.Migration.Handover = true
		hub, err := phub.New(phub.Config{Core: cfg, Transport: net.Endpoint(name), Kinds: phub.Registry{"tour": tour}})
		if err != nil {
			fmt.Println(err)
			return
		}
		defer hub.Close(ctx)
		hubs[name] = hub
	}
	for len(hubs["a"].Alive()) < 2 || len(hubs["b"].Alive()) < 2 {
		time.Sleep(10 * time.Millisecond)
	}

	res, err := hubs["a"].StartChild(ctx, core.ChildSpec{ID: "tour", Kind: "tour"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(<-started)
	// Its node leaves gracefully: the child moves, with its state.
	hubs[res.Nodes[0]].Close(ctx)
	fmt.Println(<-started)
	// Output:
	// tour starts on b, handed ""
	// tour starts on a, handed "b"
}
