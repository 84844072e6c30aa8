//go:build !unix

package phub

import "time"

var monoStart = time.Now()

// monoNanos is the process's own monotonic clock where the system offers
// none to share (not comparable across processes).
func monoNanos() int64 { return int64(time.Since(monoStart)) + 1 }
