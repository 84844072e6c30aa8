package phub_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// Three nodes over TCP on loopback (in production, one per process or
// machine): a child kind, a cluster, children placed across it, a lookup
// from another node. This is the README's "Use it as a Go library"
// program; a test keeps the two identical.
func Example_cluster() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A child kind: Run runs until the hub stops this instance.
	worker := func(spec core.ChildSpec) (phub.Child, error) {
		return phub.ChildFunc(func(ctx context.Context, env phub.ChildEnv) error {
			env.Logger().Info("working", "epoch", env.Epoch())
			<-ctx.Done()
			return nil
		}), nil
	}

	var hubs []*phub.Hub
	var seeds []core.NodeID // the first node's address: everyone joins through it
	for _, name := range []core.NodeID{"n1", "n2", "n3"} {
		tcp, err := transport.NewTCP(transport.TCPConfig{
			Name:       name,
			ListenAddr: "127.0.0.1:0", // any free port; the address is also advertised to peers
			Secret:     []byte("change me: at least 16 bytes"),
		})
		if err != nil {
			log.Fatal(err)
		}
		cfg := core.DefaultConfig(name)
		cfg.Seeds = seeds
		hub, err := phub.New(phub.Config{
			Core:      cfg,
			Transport: tcp,
			Kinds:     phub.Registry{"worker": worker},
		})
		if err != nil {
			log.Fatal(err)
		}
		defer hub.Close(ctx) // leaves gracefully: its children move to the others
		hubs = append(hubs, hub)
		if seeds == nil {
			seeds = []core.NodeID{core.NodeID(tcp.Addr())}
		}
	}
	for _, hub := range hubs { // wait until every node sees the other two
		for len(hub.Alive()) < 3 {
			time.Sleep(10 * time.Millisecond)
		}
	}

	specs := []core.ChildSpec{{ID: "job-1", Kind: "worker"}, {ID: "job-2", Kind: "worker"}, {ID: "job-3", Kind: "worker"}}
	res, err := hubs[0].StartChildren(ctx, specs, phub.Await())
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range res.Results {
		fmt.Println(r.ID, "runs on", r.Nodes, "epoch", r.Epoch)
	}

	e, err := hubs[2].Lookup(ctx, "job-1", core.Owner) // ask the child's owner
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("n3 looks up job-1:", e.Nodes())
	// Output:
	// job-1 runs on [n2] epoch 1
	// job-2 runs on [n2] epoch 1
	// job-3 runs on [n1] epoch 1
	// n3 looks up job-1: [n2]
}
