package sim

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"html"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// MaxTimelineArrows caps the message arrows drawn in a timeline; past it
// heartbeats are sampled first, then every other kind (the page says how
// many were omitted).
var MaxTimelineArrows = 20000

// timeline geometry (pixels).
const (
	tlLabelW    = 90 // left label column
	tlAxisH     = 46 // time axis and fault captions at the top
	tlLaneH     = 34 // message band of a lane
	tlBarH      = 11 // one row of instance bars
	tlBarGap    = 2  // gap between bar rows
	tlLaneGap   = 10 // space below a lane
	tlMinWidth  = 1400
	tlMaxWidth  = 120000
	tlPxPerSec  = 220 // preferred horizontal scale
	tlMaxBarRow = 12  // instance bar rows per lane before they overlap
)

// msgColors gives each message kind a stable colour; heartbeats are pale.
var msgColors = map[string]string{
	"join":          "#1f77b4",
	"welcome":       "#17becf",
	"heartbeat":     "#c7c7c7",
	"leave":         "#8c564b",
	"request":       "#d62728",
	"result":        "#2ca02c",
	"replicate":     "#ff7f0e",
	"replicate_ack": "#ffbb78",
	"claims":        "#9467bd",
	"digest":        "#bcbd22",
	"sync_request":  "#e377c2",
	"which":         "#7f7f7f",
	"which_reply":   "#aec7e8",
	"handover":      "#006d2c",
	"handover_ack":  "#74c476",
	"gossip":        "#6b6ecf",
}

var childPalette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#e15759", "#bab0ac"}

func msgColor(kind string) string {
	if c, ok := msgColors[kind]; ok {
		return c
	}
	h := fnv.New32a()
	h.Write([]byte(kind))
	return childPalette[h.Sum32()%uint32(len(childPalette))]
}

func childColor(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	return childPalette[h.Sum32()%uint32(len(childPalette))]
}

// fmtInstant renders a virtual instant (ns) as seconds, e.g. "3.250000s".
func fmtInstant(ns int64) string {
	return fmt.Sprintf("%.6fs", float64(ns)/1e9)
}

type tlSpan struct {
	start, end int64
	label      string
	detail     string
}

type tlMarker struct {
	at     int64
	node   string
	kind   string // boot, request, reply, reply-err, crash-child, leave
	detail string
}

type tlLane struct {
	node   string
	y      float64 // top of the lane
	mid    float64 // y of the message line
	rows   int     // instance bar rows
	height float64
}

// WriteTimeline writes one self-contained HTML page with an inline SVG
// timeline of a run: one lane per node (time on the x axis), messages as
// arrows coloured by kind (events of Kind "recv"), crashes shaded red
// until the node's next boot, graceful leaves, partitions and cuts shaded
// until the next heal, client requests and replies as markers, and each
// node's child instances as bars under its lane labelled "id e<epoch>".
// Hovering any element shows its details (SVG titles; no script needed).
func WriteTimeline(w io.Writer, title string, events []TraceEvent, instances []checks.Instance, nodes []core.NodeID) error {
	return buildTimeline(events, instances, nodes).render(w, title)
}

// render writes the page of a laid-out timeline.
func (tl *timelineModel) render(w io.Writer, title string) error {
	t0, t1, dur, pxPerSec, width, height := tl.t0, tl.t1, tl.dur, tl.pxPerSec, tl.width, tl.height
	lanes, laneList, bars := tl.lanes, tl.laneList, tl.bars
	crashes, leaves, gone, parts, cuts := tl.crashes, tl.leaves, tl.gone, tl.parts, tl.cuts
	markers, netChanges := tl.markers, tl.netChanges
	drawn, kindTotal, kindDrawn, omitted := tl.drawn, tl.kindTotal, tl.kindDrawn, tl.omitted
	x := tl.x
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	esc := html.EscapeString

	p("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n", esc(title))
	p(`<style>
body{font:13px/1.4 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:12px;color:#222;background:#fff}
h1{font-size:17px;margin:0 0 4px}
.sum{color:#555;margin:0 0 8px}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:6px 0 10px;font-size:12px}
.legend span.sw{display:inline-block;width:18px;height:10px;margin-right:4px;vertical-align:middle;border:1px solid #0002}
.wrap{display:flex;border:1px solid #ccc}
.labels{flex:none;background:#fafafa;border-right:1px solid #ccc}
.scroll{overflow-x:auto;overflow-y:hidden;flex:1}
svg text{font:11px Helvetica,Arial,sans-serif}
.ib:hover{stroke:#000;stroke-width:1.5}
.arr:hover{stroke-width:2.5}
.omit{color:#a00}
</style></head><body>
`)
	p("<h1>%s</h1>\n", esc(title))
	p("<p class=\"sum\">%d nodes · virtual time %s – %s (%.3f s) · %d events · %d messages, %d drawn as arrows",
		len(laneList), fmtInstant(t0), fmtInstant(t1), dur, tl.events, tl.recvs, len(drawn))
	if omitted > 0 {
		p(" · <span class=\"omit\">%d arrows omitted (cap %d; heartbeats sampled first)</span>", omitted, MaxTimelineArrows)
	}
	p(" · %d child instances · scale %.0f px/s. Hover any element for details.</p>\n", tl.instances, pxPerSec)

	// Legend.
	p("<div class=\"legend\">")
	for _, k := range sortedKeys(kindTotal) {
		extra := ""
		if kindDrawn[k] < kindTotal[k] {
			extra = fmt.Sprintf(", %d drawn", kindDrawn[k])
		}
		p("<span><span class=\"sw\" style=\"background:%s\"></span>%s (%d%s)</span>", msgColor(k), esc(k), kindTotal[k], extra)
	}
	p("</div>\n<div class=\"legend\">")
	p("<span><span class=\"sw\" style=\"background:#e4000055\"></span>node crashed (until next boot)</span>")
	p("<span><span class=\"sw\" style=\"background:#f0a20055\"></span>graceful leave in progress</span>")
	p("<span><span class=\"sw\" style=\"background:repeating-linear-gradient(45deg,#999 0 3px,#ddd 3px 6px)\"></span>left the cluster</span>")
	p("<span><span class=\"sw\" style=\"background:#ffd59e88\"></span>partition (whole chart, until heal)</span>")
	p("<span><span class=\"sw\" style=\"background:#9b59b655\"></span>cut link (both lanes, until heal)</span>")
	p("<span>▲ boot · ● request · ■ reply ok · ■ <span style=\"color:#e67e22\">reply with error</span> · ✕ child crash · ◆ leave · │ net change/buggify</span>")
	p("<span>bars: child instances \"id e&lt;epoch&gt;\" (hatched = passive replica)</span>")
	p("</div>\n")

	// Label column.
	p("<div class=\"wrap\"><svg class=\"labels\" width=\"%d\" height=\"%.0f\" xmlns=\"http://www.w3.org/2000/svg\">\n", tlLabelW, height)
	p("<text x=\"6\" y=\"14\" fill=\"#666\">time →</text>\n")
	for _, l := range laneList {
		p("<text x=\"6\" y=\"%.1f\" font-weight=\"bold\" style=\"font-size:13px\">%s</text>\n", l.mid+4, esc(l.node))
		if l.rows > 0 {
			p("<text x=\"6\" y=\"%.1f\" fill=\"#777\">instances</text>\n", l.y+tlLaneH+tlBarH-1)
		}
	}
	p("</svg>\n<div class=\"scroll\"><svg width=\"%.0f\" height=\"%.0f\" xmlns=\"http://www.w3.org/2000/svg\">\n", width+20, height)
	p("<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"3\" height=\"6\" fill=\"#aaa\"/></pattern>")
	p("<pattern id=\"phatch\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"2\" height=\"4\" fill=\"#fff8\"/></pattern>")
	for _, k := range sortedKeys(kindTotal) {
		p("<marker id=\"ah-%s\" viewBox=\"0 0 6 6\" refX=\"6\" refY=\"3\" markerWidth=\"5\" markerHeight=\"5\" orient=\"auto\"><path d=\"M0,0L6,3L0,6z\" fill=\"%s\"/></marker>", attrID(k), msgColor(k))
	}
	p("</defs>\n")

	// Lane backgrounds.
	for i, l := range laneList {
		fill := "#ffffff"
		if i%2 == 1 {
			fill = "#f7f9fc"
		}
		p("<rect x=\"0\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"%s\"/>\n", l.y, width+20, l.height, fill)
	}
	// Time axis: a tick per second (or coarser), gridlines.
	step := int64(1e9)
	for pxPerSec*float64(step)/1e9 < 60 {
		step *= 2
	}
	minor := step / 10
	if pxPerSec*float64(minor)/1e9 >= 12 {
		for t := t0; t <= t1; t += minor {
			p("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>", x(t), tlAxisH-4, x(t), tlAxisH)
		}
		p("\n")
	}
	for t := t0; t <= t1; t += step {
		p("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#e3e3e3\"/>", x(t), tlAxisH-8, x(t), height)
		p("<text x=\"%.1f\" y=\"%d\" fill=\"#555\">%.0fs</text>\n", x(t)+2, tlAxisH-10, float64(t)/1e9)
	}
	p("<line x1=\"0\" y1=\"%d\" x2=\"%.0f\" y2=\"%d\" stroke=\"#999\"/>\n", tlAxisH, width+20, tlAxisH)

	// Partitions: bands over the whole chart with their text.
	for i, sp := range parts {
		x0, x1 := x(sp.start), x(sp.end)
		p("<g><title>%s</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" fill=\"#ffd59e\" fill-opacity=\"0.45\" stroke=\"#f0a040\" stroke-dasharray=\"4 3\"/>", esc(sp.detail), x0, tlAxisH, max(x1-x0, 1), height-tlAxisH)
		p("<text x=\"%.1f\" y=\"%d\" fill=\"#b35900\" font-weight=\"bold\">%s</text></g>\n", x0+3, 12+(i%2)*12, esc(sp.label))
	}
	// Per-lane shading: crashes, leaves, cuts.
	for _, l := range laneList {
		for _, sp := range cuts[l.node] {
			x0, x1 := x(sp.start), x(sp.end)
			p("<g><title>%s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"#9b59b6\" fill-opacity=\"0.25\" stroke=\"#9b59b6\" stroke-dasharray=\"3 2\"/><text x=\"%.1f\" y=\"%.1f\" fill=\"#6c3483\">%s</text></g>\n",
				esc(sp.detail), x0, l.y+2, max(x1-x0, 1), tlLaneH-4, x0+3, l.y+12, esc(sp.label))
		}
		for _, sp := range leaves[l.node] {
			x0, x1 := x(sp.start), x(sp.end)
			p("<g><title>%s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f0a200\" fill-opacity=\"0.35\"/><text x=\"%.1f\" y=\"%.1f\" fill=\"#8a5a00\">%s</text></g>\n",
				esc(sp.detail), x0, l.y, max(x1-x0, 2), l.height, x0+3, l.y+tlLaneH-3, esc(sp.label))
		}
		for _, sp := range gone[l.node] {
			x0, x1 := x(sp.start), x(sp.end)
			p("<g><title>%s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"url(#hatch)\" fill-opacity=\"0.6\"/><text x=\"%.1f\" y=\"%.1f\" fill=\"#444\">left</text></g>\n",
				esc(sp.detail), x0, l.y, max(x1-x0, 1), l.height, x0+3, l.y+tlLaneH-3)
		}
		for _, sp := range crashes[l.node] {
			x0, x1 := x(sp.start), x(sp.end)
			p("<g><title>%s</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#e40000\" fill-opacity=\"0.28\" stroke=\"#e40000\" stroke-width=\"0.8\"/><text x=\"%.1f\" y=\"%.1f\" fill=\"#a00\" font-weight=\"bold\">✖ crashed</text></g>\n",
				esc(sp.detail), x0, l.y, max(x1-x0, 2), l.height, x0+3, l.y+tlLaneH-3)
		}
		p("<line x1=\"0\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#333\" stroke-width=\"1.2\"/>\n", l.mid, width+20, l.mid)
	}
	// Instance bars.
	for _, l := range laneList {
		for _, b := range bars[l.node] {
			in := b.in
			end := in.End
			endS := fmtInstant(end)
			if end < 0 {
				end = t1
				endS = "still running"
			}
			x0, x1 := x(in.Start), x(end)
			by := l.y + tlLaneH + float64(b.row)*(tlBarH+tlBarGap)
			role := "active"
			if !in.Active {
				role = "passive"
			}
			label := fmt.Sprintf("%s e%d", in.Child, in.Epoch)
			p("<g class=\"ib\"><title>instance %s of %s on %s (incarnation %d)\nepoch %d, %s\nstart %s\nend %s</title>", fmt.Sprint(in.Instance), esc(in.Child), esc(in.Node), in.Incarnation, in.Epoch, role, fmtInstant(in.Start), endS)
			p("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"%s\" fill-opacity=\"0.85\"/>", x0, by, max(x1-x0, 1.5), tlBarH, childColor(in.Child))
			if !in.Active {
				p("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"url(#phatch)\"/>", x0, by, max(x1-x0, 1.5), tlBarH)
			}
			if x1-x0 > float64(len(label))*6 {
				p("<text x=\"%.1f\" y=\"%.1f\" fill=\"#fff\" style=\"font-size:9px\">%s</text>", x0+2, by+tlBarH-2, esc(label))
			}
			p("</g>\n")
		}
	}
	// Message arrows.
	for _, ev := range drawn {
		from, to := lanes[ev.Peer], lanes[ev.Node]
		c := msgColor(ev.Msg)
		op := "0.75"
		if ev.Msg == "heartbeat" {
			op = "0.5"
		}
		p("<line class=\"arr\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-opacity=\"%s\" stroke-width=\"0.9\" marker-end=\"url(#ah-%s)\"><title>%s %s→%s sent %s recv %s</title></line>\n",
			x(ev.SentAt), from.mid, x(ev.At), to.mid, c, op, attrID(ev.Msg), esc(ev.Msg), esc(ev.Peer), esc(ev.Node), fmtInstant(ev.SentAt), fmtInstant(ev.At))
	}
	// Markers.
	for _, m := range markers {
		l := lanes[m.node]
		if l == nil {
			continue
		}
		mx, my := x(m.at), l.mid
		t := "<title>" + esc(fmtInstant(m.at)+" "+m.detail) + "</title>"
		switch m.kind {
		case "boot":
			p("<g>%s<path d=\"M%.1f,%.1fl5,9h-10z\" fill=\"#2e7d32\"/></g>\n", t, mx, my-4)
		case "leave":
			p("<g>%s<path d=\"M%.1f,%.1fl5,5l-5,5l-5,-5z\" fill=\"#8c564b\"/></g>\n", t, mx, my-5)
		case "request":
			p("<g>%s<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#1565c0\" stroke=\"#fff\" stroke-width=\"0.6\"/></g>\n", t, mx, my-8)
		case "reply":
			p("<g>%s<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"6\" fill=\"#2e7d32\" stroke=\"#fff\" stroke-width=\"0.6\"/></g>\n", t, mx-3, my+5)
		case "reply-err":
			p("<g>%s<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"6\" fill=\"#e67e22\" stroke=\"#fff\" stroke-width=\"0.6\"/></g>\n", t, mx-3, my+5)
		case "crash-child":
			p("<g>%s<path d=\"M%.1f,%.1fl8,8m0,-8l-8,8\" stroke=\"#c00\" stroke-width=\"2\"/></g>\n", t, mx-4, my-4)
		}
	}
	// Net changes and buggify firings on the axis.
	for _, m := range netChanges {
		c := "#555"
		if m.kind == "buggify" {
			c = "#c00"
		}
		p("<g><title>%s</title><line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/></g>\n", esc(fmtInstant(m.at)+" "+m.detail), x(m.at), tlAxisH-8, x(m.at), tlAxisH+4, c)
	}
	p("</svg></div></div>\n</body></html>\n")
	return bw.Flush()
}

// sampleArrows keeps at most limit recv events: everything if it fits;
// otherwise every non-heartbeat and an evenly strided sample of
// heartbeats; if non-heartbeats alone exceed the limit, an evenly strided
// sample of them. The order of events is kept.
func sampleArrows(recvs []TraceEvent, limit int) []TraceEvent {
	if limit <= 0 {
		return nil
	}
	if len(recvs) <= limit {
		return recvs
	}
	var hb, other int
	for _, ev := range recvs {
		if ev.Msg == "heartbeat" {
			hb++
		} else {
			other++
		}
	}
	keepHB := 0.0
	keepOther := 1.0
	if other >= limit {
		keepOther = float64(limit) / float64(other)
	} else {
		keepHB = float64(limit-other) / float64(hb)
	}
	var out []TraceEvent
	var accHB, accOther float64
	for _, ev := range recvs {
		if ev.Msg == "heartbeat" {
			accHB += keepHB
			if accHB >= 1-1e-9 { // as below: a sum of fractions can fall short of 1 by rounding
				accHB--
				out = append(out, ev)
			}
		} else {
			accOther += keepOther
			if accOther >= 1-1e-9 {
				accOther--
				out = append(out, ev)
			}
		}
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func attrID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TraceText rebuilds the text trace from the recorded events (available
// when the Sim ran with Options.Record): the same lines, byte for byte, as
// Options.Trace receives.
func TraceText(events []TraceEvent) []byte {
	var b strings.Builder
	for _, ev := range events {
		b.WriteString(ev.Line())
	}
	return []byte(b.String())
}

func traceHashOf(text []byte) uint64 {
	h := fnv.New64a()
	h.Write(text)
	return h.Sum64()
}

// ErrNotRecorded is returned by WriteArtifacts when the Sim did not run
// with Options.Record, so it has no events to draw or trace to write.
var ErrNotRecorded = errors.New("sim: artifacts need a run with Options.Record")

// WriteArtifacts writes the replay artifacts of a finished run into dir
// (created if missing): trace.txt (the text trace, rebuilt from the
// recorded events and checked against TraceHash), timeline.html
// (WriteTimeline) and, when lin is not nil, not Ok and visualizable,
// history.html (porcupine's visualization, annotated with the faults). The
// Sim must have run with Options.Record. It returns the paths written.
func (s *Sim) WriteArtifacts(dir string, lin *checks.LinResult) (paths []string, err error) {
	return s.writeArtifacts(dir, lin, true)
}

func (s *Sim) writeArtifacts(dir string, lin *checks.LinResult, writeTrace bool) (paths []string, err error) {
	if !s.opts.Record {
		return nil, ErrNotRecorded
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	events := s.Recorded()
	if writeTrace {
		text := TraceText(events)
		if h := traceHashOf(text); h != s.TraceHash() {
			return nil, fmt.Errorf("sim: rebuilt trace hash %016x differs from the run's %016x (re-run with Options.Trace)", h, s.TraceHash())
		}
		p := filepath.Join(dir, "trace.txt")
		if err := os.WriteFile(p, text, 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	p := filepath.Join(dir, "timeline.html")
	f, err := os.Create(p)
	if err != nil {
		return paths, err
	}
	title := fmt.Sprintf("phub simulation seed %d (trace %016x)", s.opts.Seed, s.TraceHash())
	if err := WriteTimeline(f, title, events, s.Instances(), s.NodeNames()); err != nil {
		f.Close()
		return paths, err
	}
	if err := f.Close(); err != nil {
		return paths, err
	}
	paths = append(paths, p)
	if lin != nil && lin.Status != checks.LinOk {
		l := *lin
		l.Annotate(FaultAnnotations(events)...)
		p := filepath.Join(dir, "history.html")
		switch err := l.WriteVisualization(p); {
		case errors.Is(err, checks.ErrNotVisualizable):
		case err != nil:
			return paths, err
		default:
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// FaultAnnotations turns the faults of a recorded run (crashes until the
// next boot, graceful leaves, partitions and cuts until heal, network
// changes) into annotations for porcupine's visualization, tagged
// "nemesis".
func FaultAnnotations(events []TraceEvent) []checks.Annotation {
	var out []checks.Annotation
	end := int64(0)
	for _, ev := range events {
		end = max(end, ev.At)
	}
	crash := map[string]int64{}
	var open []TraceEvent
	for _, ev := range events {
		switch ev.Kind {
		case "crash":
			crash[ev.Node] = ev.At
		case "boot":
			if at, ok := crash[ev.Node]; ok {
				out = append(out, checks.Annotation{Tag: "nemesis", Start: at, End: ev.At, Description: "crash " + ev.Node, Details: fmt.Sprintf("%s down %s – %s", ev.Node, fmtInstant(at), fmtInstant(ev.At))})
				delete(crash, ev.Node)
			}
		case "partition", "cut":
			open = append(open, ev)
		case "heal":
			for _, o := range open {
				out = append(out, checks.Annotation{Tag: "nemesis", Start: o.At, End: ev.At, Description: o.Text, Details: fmt.Sprintf("%s, healed at %s", o.Text, fmtInstant(ev.At))})
			}
			open = nil
		case "left", "net", "crash-child", "buggify":
			out = append(out, checks.Annotation{Tag: "nemesis", Start: ev.At, End: ev.At - 1, Description: ev.Text})
		}
	}
	for _, n := range sortedKeys(crash) {
		out = append(out, checks.Annotation{Tag: "nemesis", Start: crash[n], End: end, Description: "crash " + n})
	}
	for _, o := range open {
		out = append(out, checks.Annotation{Tag: "nemesis", Start: o.At, End: end, Description: o.Text})
	}
	return out
}
