package sim

import (
	"fmt"
	"sort"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// timelineModel is a run laid out for drawing (timeline.go renders it):
// lanes per node, the time range and scale, fault spans, markers,
// instance bars in rows and the message arrows to draw. It is built from
// the structured trace events alone; nothing is parsed back from text.
type timelineModel struct {
	events, instances int // counts, for the summary line
	t0, t1            int64
	dur               float64 // seconds shown
	pxPerSec          float64
	width, height     float64

	lanes    map[string]*tlLane
	laneList []*tlLane
	bars     map[string][]tlBar // instance bars per node

	crashes, leaves, gone map[string][]tlSpan // per-lane shading
	parts                 []tlSpan            // whole-chart partitions
	cuts                  map[string][]tlSpan // per-lane cut links
	markers               []tlMarker          // per-lane markers
	netChanges            []tlMarker          // net changes and buggify firings (axis)

	recvs     int            // deliverable messages between lanes
	drawn     []TraceEvent   // the recv events drawn as arrows
	kindTotal map[string]int // messages per kind
	kindDrawn map[string]int // arrows per kind
	omitted   int
}

// tlBar is one instance bar and its row under the lane.
type tlBar struct {
	in  checks.Instance
	row int
}

// x maps an instant to a horizontal position.
func (tl *timelineModel) x(t int64) float64 { return float64(t-tl.t0) / 1e9 * tl.pxPerSec }

// what is the event's trace line without its instant: "KIND[ TEXT]".
func (ev TraceEvent) what() string {
	if ev.Text == "" {
		return ev.Kind
	}
	return ev.Kind + " " + ev.Text
}

// buildTimeline lays out a run: see WriteTimeline for what is drawn.
func buildTimeline(events []TraceEvent, instances []checks.Instance, nodes []core.NodeID) *timelineModel {
	// Every node that appears anywhere gets a lane, in the given order
	// first, then sorted.
	var laneNames []string
	seen := map[string]bool{}
	addLane := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			laneNames = append(laneNames, n)
		}
	}
	for _, n := range nodes {
		addLane(string(n))
	}
	var extra []string
	note := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			extra = append(extra, n)
		}
	}
	for _, ev := range events {
		switch ev.Kind {
		case "recv":
			note(ev.Node)
			note(ev.Peer)
		case "boot", "crash", "leave", "left", "request", "reply", "crash-child":
			note(ev.Node)
		}
	}
	for _, in := range instances {
		note(in.Node)
	}
	sort.Strings(extra)
	laneNames = append(laneNames, extra...)

	// Time range.
	t0, t1 := int64(-1), int64(0)
	span := func(t int64) {
		if t < 0 {
			return
		}
		if t0 < 0 || t < t0 {
			t0 = t
		}
		if t > t1 {
			t1 = t
		}
	}
	for _, ev := range events {
		span(ev.At)
		if ev.Kind == "recv" {
			span(ev.SentAt)
		}
	}
	for _, in := range instances {
		span(in.Start)
		span(in.End)
	}
	if t0 < 0 {
		t0 = 0
	}
	// Start at a whole second and leave a little room at the end.
	t0 -= t0 % 1e9
	t1 += 2e8
	dur := float64(t1-t0) / 1e9
	pxPerSec := float64(tlPxPerSec)
	width := dur * pxPerSec
	if width < tlMinWidth {
		pxPerSec = tlMinWidth / dur
		width = tlMinWidth
	}
	if width > tlMaxWidth {
		pxPerSec = tlMaxWidth / dur
		width = tlMaxWidth
	}
	x := func(t int64) float64 { return float64(t-t0) / 1e9 * pxPerSec }

	// Faults and markers from the events.
	crashes := map[string][]tlSpan{}
	leaves := map[string][]tlSpan{}
	gone := map[string][]tlSpan{}
	var parts []tlSpan              // whole-chart partitions
	cuts := map[string][]tlSpan{}   // per-lane cuts
	var netChanges []tlMarker       // net parameter changes (axis)
	var markers []tlMarker          // per-lane markers
	openCrash := map[string]int64{} // node -> crash instant
	openLeave := map[string]int64{} // node -> leave instant
	type openCut struct {
		at   int64
		a, b string
	}
	var openParts []tlSpan
	var openCuts []openCut
	for _, ev := range events {
		switch ev.Kind {
		case "crash":
			if _, ok := openCrash[ev.Node]; !ok {
				openCrash[ev.Node] = ev.At
			}
		case "boot":
			if at, ok := openCrash[ev.Node]; ok {
				crashes[ev.Node] = append(crashes[ev.Node], tlSpan{start: at, end: ev.At, label: "crashed", detail: fmt.Sprintf("%s crashed %s, rebooted %s (%s)", ev.Node, fmtInstant(at), fmtInstant(ev.At), ev.what())})
				delete(openCrash, ev.Node)
			}
			markers = append(markers, tlMarker{at: ev.At, node: ev.Node, kind: "boot", detail: ev.what()})
		case "leave":
			openLeave[ev.Node] = ev.At
			markers = append(markers, tlMarker{at: ev.At, node: ev.Node, kind: "leave", detail: ev.what()})
		case "left":
			start := ev.At
			if at, ok := openLeave[ev.Node]; ok {
				start = at
				delete(openLeave, ev.Node)
			}
			leaves[ev.Node] = append(leaves[ev.Node], tlSpan{start: start, end: ev.At, label: "leaving", detail: fmt.Sprintf("%s leaving %s … left %s", ev.Node, fmtInstant(start), fmtInstant(ev.At))})
			gone[ev.Node] = append(gone[ev.Node], tlSpan{start: ev.At, end: t1, label: "left", detail: fmt.Sprintf("%s left gracefully at %s", ev.Node, fmtInstant(ev.At))})
		case "partition":
			openParts = append(openParts, tlSpan{start: ev.At, label: ev.what()})
		case "cut":
			openCuts = append(openCuts, openCut{at: ev.At, a: ev.Node, b: ev.Peer})
		case "heal":
			for _, p := range openParts {
				p.end = ev.At
				p.detail = fmt.Sprintf("%s from %s, healed %s", p.label, fmtInstant(p.start), fmtInstant(ev.At))
				parts = append(parts, p)
			}
			for _, c := range openCuts {
				sp := tlSpan{start: c.at, end: ev.At, label: "cut " + c.a + "–" + c.b, detail: fmt.Sprintf("link %s–%s cut from %s, healed %s", c.a, c.b, fmtInstant(c.at), fmtInstant(ev.At))}
				cuts[c.a] = append(cuts[c.a], sp)
				cuts[c.b] = append(cuts[c.b], sp)
			}
			openParts, openCuts = nil, nil
		case "net":
			netChanges = append(netChanges, tlMarker{at: ev.At, kind: "net", detail: ev.what()})
		case "buggify":
			netChanges = append(netChanges, tlMarker{at: ev.At, kind: "buggify", detail: ev.what()})
		case "request":
			markers = append(markers, tlMarker{at: ev.At, node: ev.Node, kind: "request", detail: ev.what()})
		case "reply":
			k := "reply"
			if ev.Failed {
				k = "reply-err"
			}
			markers = append(markers, tlMarker{at: ev.At, node: ev.Node, kind: k, detail: ev.what()})
		case "crash-child":
			markers = append(markers, tlMarker{at: ev.At, node: ev.Node, kind: "crash-child", detail: ev.what()})
		}
	}
	for _, n := range sortedKeys(openCrash) {
		at := openCrash[n]
		crashes[n] = append(crashes[n], tlSpan{start: at, end: t1, label: "crashed", detail: fmt.Sprintf("%s crashed %s, still down at the end", n, fmtInstant(at))})
	}
	for _, n := range sortedKeys(openLeave) {
		at := openLeave[n]
		leaves[n] = append(leaves[n], tlSpan{start: at, end: t1, label: "leaving", detail: fmt.Sprintf("%s leaving from %s", n, fmtInstant(at))})
	}
	for _, p := range openParts {
		p.end = t1
		p.detail = fmt.Sprintf("%s from %s, never healed", p.label, fmtInstant(p.start))
		parts = append(parts, p)
	}
	for _, c := range openCuts {
		sp := tlSpan{start: c.at, end: t1, label: "cut " + c.a + "–" + c.b, detail: fmt.Sprintf("link %s–%s cut from %s, never healed", c.a, c.b, fmtInstant(c.at))}
		cuts[c.a] = append(cuts[c.a], sp)
		cuts[c.b] = append(cuts[c.b], sp)
	}

	// Instance bars: greedy interval partitioning into rows per node.
	bars := map[string][]tlBar{}
	byNode := map[string][]checks.Instance{}
	for _, in := range instances {
		byNode[in.Node] = append(byNode[in.Node], in)
	}
	rowsOf := map[string]int{}
	for n, ins := range byNode {
		sort.SliceStable(ins, func(i, j int) bool {
			if ins[i].Start != ins[j].Start {
				return ins[i].Start < ins[j].Start
			}
			return ins[i].Child < ins[j].Child
		})
		var rowEnd []float64 // right edge (px) of each row's last bar
		for _, in := range ins {
			end := in.End
			if end < 0 {
				end = t1
			}
			x0, x1 := x(in.Start), x(end)
			r := -1
			for i, e := range rowEnd {
				if e+2 <= x0 {
					r = i
					break
				}
			}
			if r < 0 {
				if len(rowEnd) < tlMaxBarRow {
					r = len(rowEnd)
					rowEnd = append(rowEnd, 0)
				} else {
					r = len(rowEnd) - 1 // overflow: overlap the last row
				}
			}
			rowEnd[r] = max(rowEnd[r], x1)
			bars[n] = append(bars[n], tlBar{in: in, row: r})
		}
		rowsOf[n] = len(rowEnd)
	}

	lanes := map[string]*tlLane{}
	var laneList []*tlLane
	y := float64(tlAxisH)
	for _, n := range laneNames {
		l := &tlLane{node: n, y: y, mid: y + tlLaneH/2, rows: rowsOf[n]}
		l.height = tlLaneH + float64(l.rows)*(tlBarH+tlBarGap)
		y += l.height + tlLaneGap
		lanes[n] = l
		laneList = append(laneList, l)
	}
	height := y + 10

	// Arrows: sample heartbeats first, then everything else.
	var recvs []TraceEvent
	kindTotal := map[string]int{}
	for _, ev := range events {
		if ev.Kind == "recv" && lanes[ev.Node] != nil && lanes[ev.Peer] != nil {
			recvs = append(recvs, ev)
			kindTotal[ev.Msg]++
		}
	}
	drawn := sampleArrows(recvs, MaxTimelineArrows)
	kindDrawn := map[string]int{}
	for _, ev := range drawn {
		kindDrawn[ev.Msg]++
	}
	omitted := len(recvs) - len(drawn)

	return &timelineModel{events: len(events), instances: len(instances),
		t0: t0, t1: t1, dur: dur, pxPerSec: pxPerSec, width: width, height: height,
		lanes: lanes, laneList: laneList, bars: bars,
		crashes: crashes, leaves: leaves, gone: gone, parts: parts, cuts: cuts,
		markers: markers, netChanges: netChanges,
		recvs: len(recvs), drawn: drawn, kindTotal: kindTotal, kindDrawn: kindDrawn, omitted: omitted}
}
