package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestReadmeSignalsReachPhubd: the README's "Running phubd" snippet
// starts every background node from a built binary, so its `kill -TERM
// %N` signals phubd. Issue 9 found `go run ./cmd/phubd run … &`: the job
// was `go run`, which died of the signal while phubd ran on.
func TestReadmeSignalsReachPhubd(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Running phubd\n")
	if !ok {
		t.Fatal(`README has no "## Running phubd" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		t.Fatal(`"Running phubd" shows no sh block`)
	}
	block, _, _ = strings.Cut(block, "```")
	built := map[string]bool{}
	var jobs []string // the background jobs, %1 first
	kills := 0
	for _, line := range strings.Split(block, "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		cmd = strings.TrimSpace(cmd)
		f := strings.Fields(cmd)
		if len(f) >= 4 && f[0] == "go" && f[1] == "build" && f[2] == "-o" {
			built[f[3]] = true
		}
		if strings.HasSuffix(cmd, "&") {
			jobs = append(jobs, cmd)
			if len(f) < 2 || !built[f[0]] || f[1] != "run" {
				t.Errorf("background job %q is not `<binary built above> run …`: a signal to the job would not reach phubd", cmd)
			}
		}
		if m := regexp.MustCompile(`^kill -TERM %(\d+)$`).FindStringSubmatch(cmd); m != nil {
			kills++
			n, _ := strconv.Atoi(m[1])
			if n < 1 || n > len(jobs) {
				t.Errorf("%q names job %%%d; the snippet started %d jobs", cmd, n, len(jobs))
			}
		}
	}
	if len(jobs) == 0 || kills == 0 {
		t.Fatalf("the snippet starts %d background nodes and signals %d: it no longer shows a graceful leave", len(jobs), kills)
	}
}
