package admin

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/phub/phub/core"
)

// moveWindow is how long after a membership or placement change (a node
// up, down, left, cordoned, a redistribution) a child's move is
// attributed to it.
const moveWindow = time.Minute

// maxTrackedChildren bounds the children whose placement history a node
// keeps for the dashboard; children beyond it show no last migration.
const maxTrackedChildren = 200_000

// Move is a child's last change of node, as this node's registry saw it.
type Move struct {
	From, To string
	At       time.Time
	// Reason is the membership or placement change it followed, or says
	// that none was seen.
	Reason string
}

// moves follows registry inserts and removes (every node sees them for
// every child) and records, per child, the last time it came up on a
// node other than the one it ran on before, with the change that caused
// it. Its memory is bounded by maxTrackedChildren.
type moves struct {
	mu       sync.Mutex
	where    map[core.ChildID][]core.NodeID // nodes running the child now
	placed   map[core.ChildID]time.Time     // when it last came up on a node
	gone     map[core.ChildID]goneFrom      // the last node it left
	last     map[core.ChildID]Move
	restarts map[core.ChildID]int // restarts seen since this node started
	// causes are the last membership and placement changes; pending the
	// moves no cause explained yet (a peer may take a child over before
	// this node notices the failure that made it do so).
	causes  []cause
	pending []pendingMove
}

// cause is a membership or placement change: node went dir (up, down,
// left, cordon, uncordon) or children were redistributed to it.
type cause struct {
	node core.NodeID
	dir  string
	at   time.Time
}

type pendingMove struct {
	id core.ChildID
	at time.Time
	// since is when the child came up on the node it left: an earlier
	// change cannot have moved it.
	since time.Time
}

// maxCauses and maxPending bound the change history and the moves
// awaiting an explanation.
const (
	maxCauses  = 32
	maxPending = 10_000
)

// explains reports whether c can have moved a child from one node to
// another: a node that went away moves children off it, a node that came
// (back) moves children onto it.
func (c cause) explains(from, to core.NodeID) bool {
	switch c.dir {
	case "down", "left", "cordon":
		return c.node == from
	case "up", "uncordon", "redistribute":
		return c.node == to
	}
	return false
}

func (c cause) String() string {
	if c.dir == "redistribute" {
		return fmt.Sprintf("redistributed to %s", c.node)
	}
	return fmt.Sprintf("%s %s", c.node, map[string]string{"up": "came up", "down": "went down",
		"left": "left", "cordon": "was cordoned", "uncordon": "was uncordoned"}[c.dir])
}

// unexplained is the reason of a move no change seen by this node explains.
const unexplained = "no membership or placement change seen by this node explains it"

type goneFrom struct {
	node core.NodeID
	at   time.Time
}

func newMoves() *moves {
	return &moves{where: map[core.ChildID][]core.NodeID{}, placed: map[core.ChildID]time.Time{}, gone: map[core.ChildID]goneFrom{},
		last: map[core.ChildID]Move{}, restarts: map[core.ChildID]int{}}
}

func (m *moves) hook(hk core.Hook, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch hk.Kind {
	case core.HookPreNodesRedistribution:
		c := cause{node: hk.Node, dir: hk.Detail, at: now}
		if len(m.causes) == maxCauses {
			m.causes = m.causes[1:]
		}
		m.causes = append(m.causes, c)
		// Moves this node saw before it noticed their cause.
		keep := m.pending[:0]
		for _, p := range m.pending {
			mv := m.last[p.id]
			switch {
			case now.Sub(p.at) > moveWindow || mv.At != p.at:
			case !c.at.Before(p.since) && c.explains(core.NodeID(mv.From), core.NodeID(mv.To)):
				mv.Reason = c.String()
				m.last[p.id] = mv
			default:
				keep = append(keep, p)
			}
		}
		m.pending = keep
	case core.HookRegistryRemove:
		for _, id := range hk.IDs {
			if ns, ok := m.where[id]; ok {
				m.where[id] = slices.DeleteFunc(ns, func(n core.NodeID) bool { return n == hk.Node })
				if len(m.where[id]) == 0 {
					delete(m.where, id)
					delete(m.placed, id)
				}
			}
			if len(m.gone) >= maxTrackedChildren {
				m.forgetOldRemovals(now)
			}
			if len(m.gone) < maxTrackedChildren {
				m.gone[id] = goneFrom{node: hk.Node, at: now}
			}
		}
	case core.HookRegistryInsert:
		for _, id := range hk.IDs {
			ns, tracked := m.where[id]
			if !tracked && len(m.where) >= maxTrackedChildren {
				continue
			}
			if slices.Contains(ns, hk.Node) {
				continue
			}
			from := core.NodeID("")
			if g, ok := m.gone[id]; ok && g.node != hk.Node {
				from = g.node
			} else if len(ns) > 0 {
				from = ns[0] // hot swap: the new instance starts first
			}
			if from != "" {
				mv := Move{From: string(from), To: string(hk.Node), At: now, Reason: unexplained}
				since := m.placed[id]
				for i := len(m.causes) - 1; i >= 0; i-- {
					c := m.causes[i]
					if now.Sub(c.at) <= moveWindow && !c.at.Before(since) && c.explains(from, hk.Node) {
						mv.Reason = c.String()
						break
					}
				}
				if len(m.last) < maxTrackedChildren || m.last[id] != (Move{}) {
					m.last[id] = mv
					if mv.Reason == unexplained && len(m.pending) < maxPending {
						m.pending = append(m.pending, pendingMove{id: id, at: now, since: since})
					}
				}
			}
			delete(m.gone, id)
			m.where[id] = append(ns, hk.Node)
			m.placed[id] = now
		}
	case core.HookChildPidUpdate: // a new instance: a restart, on this node or another
		for _, id := range hk.IDs {
			if _, ok := m.restarts[id]; ok || len(m.restarts) < maxTrackedChildren {
				m.restarts[id]++
			}
		}
	}
}

// forgetOldRemovals drops removals older than moveWindow (children
// stopped for good) when the table is full.
func (m *moves) forgetOldRemovals(now time.Time) {
	for id, g := range m.gone {
		if now.Sub(g.at) > moveWindow {
			delete(m.gone, id)
		}
	}
}

// lastMove returns id's last move, if this node saw one.
func (m *moves) lastMove(id core.ChildID) (Move, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mv, ok := m.last[id]
	return mv, ok
}

// restartCount returns the instance changes of id this node saw.
func (m *moves) restartCount(id core.ChildID) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.restarts[id]
}
