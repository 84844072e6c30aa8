package transport

import (
	"errors"

	"github.com/phub/phub/core"
)

// Inbound is one message received from a peer. From is the authenticated
// name of the sending node; it always equals Msg.From.
type Inbound struct {
	From core.NodeID
	Msg  core.Message
}

// Transport moves messages between nodes. Implementations are safe for
// concurrent use.
type Transport interface {
	// Send queues m for the peer named to and never blocks; errors:
	// ErrQueueFull, ErrClosed, ErrUnknownPeer (and ErrInvalidMessage for a
	// message no peer would accept). A nil error means queued, not
	// delivered.
	Send(to core.NodeID, m core.Message) error
	// Inbox delivers authenticated, decoded, validated messages. It is
	// closed after Close has stopped every receiving goroutine.
	Inbox() <-chan Inbound
	// SetAddress records where the peer named name listens. A seed may be
	// named by its own address.
	SetAddress(name core.NodeID, addr string)
	// Close stops all goroutines, closes all connections and the inbox.
	// Calling it again returns nil.
	Close() error
}

// Errors returned by Send and by the codec. Test with errors.Is.
var (
	// ErrQueueFull means the bounded send queue of the peer is full (the
	// peer is slow or unreachable); the message was dropped.
	ErrQueueFull = errors.New("transport: send queue full")
	// ErrClosed means the transport was closed.
	ErrClosed = errors.New("transport: closed")
	// ErrUnknownPeer means no address is known for the peer.
	ErrUnknownPeer = errors.New("transport: unknown peer")
)
