package phub

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// ErrNameInUse means another live node of the cluster already uses this
// node's name: the cluster refused it at the handshake (see Hub.Err).
var ErrNameInUse = transport.ErrNameInUse

// nameConflictGrace returns how long a node may be refused for its name,
// while it has no alive peer, before it gives up. A node restarted at a
// new address is refused until its old incarnation is declared down
// (DownAfter after it was last heard), so the grace leaves room for that;
// an impostor is refused for good.
func nameConflictGrace(t core.Timing) time.Duration { return 2*t.DownAfter + 2*time.Second }

// identityState tracks refusals of this node's name by its peers.
type identityState struct {
	refusing atomic.Bool // a refusal arrived since the conflict was last cleared

	mu    sync.Mutex
	first time.Time // first refusal of the current conflict
	last  time.Time
	err   error

	stopped chan struct{} // closed when the hub stopped by itself
	stopErr error         // why; written before stopped is closed
}

// setIdentity gives the transport this node's incarnation and admission
// check, if it checks identities in its handshake.
func (h *Hub) setIdentity() {
	if ic, ok := h.tr.(transport.IdentityChecker); ok {
		ic.SetIdentity(transport.Identity{Incarnation: h.cfg.Core.Incarnation, Admit: h.admit, Refused: h.noteRefusal})
	}
}

// admit decides whether an authenticated dialer may use its name: a name
// that belongs to a member alive in this node's view (heard within
// DownAfter) under another incarnation is refused, unless the dialer is a
// newer incarnation at the member's own address (a restart in place: the
// old process cannot still hold that address). This node's own name is
// refused unless it is this very incarnation. Called from transport
// goroutines; it reads the published member snapshot only.
func (h *Hub) admit(p transport.PeerHello) error {
	if p.Name == h.name {
		if p.Incarnation == h.cfg.Core.Incarnation {
			return nil // this node dialing itself (a seed list naming its own address)
		}
		return fmt.Errorf("%q is the name of this node (incarnation %d), which is alive", h.name, h.cfg.Core.Incarnation)
	}
	ms := h.members.Load()
	if ms == nil {
		return nil
	}
	for _, m := range *ms {
		if m.Name != p.Name || m.Status != core.StatusAlive || m.Incarnation == p.Incarnation {
			continue
		}
		if p.Incarnation > m.Incarnation && p.Advertise != "" && (p.Advertise == m.Addr || p.Advertise == p.KnownAddr) {
			return nil
		}
		return fmt.Errorf("%q is alive at %s with incarnation %d (heard within down_after %s); "+
			"a restart is admitted at once at the same address, elsewhere once the old incarnation is declared down",
			m.Name, m.Addr, m.Incarnation, h.cfg.Core.Timing.DownAfter)
	}
	return nil
}

// noteRefusal records that a peer refused this node's name (transport
// callback).
func (h *Hub) noteRefusal(err error) {
	now := h.clock.Now()
	h.identity.mu.Lock()
	fresh := !h.identity.refusing.Load()
	if fresh {
		h.identity.first = now
	}
	h.identity.last, h.identity.err = now, err
	h.identity.refusing.Store(true)
	h.identity.mu.Unlock()
	if fresh {
		h.log.Warn("the cluster refuses this node's name; giving up if it goes on", "after", nameConflictGrace(h.cfg.Core.Timing).String(), "err", err)
	}
}

// nameConflict returns the error to stop with when this node has been
// refused for its name for longer than nameConflictGrace while no peer is
// alive in its view. A conflict clears when a peer becomes alive (the old
// incarnation was declared down and this one admitted) or refusals stop
// for DownAfter. Runs on the loop.
func (h *Hub) nameConflict() error {
	if !h.identity.refusing.Load() {
		return nil
	}
	for _, m := range h.node.Members() {
		if m.Name != h.name && m.Status == core.StatusAlive {
			h.identity.refusing.Store(false)
			return nil
		}
	}
	now := h.clock.Now()
	h.identity.mu.Lock()
	defer h.identity.mu.Unlock()
	t := h.cfg.Core.Timing
	if now.Sub(h.identity.last) > t.DownAfter {
		h.identity.refusing.Store(false)
		return nil
	}
	if now.Sub(h.identity.first) <= nameConflictGrace(t) {
		return nil
	}
	return fmt.Errorf("phub: node %q: refused by the cluster for %s: %w",
		h.name, now.Sub(h.identity.first).Round(time.Millisecond), h.identity.err)
}

// Stopped returns a channel closed when the hub stopped by itself rather
// than through Close: today only because the cluster keeps refusing its
// name (another live node uses it). Err then says why. Call Close
// afterwards to stop the children and the transport.
func (h *Hub) Stopped() <-chan struct{} { return h.identity.stopped }

// Err returns why the hub stopped by itself (an error wrapping
// ErrNameInUse), or nil while it runs or after a plain Close.
func (h *Hub) Err() error {
	select {
	case <-h.identity.stopped:
		return h.identity.stopErr
	default:
		return nil
	}
}

// stopSelf records err and closes Stopped; the loop then exits.
func (h *Hub) stopSelf(err error) {
	h.log.Error("stopping: this node's name is in use in the cluster", "err", err)
	h.identity.stopErr = err
	close(h.identity.stopped)
}
