package kinds

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/phub/phub/core"
)

// LeaseFile keeps a file up to date with the node's lease deadline (strict
// partition mode), for exec children that fence external side effects:
// the exec kind passes its path as PHUB_LEASE_FILE. The file is replaced
// atomically (write and rename) and holds three lines:
//
//	state=held|lost|none
//	deadline_mono=<CLOCK_MONOTONIC nanoseconds>
//	deadline=<RFC 3339 wall time>
//
// held: the node's children may run until deadline_mono on the machine's
// CLOCK_MONOTONIC (authoritative: it is the instant the node and its fence
// guard kill them) — deadline is the same instant on the wall clock, for
// reading only, since wall clocks jump. lost: the deadline passed without
// renewal, the lease is gone (the children are being killed). none: no
// child needs a lease. The node writes "lost" from its own timer, so a
// stopped node cannot write it: a child must compare deadline_mono with
// the clock itself before every side effect and treat a passed deadline as
// lost, whatever state says.
//
// LeaseFile implements phub.LeaseObserver.
type LeaseFile struct {
	path    string
	mono    func() core.Mono
	updates chan core.Mono // latest deadline, one slot
	done    chan struct{}
	closed  chan struct{}
}

// NewLeaseFile writes state=none to path and starts keeping it up to date;
// mono reads the clock of the deadlines (phub.MonoNow).
func NewLeaseFile(path string, mono func() core.Mono) (*LeaseFile, error) {
	f := &LeaseFile{path: path, mono: mono, updates: make(chan core.Mono, 1), done: make(chan struct{}), closed: make(chan struct{})}
	if err := f.write("none", core.NoLease); err != nil {
		return nil, err
	}
	go f.run()
	return f, nil
}

// Path returns the file's path.
func (f *LeaseFile) Path() string { return f.path }

// LeaseUntil records the node's new deadline.
func (f *LeaseFile) LeaseUntil(until core.Mono) {
	for {
		select {
		case f.updates <- until:
			return
		default:
		}
		select {
		case <-f.updates:
		default:
		}
	}
}

// InstanceStopped is part of phub.LeaseObserver; the file holds the node's
// deadline only (a stopped instance is told by its stop signal).
func (f *LeaseFile) InstanceStopped(core.ChildID, uint64, core.Mono) {}

// Close stops updating the file and marks it none (the node stops).
func (f *LeaseFile) Close() error {
	close(f.done)
	<-f.closed
	return f.write("none", core.NoLease)
}

func (f *LeaseFile) run() {
	defer close(f.closed)
	until := core.NoLease
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var expire <-chan time.Time
		if until != core.NoLease {
			timer.Reset(time.Duration(until - f.mono()))
			expire = timer.C
		}
		select {
		case <-f.done:
			return
		case until = <-f.updates:
			state := "held"
			if until == core.NoLease {
				state = "none"
			}
			_ = f.write(state, until)
		case <-expire:
			_ = f.write("lost", until)
			until = core.NoLease
		}
	}
}

func (f *LeaseFile) write(state string, until core.Mono) error {
	body := "state=" + state + "\n"
	if until != core.NoLease {
		wall := time.Now().Add(time.Duration(until - f.mono()))
		body += fmt.Sprintf("deadline_mono=%d\ndeadline=%s\n", int64(until), wall.UTC().Format(time.RFC3339Nano))
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".lease-*")
	if err != nil {
		return fmt.Errorf("lease file: %w", err)
	}
	if _, err := tmp.WriteString(body); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("lease file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("lease file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("lease file: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("lease file: %w", err)
	}
	return nil
}
