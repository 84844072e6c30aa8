//go:build !linux

package kinds

import (
	"errors"
	"time"
)

// ReapLeftovers needs Linux's /proc to tell a recorded process from one
// that reused its pid; elsewhere it reaps nothing and says so.
func ReapLeftovers(recs []ProcessRecord, timeout time.Duration) (ReapReport, error) {
	if len(recs) == 0 {
		return ReapReport{}, nil
	}
	return ReapReport{}, errors.New("reap: only supported on Linux")
}
