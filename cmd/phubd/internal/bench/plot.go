package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
)

// Series is one line of a plot: points (x, y) drawn in a color, with a
// legend name.
type Series struct {
	Name   string
	Color  string
	Dashed bool
	X, Y   []float64
}

// Panel is one log-log chart of a plot.
type Panel struct {
	Title, XLabel, YLabel string
	Series                []Series
}

const (
	phubColor, phub2, refColor, ref2 = "#1f77b4", "#aec7e8", "#d62728", "#ff9896"
	nodesColor, wallC                = "#2ca02c", "#9467bd"
)

// Panels turns measured figures into the plot's panels: time, memory and
// local lookup versus children (TCP figures, with the reference points of
// ref — ProcessHub's — beside them) and, when node counts were measured,
// traffic and simulator cost versus nodes. A panel with no phub figure is
// left out.
func Panels(figs []Figure, mem []MemoryPoint, nodes []NodesFigures, ref []RefPoint) []Panel {
	var out []Panel
	start := Series{Name: "phub start", Color: phubColor}
	node := Series{Name: "phub node (heap + stacks)", Color: phub2}
	stop := Series{Name: "phub stop", Color: phub2}
	look := Series{Name: "phub local lookup", Color: phubColor}
	for _, f := range figs {
		var n int
		if _, err := fmt.Sscanf(f.Name, "start %d children, awaited, until every registry holds them", &n); err == nil {
			_, med, _ := f.Stats()
			start.X, start.Y = append(start.X, float64(n)), append(start.Y, med)
		} else if _, err := fmt.Sscanf(f.Name, "stop %d children, awaited, until every registry is empty", &n); err == nil {
			_, med, _ := f.Stats()
			stop.X, stop.Y = append(stop.X, float64(n)), append(stop.Y, med)
		} else if _, err := fmt.Sscanf(f.Name, "memory per node holding %d children", &n); err == nil {
			_, med, _ := f.Stats()
			node.X, node.Y = append(node.X, float64(n)), append(node.Y, med)
		} else if _, err := fmt.Sscanf(f.Name, "local lookup among %d children, one goroutine", &n); err == nil {
			_, med, _ := f.Stats()
			look.X, look.Y = append(look.X, float64(n)), append(look.Y, med)
		}
	}
	for _, s := range []*Series{&start, &stop, &node, &look} {
		sortSeries(s)
	}
	median := func(p RefPoint) float64 { return p.Median }
	if len(start.X) > 0 {
		out = append(out, Panel{Title: "awaited start / stop, 3 nodes (TCP loopback)", XLabel: "children", YLabel: "ms until every registry agrees",
			Series: []Series{start, stop, refSeries(ref, "start", "ProcessHub start", refColor, median), refSeries(ref, "stop", "ProcessHub stop", ref2, median)}})
	}
	if len(mem) > 0 || len(node.X) > 0 {
		m := Series{Name: "phub registry", Color: phubColor}
		for _, p := range mem {
			m.X, m.Y = append(m.X, float64(p.Children)), append(m.Y, p.BytesPerEntry*float64(p.Children)/(1<<20))
		}
		sortSeries(&m)
		regMiB := func(p RefPoint) float64 { return p.Median * float64(p.Children) / (1 << 20) }
		out = append(out, Panel{Title: "memory per node, 3 nodes", XLabel: "children", YLabel: "MiB",
			Series: []Series{m, node, refSeries(ref, "registry", "ProcessHub registry", refColor, regMiB)}})
	}
	if len(look.X) > 0 {
		out = append(out, Panel{Title: "local lookup, one goroutine", XLabel: "children", YLabel: "ns",
			Series: []Series{look, refSeries(ref, "lookup", "ProcessHub child_lookup", refColor, median)}})
	}
	if len(nodes) > 0 {
		idle := Series{Name: "idle messages/s per node", Color: nodesColor}
		wall := Series{Name: "simulator wall ms per 10 s simulated", Color: wallC}
		for _, f := range nodes {
			idle.X, idle.Y = append(idle.X, float64(f.Nodes)), append(idle.Y, f.IdleMsgs)
			wall.X, wall.Y = append(wall.X, float64(f.Nodes)), append(wall.Y, ms(f.FormWall))
		}
		out = append(out, Panel{Title: "cluster size (simulator, production timings)", XLabel: "nodes", YLabel: "per second / ms",
			Series: []Series{idle, wall}})
	}
	for i := range out { // a series without points (a figure not measured) has no line
		out[i].Series = slices.DeleteFunc(out[i].Series, func(s Series) bool { return len(s.X) == 0 })
	}
	return out
}

// sortSeries orders a series' points by x, so its line runs left to right
// whatever order the sizes were measured in.
func sortSeries(s *Series) {
	idx := make([]int, len(s.X))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.X[idx[a]] < s.X[idx[b]] })
	x, y := make([]float64, len(idx)), make([]float64, len(idx))
	for i, j := range idx {
		x[i], y[i] = s.X[j], s.Y[j]
	}
	s.X, s.Y = x, y
}

const (
	panelW, panelH = 460, 330
	padL, padR     = 64, 16
	padT, padB     = 34, 96
)

// WritePlot writes the panels side by side as one SVG document with
// logarithmic axes (decades labelled).
func WritePlot(w io.Writer, panels []Panel) error {
	var b strings.Builder
	width := panelW * max(1, len(panels))
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, panelH, width, panelH)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, panelH)
	for i, p := range panels {
		writePanel(&b, float64(i*panelW), p)
	}
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func decadeRange(vals []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 1) {
		return 1, 10
	}
	lo, hi = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
	if hi <= lo {
		hi = lo * 10
	}
	return lo, hi
}

func writePanel(b *strings.Builder, x0 float64, p Panel) {
	var xs, ys []float64
	for _, s := range p.Series {
		xs, ys = append(xs, s.X...), append(ys, s.Y...)
	}
	xlo, xhi := decadeRange(xs)
	ylo, yhi := decadeRange(ys)
	pw, ph := float64(panelW-padL-padR), float64(panelH-padT-padB)
	px := func(v float64) float64 {
		return x0 + padL + pw*(math.Log10(v)-math.Log10(xlo))/(math.Log10(xhi)-math.Log10(xlo))
	}
	py := func(v float64) float64 {
		return padT + ph*(1-(math.Log10(v)-math.Log10(ylo))/(math.Log10(yhi)-math.Log10(ylo)))
	}
	fmt.Fprintf(b, `<text x="%.1f" y="18" font-size="13" font-weight="bold">%s</text>`+"\n", x0+padL, html.EscapeString(p.Title))
	fmt.Fprintf(b, `<rect x="%.1f" y="%d" width="%.1f" height="%.1f" fill="none" stroke="#444"/>`+"\n", x0+padL, padT, pw, ph)
	for d := xlo; d <= xhi*1.0001; d *= 10 {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n",
			px(d), padT, px(d), padT+ph, px(d), padT+ph+14, label(d))
	}
	for d := ylo; d <= yhi*1.0001; d *= 10 {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			x0+padL, py(d), x0+padL+pw, py(d), x0+padL-4, py(d)+4, label(d))
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x0+padL+pw/2, padT+ph+30, html.EscapeString(p.XLabel))
	fmt.Fprintf(b, `<text transform="translate(%.1f,%.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", x0+14, padT+ph/2, html.EscapeString(p.YLabel))
	for i, s := range p.Series {
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="5,3"`
		}
		var pts []string
		for j := range s.X {
			if s.X[j] > 0 && s.Y[j] > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.X[j]), py(s.Y[j])))
			}
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`+"\n", s.Color, dash, strings.Join(pts, " "))
		for _, pt := range pts {
			xy := strings.Split(pt, ",")
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", xy[0], xy[1], s.Color)
		}
		ly := padT + ph + 46 + float64(i)*14
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/><text x="%.1f" y="%.1f">%s</text>`+"\n",
			x0+padL, ly-4, x0+padL+24, ly-4, s.Color, dash, x0+padL+30, ly, html.EscapeString(s.Name))
	}
}

// label writes a decade compactly: 1, 10, 100, 1k, 10k, 1M, 0.1.
func label(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%gk", v/1e3)
	}
	return fmt.Sprintf("%g", v)
}
