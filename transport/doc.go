// Package transport carries core.Message values between phub nodes.
//
// It defines the Transport boundary the runtime drives (Send, Inbox,
// SetAddress, Close) and two implementations of it:
//
//   - InmemNetwork, an in-process network for unit tests of the runtime,
//     which can disconnect and reconnect nodes;
//   - TCP, the production transport: length-prefixed versioned frames
//     (codec.go) carrying messages in a canonical, versioned binary
//     encoding (codec_binary.go; JSON frames are still accepted), an
//     HMAC challenge-response handshake keyed by the cluster secret
//     (handshake.go), optional TLS and mTLS (tls.go), bounded
//     per-peer send queues and reconnection with exponential backoff and
//     jitter (peer.go), and direct writes: a message for a peer whose
//     connection is idle is written by the sender itself, without
//     blocking, instead of waiting for the peer's writer goroutine to be
//     scheduled (direct.go). Its decoder can take the node's known child ids
//     (childids.go: SetChildIDs), so ids of live children are not copied
//     out of every message again.
//
// The transport delivers only authenticated, decoded and validated
// messages. It may lose messages (a full queue, a peer that is down, a
// connection that breaks mid-write); core retries, so loss is allowed but
// never silent corruption. A hostile or malformed peer gets its connection
// closed and one log line, never a crash.
//
// The simulator has its own adversarial network; it does not use this
// package.
package transport
