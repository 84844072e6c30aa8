//go:build !linux

package core

// threadCPUNanos returns 0: no per-thread CPU clock is read here, and
// benchmarks report wall time only.
func threadCPUNanos() int64 { return 0 }
