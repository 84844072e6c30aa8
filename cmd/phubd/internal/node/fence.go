package node

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
)

// fenceParts are what a strict-mode node runs besides the hub to enforce
// its lease deadlines: the fence guard process (kills exec children even
// while phubd is stopped) and the lease file children read.
type fenceParts struct {
	guard *kinds.FenceGuard
	file  *kinds.LeaseFile
}

// startFence starts the fence guard (a re-exec of this binary; unless
// withGuard is false, a test-only fault) and, if leasePath is set, the
// lease file, in strict mode; nothing otherwise.
func startFence(cc core.Config, leasePath string, withGuard bool, log *slog.Logger) (fenceParts, error) {
	var f fenceParts
	if cc.Partition.Kind != core.Strict {
		return f, nil
	}
	if withGuard {
		exe, err := os.Executable()
		if err != nil {
			return f, fmt.Errorf("fence guard: %w", err)
		}
		if f.guard, err = kinds.StartFenceGuard(exe, os.Stderr); err != nil {
			return f, err
		}
	}
	var err error
	if leasePath != "" {
		if f.file, err = kinds.NewLeaseFile(leasePath, phub.MonoNow); err != nil {
			f.close()
			return fenceParts{}, err
		}
	}
	log.Info("strict mode", "fence_guard", f.guard != nil, "lease_file", leasePath)
	return f, nil
}

// close stops the guard and marks the lease file none.
func (f *fenceParts) close() {
	if f.guard != nil {
		_ = f.guard.Close()
	}
	if f.file != nil {
		_ = f.file.Close()
	}
}
