package transport

import (
	"net"
	"time"

	"github.com/phub/phub/core"
)

// PeerResetter is implemented by transports whose connections can outlive
// a peer's silence (TCP). The runtime calls ResetPeer when core declares
// a peer down, so a connection frozen by a network cut is not trusted to
// recover by itself after the heal.
type PeerResetter interface {
	// ResetPeer closes every connection to and from the peer named name;
	// messages sent afterwards go over a fresh connection, dialed at once.
	ResetPeer(name core.NodeID)
}

var _ PeerResetter = (*TCP)(nil)

// tuneConn sets TCP keepalive and TCP_USER_TIMEOUT from
// TCPConfig.DeadPeerAfter on a new connection, so the kernel gives up on
// a peer that stopped acknowledging within about that time. Errors are
// logged at Debug: the connection still works, only detection is slower.
func (t *TCP) tuneConn(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	d := t.cfg.DeadPeerAfter
	if err := tc.SetKeepAliveConfig(keepAliveFor(d)); err != nil {
		t.log.Debug("transport: set keepalive", "err", err)
	}
	if err := setUserTimeout(tc, d); err != nil {
		t.log.Debug("transport: set TCP_USER_TIMEOUT", "err", err)
	}
}

// keepAliveFor returns keepalive settings that declare an idle connection
// dead after about d without an answer.
func keepAliveFor(d time.Duration) net.KeepAliveConfig {
	probe := max(time.Second, d/5)
	return net.KeepAliveConfig{Enable: true, Idle: probe, Interval: probe, Count: 5}
}

// ResetPeer closes the outbound connection to name and every inbound one
// from it, and cuts a pending redial backoff short. Closing the inbound
// side also tells the peer (when its direction still works) that its
// connection is gone, so it redials too.
func (t *TCP) ResetPeer(name core.NodeID) {
	t.mu.Lock()
	p := t.peers[name]
	in := make([]net.Conn, 0, len(t.inbound[name]))
	for c := range t.inbound[name] {
		in = append(in, c)
	}
	t.mu.Unlock()
	if p != nil {
		p.reset()
	}
	for _, c := range in {
		c.Close()
	}
	t.log.Debug("transport: peer reset", "peer", string(name), "inbound", len(in))
}

// addInbound and removeInbound keep the authenticated inbound connections
// per peer, for ResetPeer.
func (t *TCP) addInbound(name core.NodeID, c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inbound[name] == nil {
		t.inbound[name] = make(map[net.Conn]struct{})
	}
	t.inbound[name][c] = struct{}{}
}

func (t *TCP) removeInbound(name core.NodeID, c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.inbound[name], c)
	if len(t.inbound[name]) == 0 {
		delete(t.inbound, name)
	}
}
