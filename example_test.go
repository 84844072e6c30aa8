package phub_test

import (
	"context"
	"fmt"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
	"github.com/phub/phub/transport"
)

// A single-node hub over the in-memory transport: start a counter child,
// wait for its result and look it up.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	counters := kinds.NewCounters()
	hub, err := phub.New(phub.Config{
		Core:      core.DefaultConfig("node-a"),
		Transport: transport.NewInmemNetwork().Endpoint("node-a"),
		Kinds:     phub.Registry{kinds.CounterKind: counters.Factory},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hub.Close(ctx)

	res, err := hub.StartChildren(ctx, []core.ChildSpec{
		{ID: "ticker", Kind: kinds.CounterKind, Params: map[string]string{"interval_ms": "10"}},
	}, phub.Await(), phub.WithMetadata(core.Metadata{"tag": "demo"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Results {
		fmt.Println(r.ID, "started on", r.Nodes, "epoch", r.Epoch)
	}

	// The owner answers with read-your-writes consistency.
	e, err := hub.Lookup(ctx, "ticker", core.Owner)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("lookup:", e.Nodes(), e.Metadata["tag"])

	_, err = hub.Lookup(ctx, "missing", core.Local)
	fmt.Println(err)
	// Output:
	// ticker started on [node-a] epoch 1
	// lookup: [node-a] demo
	// phub: lookup "missing": not found
}
