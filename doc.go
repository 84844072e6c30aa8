// Package phub is the production runtime of a phub node: it drives the
// deterministic distributor state machine in package core with a real
// clock, a transport (package transport) and real children (goroutines or
// OS processes, see package kinds), and exposes the Go API, Hub.
//
// # Getting started
//
// Example_cluster is a complete three-node program (the README's "Use it
// as a Go library"); Example_handover, Example_hooks, Example_guided and
// Example_errors show a child kind with handover state, hooks, guided
// placement and error handling; go doc -http shows their code. Every error wraps one of this package's
// sentinel errors (ErrNotFound, ErrAlreadyStarted, ...): test with
// errors.Is. To test your own kinds against a cluster with crashes and
// partitions, use package phubtest.
//
// # The event loop
//
// Each Hub runs exactly one goroutine that owns its core.Node. It selects
// on the transport inbox, a ticker (core.Config.Timing.TickInterval), a
// channel of API operations and a channel of child reports. After up to
// maxInputsPerDrain inputs it drains core's Ready batch, in this order:
//
//  1. member addresses are pushed to the transport (SetAddress) if the
//     membership may have changed, so a message to a new member can leave;
//  2. outside strict mode, the batch's leading requests, replication
//     rounds and claims are handed to the transport, so the peers start
//     on them while this node does its own work;
//  3. registry changes are applied to the lookup index (core emits a
//     change for every child whose visible replicas change, view changes
//     included, so the index follows the changes alone);
//  4. effects are performed on local children (start, stop, handover
//     request and delivery, redundancy signals);
//  5. the other messages are handed to the transport (Send never blocks;
//     a message for a peer whose connection is idle is written at once);
//  6. replies resolve the waiting API calls;
//  7. hook events are queued for the hook goroutine.
//
// Applying registry changes before sending answers (acknowledgements,
// results) means that when a peer acknowledges a replicated entry, that
// entry is already visible to Local lookups on the peer: once an awaited
// start or stop returns, every node that acknowledged it shows it
// (TestAwaitedReplyMeansEveryIndexAgrees).
//
// # Reads
//
// Lookup with core.Local, List, ByTag, WhichChildrenLocal, Members and
// Partitioned never touch the loop: they read a sharded index or immutable
// snapshots the loop publishes. Lookup with core.Owner, the distributor
// operations and WhichChildrenGlobal are routed through core.
// The index also serves the transport's decoder as its source of known
// child ids (childids.go): a decoded id of a live child shares the index
// entry's string instead of a copy per message.
//
// # Hooks
//
// Hook handlers run on one goroutine per hub, never on the loop, so a slow
// handler cannot stall the node. They see hooks in the order core emitted
// them; the handlers of one kind run in registration order. The hook queue
// is bounded (Config.HookQueue); when it is full, hooks are dropped and
// counted (Hub.DroppedHooks) rather than blocking the loop.
//
// # Children
//
// A Child is anything with Run(ctx, env). The kind in its core.ChildSpec
// selects a ChildFactory from Config.Kinds. Run returning nil is a normal
// exit, an error or a panic is an abnormal one; whether it is restarted is
// core's decision (core.RestartPolicy). Handover state for hot-swap
// migration flows through ChildEnv.
package phub
