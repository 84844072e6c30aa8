//go:build linux

package main

import "testing"

// TestParseStat reads the process group and the CPU ticks of a
// /proc/<pid>/stat line whose command name holds spaces and parentheses.
func TestParseStat(t *testing.T) {
	line := "4242 (a (b) c) S 1 777 777 0 -1 4194560 100 0 0 0 12 3 40 5 20 0 1 0 100 1000 10 18446744073709551615"
	pgrp, ticks, ok := parseStat(line)
	if !ok || pgrp != 777 || ticks != 12+3+40+5 {
		t.Fatalf("parseStat = %d, %d, %v; want 777, 60, true", pgrp, ticks, ok)
	}
	if _, _, ok := parseStat("4242 (x) S 1"); ok {
		t.Fatal("a short line parsed")
	}
}
