package phub_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// Guided placement: with the guided distribution strategy, each start
// says which node(s) each child runs on; the mapping is checked and its
// errors are named.
func Example_guided() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A child kind whose children run until the hub stops them.
	idle := func(core.ChildSpec) (phub.Child, error) {
		return phub.ChildFunc(func(ctx context.Context, _ phub.ChildEnv) error {
			<-ctx.Done()
			return nil
		}), nil
	}

	net := transport.NewInmemNetwork()
	var hubs []*phub.Hub
	for _, name := range []core.NodeID{"a", "b", "c"} {
		cfg := core.DefaultConfig(name)
		cfg.Seeds = []core.NodeID{"a", "b", "c"}
		cfg.Distribution.Kind = core.Guided
		hub, err := phub.New(phub.Config{Core: cfg, Transport: net.Endpoint(name), Kinds: phub.Registry{"noop": idle}})
		if err != nil {
			fmt.Println(err)
			return
		}
		defer hub.Close(ctx)
		hubs = append(hubs, hub)
	}
	for _, hub := range hubs {
		for len(hub.Alive()) < 3 {
			time.Sleep(10 * time.Millisecond)
		}
	}

	specs := []core.ChildSpec{{ID: "api", Kind: "noop"}, {ID: "db", Kind: "noop"}}
	res, err := hubs[0].StartChildren(ctx, specs, phub.Await(),
		phub.ChildMapping(map[core.ChildID][]core.NodeID{"api": {"b"}, "db": {"c"}}))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Results {
		fmt.Println(r.ID, "runs on", r.Nodes)
	}

	// A mapping that misses a child is refused before anything starts.
	_, err = hubs[0].StartChildren(ctx, []core.ChildSpec{{ID: "cache", Kind: "noop"}}, phub.Await(),
		phub.ChildMapping(map[core.ChildID][]core.NodeID{"other": {"a"}}))
	fmt.Println(errors.Is(err, phub.ErrChildMappingMismatch), err)
	// Output:
	// api runs on [b]
	// db runs on [c]
	// true phub: start: child mapping mismatch: no nodes for "cache"
}
