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
	gone     map[core.ChildID]goneFrom      // the last node it left
	last     map[core.ChildID]Move
	restarts map[core.ChildID]int // restarts seen since this node started
	cause    string
	causeAt  time.Time
}

type goneFrom struct {
	node core.NodeID
	at   time.Time
}

func newMoves() *moves {
	return &moves{where: map[core.ChildID][]core.NodeID{}, gone: map[core.ChildID]goneFrom{},
		last: map[core.ChildID]Move{}, restarts: map[core.ChildID]int{}}
}

func (m *moves) hook(hk core.Hook, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch hk.Kind {
	case core.HookPreNodesRedistribution:
		if hk.Detail == "redistribute" {
			m.cause = fmt.Sprintf("redistributed to %s", hk.Node)
		} else {
			m.cause = fmt.Sprintf("%s %s", hk.Node, map[string]string{"up": "came up", "down": "went down",
				"left": "left", "cordon": "was cordoned", "uncordon": "was uncordoned"}[hk.Detail])
		}
		m.causeAt = now
	case core.HookRegistryRemove:
		for _, id := range hk.IDs {
			if ns, ok := m.where[id]; ok {
				m.where[id] = slices.DeleteFunc(ns, func(n core.NodeID) bool { return n == hk.Node })
				if len(m.where[id]) == 0 {
					delete(m.where, id)
				}
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
				mv := Move{From: string(from), To: string(hk.Node), At: now,
					Reason: "no membership or placement change seen by this node within " + moveWindow.String()}
				if !m.causeAt.IsZero() && now.Sub(m.causeAt) <= moveWindow {
					mv.Reason = m.cause
				}
				if len(m.last) < maxTrackedChildren || m.last[id] != (Move{}) {
					m.last[id] = mv
				}
			}
			delete(m.gone, id)
			m.where[id] = append(ns, hk.Node)
		}
	case core.HookChildPidUpdate: // a new instance: a restart, on this node or another
		for _, id := range hk.IDs {
			if _, ok := m.restarts[id]; ok || len(m.restarts) < maxTrackedChildren {
				m.restarts[id]++
			}
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
