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

// Every failure wraps a named sentinel error: test it with errors.Is.
// Request-level errors come back as the call's error; per-child ones in
// the child's result (Results[i].Err, Results.Errors()).
func Example_errors() {
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

	job := core.ChildSpec{ID: "job", Kind: "noop"}
	if _, err := hub.StartChild(ctx, job); err != nil {
		fmt.Println(err)
		return
	}
	_, err = hub.StartChildren(ctx, []core.ChildSpec{job}, phub.Await())
	fmt.Println("again:", errors.Is(err, phub.ErrAlreadyStarted))

	_, err = hub.StartChildren(ctx, []core.ChildSpec{{ID: "x", Kind: "no-such-kind"}}, phub.Await())
	fmt.Println("unknown kind:", errors.Is(err, phub.ErrInvalidSpec), errors.Is(err, phub.ErrUnknownKind))

	stop, _ := hub.StopChildren(ctx, []core.ChildID{"nope"}, phub.Await())
	fmt.Println("stop unknown:", errors.Is(stop.Errors()[0], phub.ErrNotFound))

	_, err = hub.Lookup(ctx, "nope", core.Owner)
	fmt.Println("lookup unknown:", errors.Is(err, phub.ErrNotFound))

	_, err = hub.StartChildren(ctx, []core.ChildSpec{{ID: "y", Kind: "noop"}}, phub.Rollback())
	fmt.Println("rollback without await:", errors.Is(err, phub.ErrRollbackNeedsAwait))

	err = hub.RegisterHook("registry_insert", "typo", func(core.Hook) {})
	fmt.Println("hook kind typo:", errors.Is(err, phub.ErrUnknownHookKind))

	_, err = hub.StartChildren(ctx, nil)
	fmt.Println("no children:", errors.Is(err, phub.ErrNoChildren))
	// Output:
	// again: true
	// unknown kind: true true
	// stop unknown: true
	// lookup unknown: true
	// rollback without await: true
	// hook kind typo: true
	// no children: true
}
