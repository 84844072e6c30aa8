package transport

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phub/phub/core"
)

// maxWriteBatch bounds the frames written before one flush.
const maxWriteBatch = 256

// peer owns the outbound side towards one node: a bounded queue of encoded
// frames and the goroutine that dials, writes and redials.
type peer struct {
	t           *TCP
	name        core.NodeID
	queue       chan []byte
	queuedBytes atomic.Int64
	// unsent counts frames accepted by enqueue and not yet flushed or
	// dropped; connected is true while a connection is being served.
	// Close waits for connected peers with unsent frames (see flush).
	unsent    atomic.Int64
	connected atomic.Bool
	// kick cuts a redial backoff short (ResetPeer).
	kick chan struct{}
	// resets counts ResetPeer calls, so serve can tell its connection
	// was closed on purpose.
	resets atomic.Uint64

	mu  sync.Mutex
	raw net.Conn // the connection being served, nil between connections

	// deadlineMu orders the pong reader's deadline updates; pingAt is when
	// the oldest ping not answered yet was written on the current
	// connection (zero: none).
	deadlineMu sync.Mutex
	pingAt     time.Time

	// wmu serializes writes to the connection: the writer holds it while
	// it writes a batch or a ping, a sender takes it with TryLock for a
	// direct write (direct.go). It guards direct and carry.
	wmu    sync.Mutex
	direct directConn
	fdw    fdWriter
	// carry is the tail of a frame a direct write could not finish; the
	// writer writes it before anything else. It counts in unsent.
	carry []byte
	// wake tells the writer a carry is waiting.
	wake chan struct{}
	// directWrites counts frames written by direct writes, carries
	// those left partly written, batches the writer's batches (tests).
	directWrites, carries, batches atomic.Uint64
}

func newPeer(t *TCP, name core.NodeID) *peer {
	return &peer{t: t, name: name, queue: make(chan []byte, t.cfg.SendQueue), kick: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
}

// reset closes the current connection (its serve loop then ends and the
// next frame redials) and cuts a pending backoff short.
func (p *peer) reset() {
	p.resets.Add(1)
	p.mu.Lock()
	if p.raw != nil {
		p.raw.Close()
	}
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *peer) setConn(raw net.Conn) {
	p.mu.Lock()
	p.raw = raw
	p.mu.Unlock()
}

// enqueue adds an encoded frame without blocking, or returns ErrQueueFull.
func (p *peer) enqueue(frame []byte) error {
	n := int64(len(frame))
	if p.queuedBytes.Add(n) > int64(p.t.cfg.SendQueueBytes) {
		p.queuedBytes.Add(-n)
		p.t.log.Debug("transport: dropping message: send queue bytes full", "peer", string(p.name))
		return ErrQueueFull
	}
	p.unsent.Add(1)
	select {
	case p.queue <- frame:
		return nil
	default:
		p.queuedBytes.Add(-n)
		p.unsent.Add(-1)
		p.t.log.Debug("transport: dropping message: send queue full", "peer", string(p.name))
		return ErrQueueFull
	}
}

// dequeued accounts for a frame taken off the queue.
func (p *peer) dequeued(frame []byte) { p.queuedBytes.Add(-int64(len(frame))) }

// run waits for something to send, connects (retrying with backoff while
// the peer is unreachable) and writes until the connection fails; then it
// starts over. It returns when the transport closes.
func (p *peer) run() {
	defer p.t.wg.Done()
	done := p.t.ctx.Done()
	bo := backoff{min: p.t.cfg.BackoffMin, max: p.t.cfg.BackoffMax}
	var first []byte // a frame carried over from a reset connection
	for {
		if first == nil {
			select {
			case <-done:
				return
			case first = <-p.queue:
				p.dequeued(first)
			}
		}
		for {
			started := time.Now()
			raw, conn, err := p.t.dial(p.name)
			if err == nil {
				bo.reset()
				first = p.serve(raw, conn, first)
				break
			}
			// Attempts start at most one backoff apart: a dial that itself
			// took that long (a connect lost in a cut) is retried at once.
			d := max(0, bo.next()-time.Since(started))
			p.t.log.Debug("transport: dial failed", "peer", string(p.name), "err", err, "retry_in", d)
			select {
			case <-done:
				return
			case <-p.kick:
			case <-time.After(d):
			}
		}
	}
}

// serve writes first and then queued frames to conn, pinging every
// PingInterval, until a write fails, the pong reader sees the connection
// end, or the transport closes. A frame whose write failed is lost; a
// frame taken off the queue after ResetPeer closed the connection is
// returned unwritten, for the next connection.
func (p *peer) serve(raw, conn net.Conn, first []byte) (leftover []byte) {
	gen := p.resets.Load()
	cfg := &p.t.cfg
	dead := make(chan struct{})
	p.t.wg.Add(1)
	go func() {
		defer p.t.wg.Done()
		defer close(dead)
		p.readPongs(conn)
	}()
	p.deadlineMu.Lock()
	p.pingAt = time.Time{}
	p.deadlineMu.Unlock()
	p.setConn(raw)
	p.connected.Store(true)
	if conn == raw {
		p.setDirect(conn, gen)
	}
	defer func() {
		p.wmu.Lock()
		p.direct = directConn{}
		p.dropCarry()
		p.wmu.Unlock()
		p.setConn(nil)
		p.connected.Store(false)
		p.t.untrack(raw)
		<-dead
	}()

	bw := bufio.NewWriterSize(conn, 64<<10)
	ping := time.NewTicker(cfg.PingInterval)
	defer ping.Stop()
	pingFrame, _ := AppendFrame(nil, FramePing, nil, 0)
	pending := first
	for {
		if pending != nil {
			if p.resets.Load() != gen {
				return pending
			}
			p.wmu.Lock()
			n, err := p.writeBatch(conn, bw, pending)
			p.unsent.Add(-int64(n))
			p.wmu.Unlock()
			if err != nil {
				p.t.log.Debug("transport: write failed, dropping messages", "peer", string(p.name), "messages", n, "err", err)
				return
			}
			pending = nil
			p.progress(conn)
		}
		select {
		case <-p.t.ctx.Done():
			return
		case <-dead:
			return
		case f := <-p.queue:
			p.dequeued(f)
			pending = f
		case <-p.wake:
			p.wmu.Lock()
			conn.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
			err := p.writeCarry(bw)
			if err == nil {
				err = bw.Flush()
			}
			p.wmu.Unlock()
			if err != nil {
				p.t.log.Debug("transport: write failed, dropping a message", "peer", string(p.name), "err", err)
				return
			}
			p.progress(conn)
		case <-ping.C:
			p.pinged(conn)
			p.wmu.Lock()
			conn.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
			err := p.writeCarry(bw)
			if err == nil {
				bw.Write(pingFrame)
				err = bw.Flush()
			}
			p.wmu.Unlock()
			if err != nil {
				p.t.log.Debug("transport: ping failed", "peer", string(p.name), "err", err)
				return
			}
			p.progress(conn)
		}
	}
}

// progress extends the pong reader's deadline after a successful write.
// The pong answering a ping queues behind every frame sent before it, so
// under load it may take longer than IdleTimeout; writes that keep
// succeeding suggest the peer is reading. They never extend it past
// DeadPeerAfter after the oldest unanswered ping, though: small writes
// succeed into socket buffers for good when nothing reads them (a
// middlebox that acknowledges and forwards nothing, a cut whose FIN never
// arrives), and a node whose peer reset its side would otherwise keep
// writing into the dead connection while hearing the peer on a new one.
func (p *peer) progress(conn net.Conn) {
	p.deadlineMu.Lock()
	defer p.deadlineMu.Unlock()
	p.setReadDeadline(conn, time.Now())
}

// pinged records a ping about to be written: if no earlier ping is still
// unanswered, the pong deadline starts now.
func (p *peer) pinged(conn net.Conn) {
	p.deadlineMu.Lock()
	defer p.deadlineMu.Unlock()
	now := time.Now()
	if p.pingAt.IsZero() {
		p.pingAt = now
	}
	p.setReadDeadline(conn, now)
}

// ponged records an answered ping.
func (p *peer) ponged(conn net.Conn) {
	p.deadlineMu.Lock()
	defer p.deadlineMu.Unlock()
	p.pingAt = time.Time{}
	p.setReadDeadline(conn, time.Now())
}

// setReadDeadline sets the pong reader's deadline to IdleTimeout after
// now, or DeadPeerAfter after the oldest unanswered ping if that is
// earlier. The caller holds deadlineMu.
func (p *peer) setReadDeadline(conn net.Conn, now time.Time) {
	d := now.Add(p.t.cfg.IdleTimeout)
	if !p.pingAt.IsZero() {
		d = minTime(d, p.pingAt.Add(p.t.cfg.DeadPeerAfter))
	}
	conn.SetReadDeadline(d)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// writeBatch writes the carry (direct.go), first and whatever else is
// queued (up to maxWriteBatch frames) and flushes; the caller holds wmu.
// Each frame gets its own write deadline, so a large batch to a slow but
// live peer is not cut off. It returns the number of frames written or
// lost.
func (p *peer) writeBatch(conn net.Conn, bw *bufio.Writer, first []byte) (int, error) {
	write := func(f []byte) error {
		conn.SetWriteDeadline(time.Now().Add(p.t.cfg.WriteTimeout))
		if _, err := bw.Write(f); err != nil {
			return err
		}
		p.progress(conn)
		return nil
	}
	p.batches.Add(1)
	conn.SetWriteDeadline(time.Now().Add(p.t.cfg.WriteTimeout))
	if err := p.writeCarry(bw); err != nil {
		return 1, err
	}
	n := 1
	if err := write(first); err != nil {
		return n, err
	}
	for n < maxWriteBatch {
		select {
		case f := <-p.queue:
			p.dequeued(f)
			n++
			if err := write(f); err != nil {
				return n, err
			}
			continue
		default:
		}
		break
	}
	conn.SetWriteDeadline(time.Now().Add(p.t.cfg.WriteTimeout))
	return n, bw.Flush()
}

// readPongs reads the acceptor's pongs until the connection ends, stays
// silent longer than IdleTimeout since the last pong or successful write,
// or leaves a ping unanswered for DeadPeerAfter; anything but a pong is a
// protocol error.
func (p *peer) readPongs(conn net.Conn) {
	br := bufio.NewReaderSize(conn, 512)
	p.progress(conn)
	for {
		f, _, err := ReadFrame(br, nil, maxHandshakeFrameBytes)
		if err != nil {
			p.t.reject("closing outbound connection", conn.RemoteAddr().String(), string(p.name), err)
			conn.Close()
			return
		}
		if f.Type != FramePong {
			p.t.rejects.warn(p.t.log, sourceOf(conn.RemoteAddr().String()), "transport: closing outbound connection: unexpected frame",
				"remote", conn.RemoteAddr().String(), "peer", string(p.name), "type", f.Type.String())
			conn.Close()
			return
		}
		p.ponged(conn)
	}
}

// dial connects to the peer named name and runs the TLS and phub
// handshakes. It returns the raw TCP connection (tracked for Close) and
// the connection to use (the TLS one when TLS is on).
func (t *TCP) dial(name core.NodeID) (raw, conn net.Conn, err error) {
	addr, expect, ok := t.resolve(name)
	if !ok {
		return nil, nil, ErrUnknownPeer
	}
	ctx, cancel := context.WithTimeout(t.ctx, t.cfg.DialTimeout)
	defer cancel()
	d := net.Dialer{}
	raw, err = d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if !t.track(raw) {
		raw.Close()
		return nil, nil, ErrClosed
	}
	t.tuneConn(raw)
	fail := func(err error) (net.Conn, net.Conn, error) {
		t.untrack(raw)
		if errors.Is(err, ErrNameInUse) {
			t.refused(err)
		}
		if errors.Is(err, ErrBadMAC) || errors.Is(err, ErrHubMismatch) || errors.Is(err, ErrPeerName) || errors.Is(err, ErrNameInUse) {
			t.rejects.warn(t.log, "dial "+string(name), "transport: outbound handshake rejected", "peer", string(name), "addr", addr, "err", err)
		} else {
			t.log.Debug("transport: outbound handshake failed", "peer", string(name), "addr", addr, "err", err)
		}
		return nil, nil, err
	}
	raw.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	conn = raw
	if t.cfg.TLS != nil {
		hctx, hcancel := context.WithTimeout(t.ctx, t.cfg.HandshakeTimeout)
		conn, err = clientTLS(hctx, raw, t.cfg.TLS, addr)
		hcancel()
		if err != nil {
			return fail(err)
		}
	}
	info, err := dialHandshake(conn, t.handshakeParams(), expect)
	if err != nil {
		return fail(err)
	}
	raw.SetDeadline(time.Time{})
	t.learn(info.Name, addr)
	t.log.Debug("transport: connected", "peer", string(name), "node", string(info.Name), "addr", addr)
	return raw, conn, nil
}
