package transport

import (
	"fmt"
	"sync"

	"github.com/phub/phub/core"
)

// InmemInboxSize is the inbox capacity of an in-memory endpoint; Send to a
// node whose inbox is full returns ErrQueueFull.
const InmemInboxSize = 4096

// InmemNetwork connects in-process endpoints for unit tests of the
// runtime. Delivery is immediate and per sender–receiver pair in order.
// Every message is encoded and decoded with the binary wire codec on the way, so
// the receiver gets a private copy that passed Validate, exactly as over
// TCP. A disconnected node neither sends nor receives: its messages, and
// messages to it, are dropped silently, as a network would.
//
// An endpoint's address is its name. Send reaches a node either through an
// address recorded with SetAddress or, for convenience, directly by its
// name.
type InmemNetwork struct {
	mu        sync.Mutex
	endpoints map[core.NodeID]*inmemEndpoint
	down      map[core.NodeID]bool
	// maxFrameBytes bounds a message's frame as TCP would (0: the
	// default, DefaultMaxFrameBytes).
	maxFrameBytes int
	group         map[core.NodeID]int // nil: no partition (see Partition)
}

// SetMaxFrameBytes sets the frame limit every endpoint's Send enforces
// (default DefaultMaxFrameBytes), so tests can meet ErrFrameTooLarge
// without a TCP connection.
func (n *InmemNetwork) SetMaxFrameBytes(b int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.maxFrameBytes = b
}

// NewInmemNetwork returns an empty network.
func NewInmemNetwork() *InmemNetwork {
	return &InmemNetwork{
		endpoints: make(map[core.NodeID]*inmemEndpoint),
		down:      make(map[core.NodeID]bool),
	}
}

// Endpoint attaches a node named name and returns its Transport. If an
// endpoint of that name is attached already it is closed and replaced (a
// restart). Whether the node is disconnected is a property of the name
// and survives the restart.
func (n *InmemNetwork) Endpoint(name core.NodeID) Transport {
	ep := &inmemEndpoint{
		net:   n,
		name:  name,
		inbox: make(chan Inbound, InmemInboxSize),
		addrs: make(map[core.NodeID]string),
	}
	n.mu.Lock()
	old := n.endpoints[name]
	n.endpoints[name] = ep
	n.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return ep
}

// Disconnect cuts the node named name off the network until Reconnect.
func (n *InmemNetwork) Disconnect(name core.NodeID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.down[name] = true
}

// Reconnect undoes Disconnect. Messages dropped meanwhile stay lost.
func (n *InmemNetwork) Reconnect(name core.NodeID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.down, name)
}

// Partition splits the network into groups: from now on a message is
// delivered only between two nodes of the same group (and dropped
// silently otherwise, as a network would). Nodes named in no group form
// one more group together. A later Partition replaces this one; Heal
// removes it. Partition is independent of Disconnect.
func (n *InmemNetwork) Partition(groups ...[]core.NodeID) {
	g := make(map[core.NodeID]int)
	for i, names := range groups {
		for _, name := range names {
			g[name] = i + 1
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.group = g
}

// Heal removes the partition set by Partition. Messages dropped
// meanwhile stay lost.
func (n *InmemNetwork) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.group = nil
}

// sameGroup reports whether a and b may talk under the current
// partition; n.mu is held.
func (n *InmemNetwork) sameGroup(a, b core.NodeID) bool {
	return n.group == nil || n.group[a] == n.group[b]
}

// deliver hands a copy of m from one endpoint to the endpoint at addr.
// explicit says addr came from SetAddress, so a missing endpoint is a
// node that is down rather than an unknown peer.
func (n *InmemNetwork) deliver(from core.NodeID, addr core.NodeID, explicit bool, payload []byte) error {
	m, err := DecodeMessageBinary(payload, defaultMaxBatch)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	dst := n.endpoints[addr]
	if dst == nil {
		if explicit {
			return nil // nobody listens there: lost, as over TCP
		}
		return fmt.Errorf("%w: %q", ErrUnknownPeer, addr)
	}
	if n.down[from] || n.down[addr] || !n.sameGroup(from, addr) {
		return nil
	}
	// dst.inbox is closed only under n.mu, so this send cannot panic.
	select {
	case dst.inbox <- Inbound{From: from, Msg: m}:
		return nil
	default:
		return ErrQueueFull
	}
}

// inmemEndpoint is one node's Transport on an InmemNetwork.
type inmemEndpoint struct {
	net   *InmemNetwork
	name  core.NodeID
	inbox chan Inbound

	mu     sync.Mutex
	closed bool
	addrs  map[core.NodeID]string
}

// Send validates m, copies it through the codec and delivers it. Errors:
// ErrClosed, ErrUnknownPeer, ErrQueueFull (receiver's inbox full),
// ErrInvalidMessage, ErrFrameTooLarge (its frame would exceed the
// network's limit, as over TCP).
func (e *inmemEndpoint) Send(to core.NodeID, m core.Message) error {
	if err := m.Validate(defaultMaxBatch); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidMessage, err)
	}
	if m.From != e.name {
		return fmt.Errorf("%w: from %q, this node is %q", ErrInvalidMessage, m.From, e.name)
	}
	e.mu.Lock()
	closed := e.closed
	addr, explicit := e.addrs[to]
	e.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if !explicit {
		addr = string(to)
	}
	payload, err := EncodeMessageBinary(&m)
	if err != nil {
		return err
	}
	e.net.mu.Lock()
	limit := maxFrame(e.net.maxFrameBytes)
	e.net.mu.Unlock()
	if n := frameHeaderBytes + len(payload); n > limit {
		return fmt.Errorf("%w: %s frame of %d bytes, limit %d", ErrFrameTooLarge, FrameMessageBin, n, limit)
	}
	return e.net.deliver(e.name, core.NodeID(addr), explicit, payload)
}

// Inbox returns the endpoint's delivered messages; it is closed by Close.
func (e *inmemEndpoint) Inbox() <-chan Inbound { return e.inbox }

// AdvertiseAddr returns the endpoint's address, its name: phub.New gives
// it to core when Core.AdvertiseAddr is empty, as it does TCP's.
func (e *inmemEndpoint) AdvertiseAddr() string { return string(e.name) }

// SetAddress records that name is reached at the endpoint named addr.
func (e *inmemEndpoint) SetAddress(name core.NodeID, addr string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if addr == "" {
		delete(e.addrs, name)
		return
	}
	e.addrs[name] = addr
}

// Close detaches the endpoint and closes its inbox. Calling it again
// returns nil.
func (e *inmemEndpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.net.mu.Lock()
	defer e.net.mu.Unlock()
	if e.net.endpoints[e.name] == e {
		delete(e.net.endpoints, e.name)
	}
	close(e.inbox)
	return nil
}
