package main

import (
	"fmt"
	"sort"
	"strings"
)

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// Mutant is one single-site change of one source file. Its ID
// (file:line:col:operator) is stable as long as the file does not change
// above the site.
type Mutant struct {
	File string // slash-separated, relative to the module root
	Line int
	Col  int
	Op   string
	// edits are non-overlapping byte ranges of the original file.
	edits []edit
}

// ID names the mutant as file:line:col:operator.
func (m Mutant) ID() string {
	return fmt.Sprintf("%s:%d:%d:%s", m.File, m.Line, m.Col, m.Op)
}

// apply returns src with the mutant's edits applied.
func (m Mutant) apply(src []byte) []byte {
	es := append([]edit(nil), m.edits...)
	sort.Slice(es, func(i, j int) bool { return es[i].start < es[j].start })
	var b strings.Builder
	last := 0
	for _, e := range es {
		b.Write(src[last:e.start])
		b.WriteString(e.text)
		last = e.end
	}
	b.Write(src[last:])
	return []byte(b.String())
}

// Diff shows the lines the mutant changes, before (-) and after (+).
func (m Mutant) Diff(src []byte) string {
	lo, hi := len(src), 0
	delta := 0
	for _, e := range m.edits {
		lo = min(lo, e.start)
		hi = max(hi, e.end)
		delta += len(e.text) - (e.end - e.start)
	}
	// Widen to whole lines.
	for lo > 0 && src[lo-1] != '\n' {
		lo--
	}
	for hi < len(src) && src[hi] != '\n' {
		hi++
	}
	out := m.apply(src)
	before := string(src[lo:hi])
	after := string(out[lo : hi+delta])
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s:%d\n", m.File, m.Line)
	writeLines(&b, "-", before)
	writeLines(&b, "+", after)
	return b.String()
}

// maxDiffLines keeps reports readable for branch swaps of long blocks.
const maxDiffLines = 24

func writeLines(b *strings.Builder, prefix, text string) {
	lines := strings.Split(text, "\n")
	if strings.TrimSpace(text) == "" {
		lines = []string{""}
	}
	for i, l := range lines {
		if i == maxDiffLines {
			fmt.Fprintf(b, "%s\t… (%d more lines)\n", prefix, len(lines)-i)
			break
		}
		b.WriteString(prefix + l + "\n")
	}
}
