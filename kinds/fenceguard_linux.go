//go:build linux

package kinds

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// RunFenceGuard is the fence guard process's main (see FenceGuard): it
// reads commands from in until EOF and SIGKILLs the process group of each
// child process of parent whose deadline passes. It returns nil at EOF and
// an error for a malformed command (the node and the guard disagree: the
// node's next write fails and its exec starts fail).
func RunFenceGuard(in io.Reader, parent int, logw io.Writer) error {
	lines := make(chan string, 64)
	go readGuardLines(in, lines)
	st := newGuardState()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	self := os.Getpid()
	for {
		if next := st.next(); next != int64(^uint64(0)>>1) {
			now := monoNow()
			if next <= now {
				kids := childrenOf(parent, self)
				late := map[int]time.Duration{}
				for _, pid := range kids {
					late[pid] = time.Duration(now - st.deadline(pid))
				}
				for _, pid := range st.due(kids, now) {
					_ = syscall.Kill(-pid, syscall.SIGKILL)
					_ = syscall.Kill(pid, syscall.SIGKILL)
					fmt.Fprintf(logw, "phub fence guard: lease deadline passed %s ago: killed the process group of pid %d\n",
						late[pid].Round(time.Microsecond), pid)
				}
				continue
			}
			timer.Reset(time.Duration(next - now))
		}
		select {
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			l, err := parseGuardLine(line)
			if err != nil {
				return err
			}
			st.apply(l)
		case <-timer.C:
		}
	}
}

// monoNow reads CLOCK_MONOTONIC in nanoseconds (phub.MonoNow's scale).
func monoNow() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic("clock_gettime(CLOCK_MONOTONIC): " + err.Error())
	}
	return ts.Nano()
}

// childrenOf lists the live (not zombie) child processes of parent other
// than skip, from /proc.
func childrenOf(parent, skip int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == skip {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil && ppid == parent {
			out = append(out, pid)
		}
	}
	return out
}
