//go:build linux

package kinds

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// processID names one process of one boot: its start time and the boot.
type processID struct {
	startTicks uint64
	bootID     string
}

// procStat is what ReapLeftovers needs from /proc/<pid>/stat.
type procStat struct {
	pid        int
	state      byte // R, S, D, Z, ...
	pgid       int
	startTicks uint64
}

// readStat parses /proc/<pid>/stat. The command name (field 2) is in
// parentheses and may hold spaces and parentheses, so fields are counted
// from the last ')'.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	// After ") ": field 3 (state), 4 (ppid), 5 (pgrp), ..., 22 (starttime).
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	pgid, err := strconv.Atoi(f[2])
	if err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: pgrp: %w", pid, err)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: starttime: %w", pid, err)
	}
	return procStat{pid: pid, state: f[0][0], pgid: pgid, startTicks: start}, nil
}

// bootID returns the kernel's id of the current boot.
func bootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// identify returns the identity of the live process pid.
func identify(pid int) (processID, error) {
	st, err := readStat(pid)
	if err != nil {
		return processID{}, err
	}
	boot, err := bootID()
	if err != nil {
		return processID{}, err
	}
	return processID{startTicks: st.startTicks, bootID: boot}, nil
}

// allProcesses reads the stat of every process; processes that vanish
// while being read are skipped.
func allProcesses() ([]procStat, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []procStat
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if st, err := readStat(pid); err == nil {
			out = append(out, st)
		}
	}
	return out, nil
}
