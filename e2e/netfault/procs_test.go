package netfault

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/phub/phub/e2e/internal/procstat"
)

// childProc is one live OS process of a child, as /proc shows it.
type childProc struct {
	PID, PPID int
	Child     string
	Epoch     uint64
	EnvNode   string // PHUB_NODE: the node that says it runs the child
	Node      int    // index of the namespace the process runs in (-1: none of ours)
	// Start is when the process started, since the run's start, truncated
	// to the kernel's 10 ms clock ticks.
	Start time.Duration
}

// sample is what /proc showed at one instant.
type sample struct {
	At    time.Duration // since the run's start
	Phubd []int         // live phubd pid per node (0: not running)
	Procs []childProc
}

// sampler reads /proc every `every` and keeps every sample.
type sampler struct {
	c      *cluster
	t0     time.Time
	boot0  time.Duration // CLOCK_BOOTTIME at t0: process start times are boot-relative
	every  time.Duration
	marker string // the cluster's PNF_RUN value

	mu      sync.Mutex
	samples []sample
}

func newSampler(c *cluster, t0 time.Time, every time.Duration) (*sampler, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return nil, err
	}
	boot := time.Duration(ts.Nano()) - time.Since(t0)
	return &sampler{c: c, t0: t0, boot0: boot, every: every, marker: c.marker}, nil
}

// run samples until ctx ends.
func (s *sampler) run(ctx context.Context) {
	tick := time.NewTicker(s.every)
	defer tick.Stop()
	for {
		s.sampleNow()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sampleNow takes one sample and returns it.
func (s *sampler) sampleNow() sample {
	sm := sample{At: time.Since(s.t0), Phubd: s.c.phubdPIDs()}
	sm.Procs = s.scan()
	s.mu.Lock()
	s.samples = append(s.samples, sm)
	s.mu.Unlock()
	return sm
}

// all returns a copy of the samples so far.
func (s *sampler) all() []sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sample(nil), s.samples...)
}

// scan finds every live child process of this run: a process whose
// environment carries the run marker and PHUB_CHILD_ID, and that is not
// already dying (a zombie, or SIGKILL pending: procstat.KillPending).
func (s *sampler) scan() []childProc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []childProc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, ok := s.read(pid)
		if ok {
			out = append(out, p)
		}
	}
	return out
}

func (s *sampler) read(pid int) (childProc, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return childProc{}, false
	}
	open, closeIdx := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if open < 0 || closeIdx < open || string(stat[open+1:closeIdx]) != "sleep" {
		return childProc{}, false
	}
	rest := strings.Fields(string(stat[closeIdx+1:]))
	// rest[0] is field 3 (state), rest[1] ppid, rest[19] starttime.
	if len(rest) < 20 || rest[0] == "Z" || rest[0] == "X" {
		return childProc{}, false
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		return childProc{}, false
	}
	p := childProc{PID: pid, Node: -1}
	marked := false
	for _, kv := range bytes.Split(env, []byte{0}) {
		k, v, _ := strings.Cut(string(kv), "=")
		switch k {
		case runEnvName:
			marked = v == s.marker
		case "PHUB_CHILD_ID":
			p.Child = v
		case "PHUB_EPOCH":
			p.Epoch, _ = strconv.ParseUint(v, 10, 64)
		case "PHUB_NODE":
			p.EnvNode = v
		}
	}
	if !marked || p.Child == "" {
		return childProc{}, false
	}
	if procstat.KillPending(pid) {
		// Dying: it runs none of its own code again, so it can neither
		// duplicate its child nor outlive its phubd in any way that
		// matters (as the strict e2e sampler counts).
		return childProc{}, false
	}
	p.PPID, _ = strconv.Atoi(rest[1])
	ticks, _ := strconv.ParseInt(rest[19], 10, 64)
	// Linux reports start times in USER_HZ ticks, 100 per second.
	p.Start = time.Duration(ticks)*10*time.Millisecond - s.boot0
	var st syscall.Stat_t
	if syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st) == nil {
		p.Node = s.c.net.nodeOf(st.Ino)
	}
	return p, true
}
