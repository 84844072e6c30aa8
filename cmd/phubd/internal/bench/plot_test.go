package bench

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// TestPlotIsSVGWithEverySeries draws measured figures and checks the SVG
// is well-formed XML with one line per series and a legend for each,
// ProcessHub's points (read from the shipped results file) beside phub's.
func TestPlotIsSVGWithEverySeries(t *testing.T) {
	figs := []Figure{
		{Name: "start 10000 children, awaited, until every registry holds them", Unit: "ms", Samples: []float64{80}},
		{Name: "start 1000 children, awaited, until every registry holds them", Unit: "ms", Samples: []float64{9, 8, 10}},
		{Name: "stop 10000 children, awaited, until every registry is empty", Unit: "ms", Samples: []float64{50}},
		{Name: "memory per node holding 10000 children (heap + stacks / 3)", Unit: "MiB", Samples: []float64{6}},
		{Name: "local lookup among 1000 children, one goroutine", Unit: "ns/op", Samples: []float64{22}},
	}
	mem := []MemoryPoint{{1000, 150}, {100000, 142}}
	nodes := []NodesFigures{{Nodes: 5, IdleMsgs: 8.5, FormWall: 60 * time.Millisecond}, {Nodes: 50, IdleMsgs: 104, FormWall: 2 * time.Second}}
	ref := ProcessHubPoints()
	refStart1k := 0.0
	for _, p := range ref {
		if p.Figure == "start" && p.Children == 1000 {
			refStart1k = p.Median
		}
	}
	panels := Panels(figs, mem, nodes, ref)
	if len(panels) != 4 {
		t.Fatalf("%d panels, want start/stop, memory, lookup and nodes", len(panels))
	}
	if got := panels[0].Series[0]; len(got.X) != 2 || got.X[0] != 1000 || got.Y[0] != 9 || got.Y[1] != 80 {
		t.Fatalf("phub start series %+v, want the medians of 1k and 10k in size order", got)
	}
	if got := panels[0].Series[2]; got.Name != "ProcessHub start" || len(got.X) != 3 || got.Y[0] != refStart1k || refStart1k == 0 {
		t.Fatalf("ProcessHub start series %+v, want processhub.tsv's 1k, 10k and 100k points", got)
	}
	var b strings.Builder
	if err := WritePlot(&b, panels); err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, p := range panels {
		series += len(p.Series)
	}
	lines, texts := 0, map[string]bool{}
	d := xml.NewDecoder(strings.NewReader(b.String()))
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("plot is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
			if tok.Name.Local == "polyline" {
				lines++
			}
		case xml.CharData:
			if inText {
				texts[string(tok)] = true
			}
		case xml.EndElement:
			inText = false
		}
	}
	if lines != series {
		t.Fatalf("plot draws %d lines for %d series", lines, series)
	}
	for _, want := range []string{"phub start", "phub stop", "ProcessHub start", "ProcessHub stop", "phub registry", "phub node (heap + stacks)",
		"ProcessHub registry", "phub local lookup", "ProcessHub child_lookup", "idle messages/s per node", "simulator wall ms per 10 s simulated"} {
		if !texts[want] {
			t.Errorf("plot has no legend %q", want)
		}
	}
}

// TestPlotLeavesOutUnmeasuredFigures: with only the memory curve measured
// (--nodes-only), the plot has the memory panel alone, and ProcessHub's
// time points draw no panel of their own.
func TestPlotLeavesOutUnmeasuredFigures(t *testing.T) {
	panels := Panels(nil, []MemoryPoint{{1000, 200}}, nil, ProcessHubPoints())
	if len(panels) != 1 || panels[0].Title != "memory per node, 3 nodes" || len(panels[0].Series) != 2 {
		t.Fatalf("panels %+v, want the memory panel with phub's registry and ProcessHub's", panels)
	}
}

// TestShippedProcessHubPointsParse: the results file built into phubd
// parses and holds every figure the plot draws.
func TestShippedProcessHubPointsParse(t *testing.T) {
	p, err := ReadRefPoints(strings.NewReader(processHubTSV))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]int{}
	for _, x := range p {
		have[x.Figure]++
	}
	for _, f := range []string{"start", "stop", "registry", "lookup"} {
		if have[f] == 0 {
			t.Errorf("processhub.tsv has no %s point", f)
		}
	}
}

// TestBadReferenceFileIsNamed: every malformed line is refused with
// ErrReferenceFormat naming its line, and no points are returned.
func TestBadReferenceFileIsNamed(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"fields", "start\t1000\t76.8\tms\n"},
		{"figure", "startup\t1000\t76.8\tms\tx\n"},
		{"children", "start\t-5\t76.8\tms\tx\n"},
		{"median", "start\t1000\tfast\tms\tx\n"},
		{"negative median", "start\t1000\t-1\tms\tx\n"},
		{"unit", "start\t1000\t76.8\ts\tx\n"},
	} {
		p, err := ReadRefPoints(strings.NewReader("# comment\n\nstop\t1000\t21.6\tms\tok\n" + tc.text))
		if !errors.Is(err, ErrReferenceFormat) || !strings.Contains(err.Error(), "line 4") || p != nil {
			t.Errorf("%s: got %v, %v; want ErrReferenceFormat at line 4 and no points", tc.name, p, err)
		}
	}
}
