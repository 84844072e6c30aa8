package bench

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

// TestPlotIsSVGWithEverySeries draws measured figures and checks the SVG
// is well-formed XML with one line per series, ProcessHub's beside phub's.
func TestPlotIsSVGWithEverySeries(t *testing.T) {
	figs := []Figure{
		{Name: "start 1000 children, awaited, until every registry holds them", Unit: "ms", Samples: []float64{9, 8, 10}},
		{Name: "start 10000 children, awaited, until every registry holds them", Unit: "ms", Samples: []float64{80}},
		{Name: "stop 10000 children, awaited, until every registry is empty", Unit: "ms", Samples: []float64{50}},
	}
	mem := []MemoryPoint{{1000, 150}, {100000, 142}}
	nodes := []NodesFigures{{Nodes: 5, IdleMsgs: 8.5, FormWall: 60 * time.Millisecond}, {Nodes: 50, IdleMsgs: 104, FormWall: 2 * time.Second}}
	panels := Panels(figs, mem, nodes)
	if len(panels) != 3 {
		t.Fatalf("%d panels, want start/stop, memory and nodes", len(panels))
	}
	if got := panels[0].Series[0]; len(got.X) != 2 || got.Y[0] != 9 {
		t.Fatalf("phub start series %+v, want the medians of 1k and 10k", got)
	}
	var b strings.Builder
	if err := WritePlot(&b, panels); err != nil {
		t.Fatal(err)
	}
	lines, series := 0, 0
	for _, p := range panels {
		series += len(p.Series)
	}
	d := xml.NewDecoder(strings.NewReader(b.String()))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("plot is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
		}
	}
	if lines != series {
		t.Fatalf("plot draws %d lines for %d series", lines, series)
	}
	for _, want := range []string{"ProcessHub start", "phub registry", "idle messages/s per node"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("plot has no legend %q", want)
		}
	}
}
