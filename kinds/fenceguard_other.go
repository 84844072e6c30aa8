//go:build !linux

package kinds

import (
	"errors"
	"io"
)

// RunFenceGuard needs Linux (/proc and a system-wide CLOCK_MONOTONIC).
func RunFenceGuard(io.Reader, int, io.Writer) error {
	return errors.New("phub fence guard: needs Linux")
}
