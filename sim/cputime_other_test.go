//go:build !unix

package sim

import "time"

// processCPU returns -1: no CPU clock is read here, and the simulator
// benchmark reports wall time only.
func processCPU() time.Duration { return -1 }
