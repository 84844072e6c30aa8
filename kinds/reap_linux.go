//go:build linux

package kinds

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// ReapLeftovers kills the process groups of exec children that a previous
// incarnation of the node recorded and did not forget (it crashed or was
// killed), and waits up to timeout until no live process of those groups
// remains. A group is killed only if it is provably the recorded one:
//
//   - a record of another boot is stale (nothing of it survives a reboot);
//   - if the recorded pid runs with the recorded start time, the process
//     is the child itself: its group is killed;
//   - if the pid runs with another start time, the pid was reused, which
//     the kernel allows only once no process is left in the old group
//     (a pid stays allocated while it names a process group): stale;
//   - if the pid is gone, the processes whose group id is the pid and
//     that started no earlier than the child are what it left behind
//     (grandchildren the parent-death signal does not reach): killed.
//
// Processes that moved to another group or session (setsid, setpgid) are
// out of reach. Zombies count as gone.
func ReapLeftovers(recs []ProcessRecord, timeout time.Duration) (ReapReport, error) {
	var rep ReapReport
	if len(recs) == 0 {
		return rep, nil
	}
	boot, err := bootID()
	if err != nil {
		return rep, fmt.Errorf("reap: %w", err)
	}
	procs, err := allProcesses()
	if err != nil {
		return rep, fmt.Errorf("reap: %w", err)
	}
	var errs []error
	var groups []ProcessRecord
	for _, r := range recs {
		members := leftovers(r, boot, procs)
		if len(members) == 0 {
			rep.Stale++
			continue
		}
		if err := syscall.Kill(-r.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("reap: kill group %d (child %s): %w", r.Pid, r.Child, err))
			continue
		}
		rep.Groups++
		rep.Processes += len(members)
		rep.Killed = append(rep.Killed, r)
		groups = append(groups, r)
	}
	deadline := time.Now().Add(timeout)
	for len(groups) > 0 {
		procs, err := allProcesses()
		if err != nil {
			return rep, fmt.Errorf("reap: %w", err)
		}
		left := groups[:0]
		for _, r := range groups {
			if len(leftovers(r, boot, procs)) > 0 {
				left = append(left, r)
			}
		}
		groups = left
		if len(groups) == 0 {
			break
		}
		if time.Now().After(deadline) {
			errs = append(errs, fmt.Errorf("reap: %d process groups still alive after %s (first: %d, child %s)", len(groups), timeout, groups[0].Pid, groups[0].Child))
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return rep, errors.Join(errs...)
}

// leftovers returns the live processes of r's group, following the rules
// of ReapLeftovers.
func leftovers(r ProcessRecord, boot string, procs []procStat) []procStat {
	if r.Pid <= 1 || r.BootID != boot {
		return nil
	}
	var out []procStat
	for _, p := range procs {
		if p.pid == r.Pid && p.startTicks != r.StartTicks {
			return nil // the pid was reused: the old group is gone
		}
	}
	for _, p := range procs {
		if p.pgid == r.Pid && p.startTicks >= r.StartTicks && p.state != 'Z' {
			out = append(out, p)
		}
	}
	return out
}
