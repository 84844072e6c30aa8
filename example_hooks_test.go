package phub_test

import (
	"context"
	"fmt"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// Hooks report what the cluster did (ProcessHub's hooks): here every
// registry insert and removal. Handlers run on the hub's hook goroutine,
// in the order core emitted the hooks.
func Example_hooks() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// A child kind whose children run until the hub stops them.
	idle := func(core.ChildSpec) (phub.Child, error) {
		return phub.ChildFunc(func(ctx context.Context, _ phub.ChildEnv) error {
			<-ctx.Done()
			return nil
		}), nil
	}

	cfg := core.DefaultConfig("a")
	hub, err := phub.New(phub.Config{
		Core:      cfg,
		Transport: transport.NewInmemNetwork().Endpoint("a"),
		Kinds:     phub.Registry{"noop": idle},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hub.Close(ctx)

	events := make(chan string, 16)
	for _, kind := range []core.HookKind{core.HookRegistryInsert, core.HookRegistryRemove} {
		err := hub.RegisterHook(kind, "audit", func(h core.Hook) {
			events <- fmt.Sprintf("%s %v", h.Kind, h.IDs)
		})
		if err != nil {
			fmt.Println(err)
			return
		}
	}

	if _, err := hub.StartChild(ctx, core.ChildSpec{ID: "job", Kind: "noop"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(<-events)
	if _, err := hub.StopChildren(ctx, []core.ChildID{"job"}, phub.Await()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(<-events)
	// Output:
	// registry_pid_insert [job]
	// registry_pid_remove [job]
}
