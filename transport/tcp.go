package transport

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phub/phub/core"
)

// TCP is the production Transport: framed, authenticated, optionally TLS,
// reconnecting.
//
// Connections are one-way. To send to a peer, a TCP dials it and keeps
// that outbound connection for its messages (and pings); connections the
// peer dials to us only carry the peer's messages to us. Two nodes that
// talk both ways therefore hold two connections. This keeps each
// connection's writer and reader independent, avoids the "who keeps the
// connection when both dial at once" race, and lets every connection be
// authenticated in the direction its data flows.
//
// Each peer has a bounded queue (TCPConfig.SendQueue messages,
// SendQueueBytes bytes) drained by one goroutine, which dials lazily when
// there is something to send and redials with exponential backoff and
// jitter while the peer is unreachable. A message for a peer whose
// connection is idle skips the queue: Send writes it at once, without
// ever blocking (direct.go). Messages are encoded in Send, so
// the caller may reuse m afterwards: in the binary encoding
// (FrameMessageBin), or as JSON (FrameMessage) with TCPConfig.WireJSON.
// Both are always accepted.
type TCP struct {
	cfg       TCPConfig
	log       *slog.Logger
	ln        net.Listener
	advertise string
	params    handshakeParams
	identity  atomic.Pointer[Identity]
	// childIDs is the decoder's source of known child ids (childids.go).
	childIDs atomic.Pointer[ChildIDSource]
	inbox    chan Inbound
	ctx      context.Context // canceled by Close
	cancel   context.CancelFunc
	slots    chan struct{} // inbound connection semaphore
	hsSlots  chan struct{} // semaphore of inbound connections in the handshake
	rejects  *logLimiter   // rate-limits rejection warnings per source
	// handshakeFailures counts inbound handshakes that failed (tests).
	handshakeFailures atomic.Uint64
	wg                sync.WaitGroup

	mu     sync.Mutex
	closed bool
	addrs  map[core.NodeID]string
	// learned marks addresses proven by a handshake rather than set with
	// SetAddress; a newer handshake replaces them (a restarted peer may
	// listen elsewhere).
	learned map[core.NodeID]bool
	peers   map[core.NodeID]*peer
	conns   map[net.Conn]struct{} // every open connection, for Close
	// inbound holds the authenticated inbound connections per peer.
	inbound map[core.NodeID]map[net.Conn]struct{}
}

var _ Transport = (*TCP)(nil)

// NewTCP validates cfg, listens on cfg.ListenAddr and starts accepting
// connections. It returns an error naming the bad field or the listen
// failure.
func NewTCP(cfg TCPConfig) (*TCP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("transport: listen %s: %w", cfg.ListenAddr, err)
	}
	t := &TCP{
		cfg:     cfg,
		log:     cfg.Logger.With("node", string(cfg.Name)),
		ln:      ln,
		inbox:   make(chan Inbound, cfg.InboxSize),
		slots:   make(chan struct{}, cfg.MaxInboundConns),
		hsSlots: make(chan struct{}, cfg.MaxHandshakes),
		rejects: newLogLimiter(cfg.RejectLogInterval),
		addrs:   make(map[core.NodeID]string),
		learned: make(map[core.NodeID]bool),
		peers:   make(map[core.NodeID]*peer),
		conns:   make(map[net.Conn]struct{}),
		inbound: make(map[core.NodeID]map[net.Conn]struct{}),
	}
	t.advertise = cfg.AdvertiseAddr
	if t.advertise == "" {
		if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsUnspecified() {
			t.advertise = a.String()
		}
	}
	t.params = handshakeParams{Hub: cfg.HubID, Name: cfg.Name, Advertise: t.advertise}
	if !cfg.InsecureNoAuth {
		t.params.Secret = append([]byte(nil), cfg.Secret...)
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.wg.Add(1)
	go t.acceptLoop()
	return t, nil
}

// Addr returns the address the transport listens on (the real port when
// ListenAddr used port 0).
func (t *TCP) Addr() string { return t.ln.Addr().String() }

// AdvertiseAddr returns the address sent to peers in the handshake; it may
// be empty (see TCPConfig.AdvertiseAddr).
func (t *TCP) AdvertiseAddr() string { return t.advertise }

// Inbox delivers authenticated, decoded, validated messages. It is closed
// by Close.
func (t *TCP) Inbox() <-chan Inbound { return t.inbox }

// SetAddress records where the peer named name listens; it replaces a
// previous or learned address and is used from the next dial on. A seed
// may be named by its own address: SetAddress("10.0.0.1:7001",
// "10.0.0.1:7001") makes Send to that name reach whichever node listens
// there. An empty addr forgets the address.
func (t *TCP) SetAddress(name core.NodeID, addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.learned, name)
	if addr == "" {
		delete(t.addrs, name)
		return
	}
	t.addrs[name] = addr
}

// learn records an address proven by a handshake, unless one was set
// with SetAddress: an explicit address always wins, a learned one is
// replaced by the latest handshake (a restarted peer may listen on a new
// port).
func (t *TCP) learn(name core.NodeID, addr string) {
	if name == "" || addr == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.addrs[name]; !ok || t.learned[name] {
		t.addrs[name] = addr
		t.learned[name] = true
	}
}

// resolve returns the address of name and the node name expected there:
// empty for a seed named by its own address, whose real name is learned.
func (t *TCP) resolve(name core.NodeID) (addr string, expect core.NodeID, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	addr, ok = t.addrs[name]
	if addr == string(name) {
		return addr, "", ok
	}
	return addr, name, ok
}

// MaxFrameBytes returns the frame limit this transport sends and accepts
// (TCPConfig.MaxFrameBytes after defaults); phub.New refuses a node whose
// core limits need more.
func (t *TCP) MaxFrameBytes() int { return t.cfg.MaxFrameBytes }

// Send validates and encodes m and writes it to the peer named to if its
// connection is idle, else queues it. It never blocks. Errors: ErrClosed, ErrUnknownPeer (no address known),
// ErrQueueFull (the peer's bounded queue is full; the message is dropped),
// ErrInvalidMessage (m fails Validate or is not from this node),
// ErrFrameTooLarge, ErrBadPayload (a string the binary encoding cannot
// carry, see MaxBinaryStringBytes).
func (t *TCP) Send(to core.NodeID, m core.Message) error {
	if err := m.Validate(t.cfg.MaxBatch); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidMessage, err)
	}
	if m.From != t.cfg.Name {
		return fmt.Errorf("%w: from %q, this node is %q", ErrInvalidMessage, m.From, t.cfg.Name)
	}
	p, err := t.peerFor(to)
	if err != nil {
		return err
	}
	frame, err := t.encodeFrame(&m)
	if err != nil {
		return err
	}
	return p.send(frame) // direct.go
}

// peerFor returns the sending side of the peer named to, started on
// first use; ErrClosed after Close, ErrUnknownPeer without an address.
func (t *TCP) peerFor(to core.NodeID) (*peer, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, ErrClosed
	}
	p := t.peers[to]
	if p == nil {
		if _, ok := t.addrs[to]; !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnknownPeer, to)
		}
		p = newPeer(t, to)
		t.peers[to] = p
		t.wg.Add(1)
		go p.run()
	}
	return p, nil
}

// encodeFrame returns m's frame in the configured encoding.
func (t *TCP) encodeFrame(m *core.Message) ([]byte, error) {
	if t.cfg.WireJSON {
		return AppendMessageFrameJSON(nil, m, t.cfg.MaxFrameBytes)
	}
	return AppendMessageFrame(nil, m, t.cfg.MaxFrameBytes)
}

// track registers an open connection so Close can close it. It returns
// false after Close; the caller must then close c itself.
func (t *TCP) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

// untrack closes c and forgets it.
func (t *TCP) untrack(c net.Conn) {
	c.Close()
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
}

// closeFlushTimeout bounds how long Close waits for queued messages to
// reach connected peers.
const closeFlushTimeout = time.Second

// Close stops accepting new messages, gives messages already queued for a
// connected peer up to closeFlushTimeout to be written (a node's last
// words, such as a graceful leave, reach its peers), then closes every
// connection, waits for every goroutine of the transport to return and
// closes the inbox. Messages still queued then are dropped. Calling Close
// again returns nil.
func (t *TCP) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	peers := make([]*peer, 0, len(t.peers))
	for _, p := range t.peers {
		peers = append(peers, p)
	}
	t.mu.Unlock()
	flush(peers, time.Now().Add(closeFlushTimeout))
	t.mu.Lock()
	conns := make([]net.Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	t.cancel()
	err := t.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	t.wg.Wait()
	close(t.inbox)
	if err != nil {
		return fmt.Errorf("transport: close listener: %w", err)
	}
	return nil
}

// flush waits until no connected peer has unsent frames, or deadline.
// Peers without a connection are not waited for: their frames would wait
// for a dial that may never succeed.
func flush(peers []*peer, deadline time.Time) {
	for time.Now().Before(deadline) {
		busy := false
		for _, p := range peers {
			if p.connected.Load() && p.unsent.Load() > 0 {
				busy = true
				break
			}
		}
		if !busy {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}
