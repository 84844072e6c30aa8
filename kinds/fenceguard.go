package kinds

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/phub/phub/core"
)

// A fence guard enforces the strict partition mode's lease deadlines on a
// node's exec children from outside the node's process. A node that is
// stopped (SIGSTOP, a frozen VM, a debugger, a long stall) cannot kill its
// children when their lease ends, and its own timer (phub's lease fence)
// is stopped with it; the guard is a separate, tiny process that is not.
//
// The node starts one guard (a re-exec of its own binary in a hidden mode,
// see RunFenceGuard) and writes to the guard's stdin, in the order the hub
// learns them:
//
//	D <mono>                  the node's deadline (core.Ready.LeaseUntil)
//	P <pid> <id> <instance>   an exec child's process started
//	S <id> <instance> <mono>  the instance was stopped: dead by <mono> at the latest
//	F <pid>                   the process exited
//
// where <mono> is an absolute CLOCK_MONOTONIC reading in nanoseconds (the
// clock is system-wide, so the node's deadlines mean the same instant to
// the guard) and <id> is quoted (strconv.Quote). When an instance's
// deadline (the smaller of D and its S) passes, the guard SIGKILLs the
// process group of its process; a process the guard has not heard of yet
// that is a child of the node follows D. On EOF (the node closed the pipe
// or died) the guard exits; a node that dies takes its children with it
// through their parent-death signal, and the guard through its own.
//
// The bound: a child outlives its deadline by the guard's wake-up latency
// (a timer on CLOCK_MONOTONIC, then kill(2)); the voters' hold includes
// core.PartitionConfig.LeaseMargin for it. A node stopped between starting
// a process and writing its P line leaves that process under D, which is
// also correct; only a stop cap (S) written for an instance whose P line
// is not yet written is applied once P arrives.

// FenceGuardArg is the first argument that makes a binary run as a fence
// guard: a program that starts one with StartFenceGuard must call
// RunFenceGuard when it sees it (phubd does).
const FenceGuardArg = "__phub-fence-guard"

// FenceGuard is a running guard process as the node sees it. It
// implements phub.LeaseObserver; give it to phub.Config.Lease and to
// ExecConfig.Guard. Its methods are safe for concurrent use.
type FenceGuard struct {
	mu  sync.Mutex
	w   io.WriteCloser
	cmd *exec.Cmd
	err error // the first write error: the guard is gone
}

// StartFenceGuard starts exe (normally the running binary,
// /proc/self/exe) with FenceGuardArg as a guard of this process. The
// guard's diagnostics go to logw.
func StartFenceGuard(exe string, logw io.Writer) (*FenceGuard, error) {
	cmd := exec.Command(exe, FenceGuardArg, strconv.Itoa(syscall.Getpid()))
	cmd.Stdout, cmd.Stderr = logw, logw
	w, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// Its own process group (a signal to the node's group leaves it
	// running) and, on Linux, killed when the node dies.
	setProcessGroup(cmd)
	if err := startProcess(cmd); err != nil {
		return nil, fmt.Errorf("fence guard: %w", err)
	}
	return &FenceGuard{w: w, cmd: cmd}, nil
}

func (g *FenceGuard) write(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return
	}
	if _, err := fmt.Fprintf(g.w, format+"\n", args...); err != nil {
		g.err = fmt.Errorf("fence guard: %w", err)
	}
}

// LeaseUntil hands the guard the node's deadline.
func (g *FenceGuard) LeaseUntil(until core.Mono) { g.write("D %d", int64(until)) }

// InstanceStopped caps the deadline of a stopped instance.
func (g *FenceGuard) InstanceStopped(id core.ChildID, instance uint64, until core.Mono) {
	g.write("S %s %d %d", strconv.Quote(string(id)), instance, int64(until))
}

// started registers a process of an instance; it fails if the guard is
// gone (the caller must then not run the process unguarded).
func (g *FenceGuard) started(pid int, id core.ChildID, instance uint64) error {
	g.write("P %d %s %d", pid, strconv.Quote(string(id)), instance)
	return g.Err()
}

// exited forgets a process.
func (g *FenceGuard) exited(pid int) { g.write("F %d", pid) }

// Err returns why the guard can no longer be told anything, or nil.
func (g *FenceGuard) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Close ends the guard (the node is shutting down) and waits for it.
func (g *FenceGuard) Close() error {
	g.mu.Lock()
	if g.err == nil {
		g.err = errors.New("fence guard: closed")
	}
	g.mu.Unlock()
	g.w.Close()
	return g.cmd.Wait()
}

// guardLine is one parsed command of the guard's protocol.
type guardLine struct {
	op       byte
	pid      int
	id       string
	instance uint64
	mono     int64
}

// parseGuardLine parses one protocol line.
func parseGuardLine(line string) (guardLine, error) {
	bad := func(why string) (guardLine, error) {
		return guardLine{}, fmt.Errorf("fence guard: bad line %q: %s", line, why)
	}
	if len(line) < 3 || line[1] != ' ' {
		return bad("want an op letter and arguments")
	}
	l := guardLine{op: line[0]}
	rest := line[2:]
	num := func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }
	quoted := func() error {
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return err
		}
		l.id, _ = strconv.Unquote(q)
		rest = strings.TrimPrefix(rest[len(q):], " ")
		return nil
	}
	var err error
	switch l.op {
	case 'D':
		l.mono, err = num(rest)
	case 'F':
		var p int64
		p, err = num(rest)
		l.pid = int(p)
	case 'P':
		pidText, tail, _ := strings.Cut(rest, " ")
		var p int64
		if p, err = num(pidText); err == nil {
			l.pid, rest = int(p), tail
			if err = quoted(); err == nil {
				l.instance, err = strconv.ParseUint(rest, 10, 64)
			}
		}
	case 'S':
		if err = quoted(); err == nil {
			inst, mono, _ := strings.Cut(rest, " ")
			if l.instance, err = strconv.ParseUint(inst, 10, 64); err == nil {
				l.mono, err = num(mono)
			}
		}
	default:
		return bad("unknown op")
	}
	if err != nil {
		return bad(err.Error())
	}
	return l, nil
}

// readGuardLines sends every line of r to out, then closes it.
func readGuardLines(r io.Reader, out chan<- string) {
	defer close(out)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		out <- sc.Text()
	}
}

type guardKey struct {
	id       string
	instance uint64
}

// guardState is the guard's bookkeeping: the node's deadline, the
// processes it was told of and the caps of stopped instances.
type guardState struct {
	until int64
	swept bool // children were swept under until already
	procs map[int]guardKey
	caps  map[guardKey]int64
}

func newGuardState() *guardState {
	return &guardState{until: int64(core.NoLease), procs: map[int]guardKey{}, caps: map[guardKey]int64{}}
}

// apply records one command.
func (s *guardState) apply(l guardLine) {
	switch l.op {
	case 'D':
		s.until, s.swept = l.mono, false
	case 'P':
		s.procs[l.pid] = guardKey{l.id, l.instance}
	case 'S':
		k := guardKey{l.id, l.instance}
		if c, ok := s.caps[k]; !ok || l.mono < c {
			s.caps[k] = l.mono
		}
	case 'F':
		if k, ok := s.procs[l.pid]; ok {
			delete(s.caps, k)
		}
		delete(s.procs, l.pid)
	}
}

// deadline is when pid must be dead: its instance's cap or the node's
// deadline, whichever is first (the node's for a process not told of).
func (s *guardState) deadline(pid int) int64 {
	d := s.until
	if k, ok := s.procs[pid]; ok {
		if c, ok := s.caps[k]; ok {
			d = min(d, c)
		}
	}
	return d
}

// next is the earliest instant the guard must look again: the earliest
// deadline of a known process, or the node's deadline if its children
// were not yet swept under it.
func (s *guardState) next() int64 {
	n := int64(core.NoLease)
	if !s.swept {
		n = s.until
	}
	for pid := range s.procs {
		n = min(n, s.deadline(pid))
	}
	return n
}

// due returns which of children (the node's live child processes) must
// die at now, and forgets them; it marks the node's deadline swept if it
// has passed.
func (s *guardState) due(children []int, now int64) []int {
	var out []int
	for _, pid := range children {
		if s.deadline(pid) <= now {
			out = append(out, pid)
		}
	}
	for _, pid := range out {
		if k, ok := s.procs[pid]; ok {
			delete(s.caps, k)
		}
		delete(s.procs, pid)
	}
	// Processes told of that are no longer children have exited.
	live := map[int]bool{}
	for _, pid := range children {
		live[pid] = true
	}
	for pid := range s.procs {
		if !live[pid] && s.deadline(pid) <= now {
			delete(s.procs, pid)
		}
	}
	if s.until <= now {
		s.swept = true
	}
	return out
}
