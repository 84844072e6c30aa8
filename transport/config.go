package transport

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	"github.com/phub/phub/core"
)

// TCPConfig configures a TCP transport. Zero fields take the defaults
// documented on each field; Name, HubID and Secret (or InsecureNoAuth) have
// no default.
type TCPConfig struct {
	// Name is this node's name, sent in the handshake.
	Name core.NodeID
	// ListenAddr is the host:port to listen on (default "127.0.0.1:0";
	// port 0 picks a free port, see TCP.Addr).
	ListenAddr string
	// AdvertiseAddr is where peers reach this node. It is sent in the
	// handshake so an acceptor can answer a dialer it never heard of.
	// Default: the bound address when it has a specific host, else empty.
	AdvertiseAddr string
	// HubID names the hub; the handshake fails across hubs.
	HubID string
	// Secret is the cluster secret keying the handshake HMAC; at least
	// MinSecretBytes long. Required unless InsecureNoAuth.
	Secret []byte
	// InsecureNoAuth runs the handshake with an empty key: any client that
	// also sets it is accepted. For local experiments only.
	InsecureNoAuth bool
	// TLS, if set, wraps every connection in TLS. The same config serves
	// both roles: Certificates (server and client certificate), RootCAs
	// (to verify servers), ClientCAs and ClientAuth (mTLS). When dialing,
	// an empty ServerName is set to the host of the peer's address.
	TLS *tls.Config
	// Logger receives one line per rejected connection (Warn) and
	// drops/reconnects (Debug). Default: slog.Default().
	Logger *slog.Logger
	// MaxFrameBytes bounds a frame, header included (default
	// DefaultMaxFrameBytes, derived from core's default limits). A node
	// whose core.Limits differ should set FrameBytesFor(limits).
	MaxFrameBytes int
	// MaxBatch is passed to core.Message.Validate (default
	// core.DefaultLimits().MaxBatch; set the node's Limits.MaxBatch).
	MaxBatch int
	// SendQueue bounds the messages queued per peer (default 1024).
	SendQueue int
	// SendQueueBytes bounds the encoded bytes queued per peer (default
	// 64 MiB).
	SendQueueBytes int
	// InboxSize is the capacity of the Inbox channel (default 1024). When
	// it is full, readers stop reading and TCP flow control pushes back.
	InboxSize int
	// MaxInboundConns bounds accepted connections, including ones still in
	// the handshake (default 1024).
	MaxInboundConns int
	// MaxHandshakes bounds accepted connections that have not completed
	// the handshake yet (default 64); beyond it a new connection is closed
	// at once, so idle unauthenticated clients cannot hold every slot for
	// HandshakeTimeout each.
	MaxHandshakes int
	// RejectLogInterval: rejected connections (failed handshakes, protocol
	// errors, connection limits) are logged at most once per source host
	// per interval, with the number of suppressed lines (default 10s).
	RejectLogInterval time.Duration
	// DialTimeout bounds a TCP connect (default 2s: a connect lost in a
	// network cut is abandoned and retried soon after the heal instead of
	// waiting for the kernel's SYN backoff).
	DialTimeout time.Duration
	// HandshakeTimeout bounds the TLS and phub handshakes (default 5s).
	HandshakeTimeout time.Duration
	// WriteTimeout bounds writing one batch of frames (default 10s).
	WriteTimeout time.Duration
	// PingInterval is how often a dialer pings (default DeadPeerAfter/2,
	// at most 5s). A ping unanswered for DeadPeerAfter closes the
	// connection, which is then redialled: a dead connection is noticed
	// within PingInterval + DeadPeerAfter even while writes into it still
	// succeed.
	PingInterval time.Duration
	// IdleTimeout closes a connection that received nothing for this long
	// (default 3*PingInterval). It must exceed PingInterval.
	IdleTimeout time.Duration
	// BackoffMin and BackoffMax bound the delay between the starts of
	// failed dials; the delay doubles per failure and is jittered to
	// [d/2, d] (defaults 100ms and 1s, so a healed peer is redialled
	// within about a second).
	BackoffMin time.Duration
	BackoffMax time.Duration
	// DeadPeerAfter is how long a connection may go without the peer
	// acknowledging data or keepalive probes before the kernel closes it
	// (TCP_USER_TIMEOUT on Linux, plus TCP keepalive), and how long a
	// dialer waits for the pong of a ping before it closes the
	// connection and redials. Set it to core's
	// Timing.DownAfter (default 5s, core's default). Together with
	// ResetPeer, which the runtime calls when core declares the peer
	// down, it keeps a connection frozen by a network cut from delaying
	// the heal by the kernel's retransmission backoff.
	DeadPeerAfter time.Duration
	// WireJSON sends messages as JSON FrameMessage frames instead of the
	// binary FrameMessageBin encoding, for a rolling upgrade from peers
	// that predate FrameMessageBin. Received messages are accepted in
	// either encoding regardless.
	WireJSON bool
}

// MinSecretBytes is the shortest accepted cluster secret.
const MinSecretBytes = 16

// withDefaults returns c with zero fields replaced by defaults.
func (c TCPConfig) withDefaults() TCPConfig {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.ListenAddr == "" {
		c.ListenAddr = "127.0.0.1:0"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	def(&c.MaxFrameBytes, DefaultMaxFrameBytes)
	def(&c.MaxBatch, defaultMaxBatch)
	def(&c.SendQueue, 1024)
	def(&c.SendQueueBytes, 64<<20)
	def(&c.InboxSize, 1024)
	def(&c.MaxInboundConns, 1024)
	def(&c.MaxHandshakes, 64)
	defD(&c.RejectLogInterval, 10*time.Second)
	defD(&c.DialTimeout, 2*time.Second)
	defD(&c.HandshakeTimeout, 5*time.Second)
	defD(&c.WriteTimeout, 10*time.Second)
	defD(&c.DeadPeerAfter, 5*time.Second)
	defD(&c.PingInterval, min(5*time.Second, c.DeadPeerAfter/2))
	defD(&c.IdleTimeout, 3*c.PingInterval)
	defD(&c.BackoffMin, 100*time.Millisecond)
	defD(&c.BackoffMax, time.Second)
	return c
}

// Validate names the first bad field of c (after defaults are applied).
func (c TCPConfig) Validate() error {
	c = c.withDefaults()
	bad := func(field, why string) error {
		return fmt.Errorf("transport: TCPConfig.%s: %s", field, why)
	}
	switch {
	case c.Name == "":
		return bad("Name", "required")
	case len(c.Name) > maxNameBytes:
		return bad("Name", fmt.Sprintf("longer than %d bytes", maxNameBytes))
	case len(c.HubID) > maxNameBytes:
		return bad("HubID", fmt.Sprintf("longer than %d bytes", maxNameBytes))
	case len(c.AdvertiseAddr) > maxNameBytes:
		return bad("AdvertiseAddr", fmt.Sprintf("longer than %d bytes", maxNameBytes))
	case !c.InsecureNoAuth && len(c.Secret) < MinSecretBytes:
		return bad("Secret", fmt.Sprintf("at least %d bytes required (or set InsecureNoAuth)", MinSecretBytes))
	case c.InsecureNoAuth && len(c.Secret) > 0:
		return bad("Secret", "set together with InsecureNoAuth")
	case c.MaxFrameBytes < 1024:
		return bad("MaxFrameBytes", "must be >= 1024")
	case c.MaxBatch < 1, c.SendQueue < 1, c.SendQueueBytes < 1, c.InboxSize < 1, c.MaxInboundConns < 1:
		return bad("MaxBatch/SendQueue/SendQueueBytes/InboxSize/MaxInboundConns", "must be >= 1")
	case c.MaxHandshakes < 1:
		return bad("MaxHandshakes", "must be >= 1")
	case c.RejectLogInterval < 0:
		return bad("RejectLogInterval", "must be > 0")
	case c.DialTimeout < 0, c.HandshakeTimeout < 0, c.WriteTimeout < 0, c.PingInterval < 0:
		return bad("DialTimeout/HandshakeTimeout/WriteTimeout/PingInterval", "must be > 0")
	case c.IdleTimeout <= c.PingInterval:
		return bad("IdleTimeout", "must exceed PingInterval")
	case c.DeadPeerAfter < time.Millisecond:
		return bad("DeadPeerAfter", "must be >= 1ms")
	case c.BackoffMin <= 0 || c.BackoffMax < c.BackoffMin:
		return bad("BackoffMin/BackoffMax", "need 0 < BackoffMin <= BackoffMax")
	}
	return nil
}

// defaultMaxBatch is core's default Limits.MaxBatch.
var defaultMaxBatch = core.DefaultLimits().MaxBatch
