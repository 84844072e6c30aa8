//go:build linux

package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of /proc/<pid>/stat's times (USER_HZ, 100 on every
// Linux architecture Go supports).
const userHZ = 100

// groupCPUTime returns the CPU time (user + system) used so far by the
// processes of process group pgid, each with the children it has waited
// for (so a test binary that go test ran and reaped still counts); ok is
// false when no process of the group can be read.
func groupCPUTime(pgid int) (d time.Duration, ok bool) {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	var ticks int64
	for _, e := range dir {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		group, t, good := parseStat(string(b))
		if good && group == pgid {
			ticks += t
			ok = true
		}
	}
	return time.Duration(ticks) * time.Second / userHZ, ok
}

// parseStat reads a /proc/<pid>/stat line: the process group (field 5)
// and utime + stime + cutime + cstime (fields 14-17), in ticks.
func parseStat(line string) (pgrp int, ticks int64, ok bool) {
	// The command name (field 2) may hold spaces and parentheses: count
	// fields after its last closing parenthesis, from field 3 (state).
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(line[i+1:])
	if len(f) < 15 {
		return 0, 0, false
	}
	pgrp, err := strconv.Atoi(f[2])
	if err != nil {
		return 0, 0, false
	}
	for _, s := range f[11:15] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		ticks += v
	}
	return pgrp, ticks, true
}
