package admin

import (
	"context"
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"html/template"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/phub/phub/core"
)

// maxChildRows bounds the rows of the children page.
const maxChildRows = 500

// globalTimeout bounds the which-children query behind the children page.
const globalTimeout = 2 * time.Second

// palette colours nodes in the order of their names (the SVG ring; the
// same colours are the classes c0..c7 of style.css).
var palette = []string{"#2f6fdf", "#e07b00", "#2a9d4b", "#c23b6b", "#7a4fd0", "#0e9aa7", "#a16207", "#5b6b7f"}

var templateFuncs = template.FuncMap{
	// dict builds a map from key, value pairs (arguments of a sub-template).
	"dict": func(kvs ...any) (map[string]any, error) {
		if len(kvs)%2 != 0 {
			return nil, fmt.Errorf("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kvs)/2)
		for i := 0; i < len(kvs); i += 2 {
			k, ok := kvs[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict: key %v is not a string", kvs[i])
			}
			m[k] = kvs[i+1]
		}
		return m, nil
	},
	"join": func(xs []string) string { return strings.Join(xs, ", ") },
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
	"clock": func(t time.Time) string { return t.Local().Format("15:04:05") },
	"pct":   func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"hex":   func(h uint64) string { return fmt.Sprintf("%016x", h) },
	"deg":   func(h uint64) string { return fmt.Sprintf("%.1f°", float64(h)/math.Pow(2, 64)*360) },
}

// nodeColors returns a colour class (c0..c7, style.css) per node of a
// sorted list: inline styles are refused by the page's CSP.
func nodeColors(nodes []string) map[string]string {
	out := map[string]string{}
	for i, n := range nodes {
		out[n] = fmt.Sprintf("c%d", i%len(palette))
	}
	return out
}

type kv struct{ K, V string }

// strategy describes the hub's strategies in words.
func (s *Server) strategy() []kv {
	c := s.core
	factor := fmt.Sprint(c.Redundancy.Factor)
	if c.Redundancy.Factor == core.ClusterSize {
		factor = "cluster size"
	}
	part := string(c.Partition.Kind)
	switch c.Partition.Kind {
	case core.StaticQuorum:
		part += fmt.Sprintf(" (%d nodes)", c.Partition.QuorumSize)
	case core.DynamicQuorum:
		part += fmt.Sprintf(" (%d%% within %s)", c.Partition.QuorumSize, c.Partition.Window)
	}
	mig := string(c.Migration.Kind)
	if c.Migration.Kind == core.HotSwap {
		mig += fmt.Sprintf(" (retention %s, handover %t)", c.Migration.Retention, c.Migration.Handover)
	}
	return []kv{
		{"hub", string(c.HubID)},
		{"distribution", fmt.Sprintf("%s (%d virtual nodes per node)", c.Distribution.Kind, c.Distribution.VirtualNodes)},
		{"redundancy", fmt.Sprintf("factor %s, %s", factor, c.Redundancy.Mode)},
		{"migration", mig},
		{"synchronization", fmt.Sprintf("%s, anti-entropy every %s", c.Sync.Kind, c.Sync.Interval)},
		{"partition tolerance", part},
	}
}

type memberRow struct {
	adminapi.Member
	Children int
	Color    string
}

type clusterData struct {
	Health   adminapi.HealthResponse
	Strategy []kv
	Members  []memberRow
	Alive    int
	Entries  int
}

func (u *ui) cluster(w http.ResponseWriter, r *http.Request, s *session) {
	h, _ := u.s.probe(r)
	d := clusterData{Health: h, Strategy: u.s.strategy()}
	perNode := map[string]int{}
	entries := u.s.hub.List()
	for _, e := range entries {
		for _, rp := range e.Replicas {
			perNode[string(rp.Node)]++
		}
	}
	d.Entries = len(entries)
	var names []string
	for _, m := range u.s.hub.Members() {
		names = append(names, string(m.Name))
	}
	colors := nodeColors(names)
	for _, m := range u.s.hub.Members() {
		row := memberRow{Member: adminapi.Member{Name: string(m.Name), Status: m.Status.String(), Incarnation: m.Incarnation,
			Addr: m.Addr, Self: m.Name == u.s.hub.Name(), Cordoned: m.Cordoned}, Children: perNode[string(m.Name)], Color: colors[string(m.Name)]}
		if m.Status == core.StatusAlive {
			d.Alive++
		}
		d.Members = append(d.Members, row)
	}
	u.render(w, r, s, http.StatusOK, "cluster", "Cluster", d)
}

type childRow struct {
	ID, Kind, Restart string
	Epoch             uint64
	Replicas          []replicaRow
	Restarts          int
	Metadata          []kv
	Tag               string
}

type replicaRow struct {
	Node     string
	Epoch    uint64
	Active   bool
	Instance uint64
	Status   string
	Color    string
}

type childrenData struct {
	Q, NodeFilter string
	Nodes         []string
	Rows          []childRow
	Total, Shown  int
	Unreachable   []string
}

func (u *ui) children(w http.ResponseWriter, r *http.Request, s *session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	nodeFilter := r.URL.Query().Get("node")
	d := childrenData{Q: q, NodeFilter: nodeFilter}
	for _, m := range u.s.hub.Members() {
		d.Nodes = append(d.Nodes, string(m.Name))
	}
	colors := nodeColors(d.Nodes)
	// Instances and statuses come from every node; a node that does not
	// answer in time is named, its replicas shown without instance.
	inst := map[string]map[string]core.LocalChild{}
	ctx, cancel := context.WithTimeout(r.Context(), globalTimeout)
	global, unreachable, _ := u.s.hub.WhichChildrenGlobal(ctx)
	cancel()
	for _, nc := range global {
		m := map[string]core.LocalChild{}
		for _, c := range nc.Children {
			m[string(c.ID)] = c
		}
		inst[string(nc.Node)] = m
	}
	alive := map[core.NodeID]bool{}
	for _, m := range u.s.hub.Members() {
		alive[m.Name] = m.Status == core.StatusAlive
	}
	for _, n := range unreachable {
		if alive[n] { // a down member's silence is no news
			d.Unreachable = append(d.Unreachable, string(n))
		}
	}
	for _, e := range u.s.hub.List() {
		if !matches(e, q, nodeFilter) {
			continue
		}
		d.Total++
		if len(d.Rows) >= maxChildRows {
			continue
		}
		d.Rows = append(d.Rows, u.childRow(e, inst, colors))
	}
	d.Shown = len(d.Rows)
	u.render(w, r, s, http.StatusOK, "children", "Children", d)
}

func (u *ui) childRow(e *core.Entry, inst map[string]map[string]core.LocalChild, colors map[string]string) childRow {
	row := childRow{ID: string(e.Spec.ID), Kind: e.Spec.Kind, Restart: e.Spec.Restart.String(), Epoch: e.Epoch,
		Restarts: u.moves.restartCount(e.Spec.ID), Tag: e.Metadata["tag"]}
	for _, rp := range e.Replicas {
		rr := replicaRow{Node: string(rp.Node), Epoch: rp.Epoch, Active: rp.Active, Color: colors[string(rp.Node)]}
		if lc, ok := inst[rr.Node][row.ID]; ok {
			rr.Instance, rr.Status = lc.Instance, lc.Status
		}
		row.Replicas = append(row.Replicas, rr)
	}
	for k, v := range e.Metadata {
		row.Metadata = append(row.Metadata, kv{k, v})
	}
	sort.Slice(row.Metadata, func(i, j int) bool { return row.Metadata[i].K < row.Metadata[j].K })
	return row
}

// matches reports whether e's id, kind or metadata contains q and, with
// node set, whether a replica runs on node.
func matches(e *core.Entry, q, node string) bool {
	if node != "" && !slices.ContainsFunc(e.Replicas, func(r core.Replica) bool { return string(r.Node) == node }) {
		return false
	}
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	if strings.Contains(strings.ToLower(string(e.Spec.ID)), q) || strings.Contains(strings.ToLower(e.Spec.Kind), q) {
		return true
	}
	for k, v := range e.Metadata {
		if strings.Contains(strings.ToLower(k+"="+v), q) {
			return true
		}
	}
	return false
}

type childData struct {
	ID         string
	Registered bool
	Row        childRow
	Params     []kv
	Holder     string
	Pinned     []string
	Ring       adminapi.RingResponse
	Position   uint64
	// Point is the virtual node the child's position falls to.
	Point      core.RingPoint
	Strategy   []kv
	Move       Move
	HasMove    bool
	Events     []adminapi.Event
	Targets    []string // nodes a redistribute may name
	LookupErr  string
	RingColors map[string]string
}

func (u *ui) child(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if err := u.s.checkID(id); err != nil {
		u.render(w, r, s, http.StatusBadRequest, "child", "Child", childData{ID: id, LookupErr: err.Error()})
		return
	}
	cid := core.ChildID(id)
	d := childData{ID: id, Strategy: u.s.strategy()}
	ctx, cancel := context.WithTimeout(r.Context(), u.s.core.Timing.RequestTimeout)
	defer cancel()
	rr, err := u.s.ringAnswer(ctx, id)
	if err != nil {
		d.LookupErr = err.Error()
	}
	d.Ring = rr
	d.RingColors = nodeColors(rr.View)
	ring := core.NewRing(u.s.core.Distribution.VirtualNodes, u.s.placeable())
	d.Position = ring.Position(cid)
	pts := ring.Points()
	if len(pts) > 0 {
		i := sort.Search(len(pts), func(i int) bool { return pts[i].Hash >= d.Position })
		d.Point = pts[i%len(pts)]
	}
	if e, err := u.s.hub.Lookup(ctx, cid, core.Local); err == nil {
		d.Registered = true
		d.Row = u.childRow(e, nil, d.RingColors)
		d.Holder = string(e.Holder)
		d.Pinned = strs(e.Pinned)
		for k, v := range e.Spec.Params {
			d.Params = append(d.Params, kv{k, v})
		}
		sort.Slice(d.Params, func(i, j int) bool { return d.Params[i].K < d.Params[j].K })
	}
	d.Move, d.HasMove = u.moves.lastMove(cid)
	evs, _, _ := u.s.events.since(0, 0)
	for i := len(evs) - 1; i >= 0 && len(d.Events) < 20; i-- {
		if slices.Contains(evs[i].IDs, id) {
			d.Events = append(d.Events, evs[i])
		}
	}
	d.Targets = rr.Placement
	u.render(w, r, s, http.StatusOK, "child", "Child "+id, d)
}

// placeable returns the alive members that are not cordoned: the nodes
// the ring is built from.
func (s *Server) placeable() []core.NodeID {
	var out []core.NodeID
	for _, m := range s.hub.Members() {
		if m.Status == core.StatusAlive && !m.Cordoned {
			out = append(out, m.Name)
		}
	}
	return out
}

type ringNode struct {
	Name     string
	Color    string
	VNodes   int
	Share    float64
	Children int
	Cordoned bool
}

type ringDot struct {
	X, Y  float64
	Fill  string
	Title string
}

type ringData struct {
	Nodes  []ringNode
	Dots   []ringDot
	Points int
	VNodes int
}

func (u *ui) ring(w http.ResponseWriter, r *http.Request, s *session) {
	view := u.s.placeable()
	ring := core.NewRing(u.s.core.Distribution.VirtualNodes, view)
	pts := ring.Points()
	d := ringData{Points: len(pts), VNodes: u.s.core.Distribution.VirtualNodes}
	names := strs(view)
	colors := nodeColors(names)
	fills := map[string]string{}
	for i, n := range names {
		fills[n] = palette[i%len(palette)]
	}
	share := map[core.NodeID]float64{}
	for i, p := range pts {
		// A point owns the arc from its predecessor (exclusive) to itself.
		prev := pts[(i+len(pts)-1)%len(pts)].Hash
		share[p.Node] += float64(p.Hash-prev) / math.Pow(2, 64) // wraps around for i == 0
		angle := float64(p.Hash)/math.Pow(2, 64)*2*math.Pi - math.Pi/2
		d.Dots = append(d.Dots, ringDot{X: 150 + 120*math.Cos(angle), Y: 150 + 120*math.Sin(angle), Fill: fills[string(p.Node)],
			Title: fmt.Sprintf("%s at %016x", p.Node, p.Hash)})
	}
	if len(pts) == 1 {
		share[pts[0].Node] = 1
	}
	perNode := map[string]int{}
	for _, e := range u.s.hub.List() {
		for _, rp := range e.Replicas {
			perNode[string(rp.Node)]++
		}
	}
	cordoned := map[string]bool{}
	for _, m := range u.s.hub.Members() {
		cordoned[string(m.Name)] = m.Cordoned
	}
	for _, n := range names {
		d.Nodes = append(d.Nodes, ringNode{Name: n, Color: colors[n], VNodes: d.VNodes, Share: share[core.NodeID(n)],
			Children: perNode[n], Cordoned: cordoned[n]})
	}
	u.render(w, r, s, http.StatusOK, "ring", "Ring", d)
}

type eventsData struct {
	Events []adminapi.Event
	Lost   uint64
}

// eventsPageSize is how many past events the events page shows.
const eventsPageSize = 200

func (u *ui) eventsPage(w http.ResponseWriter, r *http.Request, s *session) {
	_, _, last := u.s.events.since(^uint64(0), 1)
	from := uint64(0)
	if last > eventsPageSize {
		from = last - eventsPageSize
	}
	evs, lost, _ := u.s.events.since(from, 0)
	slices.Reverse(evs)
	u.render(w, r, s, http.StatusOK, "events", "Events", eventsData{Events: evs, Lost: lost})
}
