// Package kinds holds phub's built-in child kinds: "counter", a goroutine
// that counts ticks and hands its count over on migration (for tests and
// demos), and "exec", an OS process with log files, fencing environment
// variables and graceful termination.
//
// Register them in a hub's phub.Registry:
//
//	counters := kinds.NewCounters()
//	reg := phub.Registry{
//		kinds.CounterKind: counters.Factory,
//		kinds.ExecKind:    kinds.NewExec(kinds.ExecConfig{LogDir: "/var/log/phub"}),
//	}
package kinds
