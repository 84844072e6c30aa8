package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// report accumulates results and renders DIR/report.md.
type report struct {
	opts       options
	args       []string
	root       string
	commit     string
	enumerated int
	drawn      int // type-checked; drawn - chosen did not
	chosen     int
	notRun     int
	stages     []stage
	baseline   time.Duration
	// stageTimeouts are the per-stage test timeouts (nil: opts.timeout).
	stageTimeouts map[string]time.Duration
	elapsed       time.Duration
	results       []Result
	equivalent    map[string]string // id → reason
}

type tally struct{ killed, survived, equivalent, uncompilable, timedOut int }

func (r *report) tally() (tally, map[string]*tally) {
	var all tally
	byOp := map[string]*tally{}
	for _, res := range r.results {
		t := byOp[res.Op]
		if t == nil {
			t = &tally{}
			byOp[res.Op] = t
		}
		for _, x := range []*tally{&all, t} {
			switch {
			case res.Status == Killed:
				x.killed++
			case res.Status == Uncompilable:
				x.uncompilable++
			case res.Status == TimedOut:
				x.timedOut++
			case r.equivalent[res.ID] != "":
				x.equivalent++
			default:
				x.survived++
			}
		}
	}
	return all, byOp
}

func pct(a, b int) string {
	if b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
}

// summary is the one-line score.
func (r *report) summary() string {
	t, _ := r.tally()
	return fmt.Sprintf("score %s: %d killed of %d decided non-equivalent mutants (%d survived, %d equivalent, %d undecided by timeout, %d did not build); raw %s of %d decided",
		pct(t.killed, t.killed+t.survived), t.killed, t.killed+t.survived, t.survived, t.equivalent, t.timedOut, t.uncompilable,
		pct(t.killed, t.killed+t.survived+t.equivalent), t.killed+t.survived+t.equivalent)
}

func (r *report) write() error {
	var b strings.Builder
	t, byOp := r.tally()
	fmt.Fprintf(&b, "# Mutation report: %s/\n\n", r.opts.pkg)
	fmt.Fprintf(&b, "- command: `go run ./cmd/mutate %s`\n", strings.Join(r.args, " "))
	fmt.Fprintf(&b, "- tree: %s, %s\n", r.commit, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- oracle %q:", r.opts.oracle)
	for _, s := range r.stages {
		fmt.Fprintf(&b, " `%s`;", s.command())
	}
	fmt.Fprintf(&b, " baseline %s, test timeouts %s\n", r.baseline.Round(time.Second), r.timeoutText())
	fmt.Fprintf(&b, "- mutants: %d enumerated; %d drawn, of which %d do not type-check (excluded) and %d were chosen", r.enumerated, r.drawn, r.drawn-r.chosen, r.chosen)
	if r.opts.mutants == "" {
		fmt.Fprintf(&b, " (sample %d, seed %d)", r.opts.sample, r.opts.seed)
	}
	fmt.Fprintf(&b, "; %d run in %s", len(r.results), r.elapsed.Round(time.Second))
	if r.notRun > 0 {
		fmt.Fprintf(&b, "; %d not run (budget %s)", r.notRun, r.opts.budget)
	}
	fmt.Fprintf(&b, "\n\n**%s**\n\n", r.summary())
	b.WriteString("| operator | killed | survived | equivalent | undecided (timeout) | did not build |\n|---|---|---|---|---|---|\n")
	for _, op := range Operators {
		if x := byOp[op]; x != nil {
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d |\n", op, x.killed, x.survived, x.equivalent, x.timedOut, x.uncompilable)
		}
	}
	fmt.Fprintf(&b, "| all | %d | %d | %d | %d | %d |\n\n", t.killed, t.survived, t.equivalent, t.timedOut, t.uncompilable)

	sorted := append([]Result(nil), r.results...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
	b.WriteString("## Survivors\n\n")
	for _, res := range sorted {
		if res.Status == Survived && r.equivalent[res.ID] == "" {
			fmt.Fprintf(&b, "### %s\n\n```diff\n%s```\n\n", res.ID, res.Diff)
		}
	}
	b.WriteString("## Equivalent (per the equivalence file)\n\n")
	for _, res := range sorted {
		if res.Status == Survived && r.equivalent[res.ID] != "" {
			fmt.Fprintf(&b, "- `%s`: %s\n", res.ID, r.equivalent[res.ID])
		}
	}
	b.WriteString("\n## Killed\n\n| mutant | stage | first failure | s |\n|---|---|---|---|\n")
	for _, res := range sorted {
		if res.Status == Killed {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %.0f |\n", res.ID, res.Stage, strings.ReplaceAll(res.Detail, "|", "\\|"), res.Seconds)
		}
	}
	b.WriteString("\n## Undecided (a stage outlived its timeout)\n\n")
	for _, res := range sorted {
		if res.Status == TimedOut {
			fmt.Fprintf(&b, "- `%s`: %s, %s (%.0f s)\n", res.ID, res.Stage, res.Detail, res.Seconds)
		}
	}
	b.WriteString("\n## Did not build\n\n")
	for _, res := range sorted {
		if res.Status == Uncompilable {
			fmt.Fprintf(&b, "- `%s`: %s\n", res.ID, res.Detail)
		}
	}
	if err := os.WriteFile(filepath.Join(r.opts.out, "report.md"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	var jl strings.Builder
	for _, res := range r.results {
		line, err := json.Marshal(res)
		if err != nil {
			return err
		}
		jl.Write(line)
		jl.WriteByte('\n')
	}
	return os.WriteFile(filepath.Join(r.opts.out, "results.jsonl"), []byte(jl.String()), 0o644)
}

func (r *report) timeoutText() string {
	unit := ""
	if cpuClock {
		unit = " of CPU"
	}
	if r.opts.timeout > 0 || len(r.stageTimeouts) == 0 {
		return r.opts.timeout.String() + unit
	}
	var parts []string
	for _, s := range r.stages {
		parts = append(parts, fmt.Sprintf("%s %s", s.name, r.stageTimeouts[s.name]))
	}
	return strings.Join(parts, ", ") + unit
}

// gitDescribe names the tree the mutants were cut from.
func gitDescribe(root string) string {
	out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output()
	if err != nil {
		return "unknown commit"
	}
	return "commit " + strings.TrimSpace(string(out))
}

var equivalentLine = regexp.MustCompile("^- `([^`]+\\.go:\\d+:\\d+:[a-z-]+)`:? *(.*)$")

// readEquivalent parses the equivalence file: lines "- `id`: reason".
// A missing file means no equivalents.
func readEquivalent(path string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(b), "\n") {
		if m := equivalentLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			reason := m[2]
			if reason == "" {
				reason = "equivalent"
			}
			out[m[1]] = reason
		}
	}
	return out
}

// scoreResults scores the results.jsonl files of earlier runs against
// equivalent (today's equivalence file): the summary line, then every
// survivor not judged equivalent and every undecided mutant. A mutant in
// several files takes the verdict of the last (a re-judged timeout, a
// survivor re-run after new tests).
func scoreResults(paths []string, equivalent map[string]string) (string, error) {
	byID := map[string]int{}
	var results []Result
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			var res Result
			if err := json.Unmarshal([]byte(line), &res); err != nil || res.ID == "" || res.Status == "" {
				return "", fmt.Errorf("%s:%d: not a result line: %q", path, i+1, line)
			}
			if j, ok := byID[res.ID]; ok {
				results[j] = res
				continue
			}
			byID[res.ID] = len(results)
			results = append(results, res)
		}
	}
	if len(results) == 0 {
		return "", fmt.Errorf("--score %s: no results", strings.Join(paths, ","))
	}
	r := &report{results: results, equivalent: equivalent}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", r.summary())
	sort.Slice(results, func(i, j int) bool { return results[i].ID < results[j].ID })
	for _, res := range results {
		switch {
		case res.Status == Survived && equivalent[res.ID] == "":
			fmt.Fprintf(&b, "survived: %s\n", res.ID)
		case res.Status == TimedOut:
			fmt.Fprintf(&b, "undecided: %s (%s)\n", res.ID, res.Detail)
		}
	}
	return b.String(), nil
}
