package transport

import (
	"net"
	"syscall"
)

// Direct writes. A frame sent to a peer whose connection is idle (nothing
// queued, nothing being written) is written by the sending goroutine
// itself, with one non-blocking write, instead of being queued for the
// peer's writer goroutine. The writer then never has to be scheduled for
// it: on a machine whose cores are busy, waking the writer cost tens of
// microseconds to a millisecond per message, and an awaited start or
// stop crosses the network several times in a row.
//
// The write never blocks the sender: what the socket does not take at
// once (a full send buffer, a slow peer) becomes the connection's carry,
// which the writer goroutine writes before anything else, so frames stay
// whole and in order. Frames queued while a carry is pending, or while
// the writer is busy, take the queue as before.

// maxDirectBytes bounds the frames written directly. A larger frame (a
// 10k-child round is ~200 KB) costs its sender the receiver's loopback
// processing too, which the writer goroutine does in parallel with the
// sender's next work when a processor is free; its own transfer dwarfs
// the writer's wake-up. It goes through the queue.
const maxDirectBytes = 64 << 10

// directConn is the connection direct writes go to, set by serve while it
// serves a plain TCP connection (TLS connections have no direct writes).
type directConn struct {
	conn net.Conn
	raw  syscall.RawConn
	gen  uint64 // the peer's resets when serve started
}

// setDirect makes conn (served from the reset generation gen) the target
// of direct writes, or disables them (conn nil or not a plain socket).
func (p *peer) setDirect(conn net.Conn, gen uint64) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	p.direct = directConn{}
	if conn == nil || !directWrites {
		return
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	p.direct = directConn{conn: conn, raw: raw, gen: gen}
}

// dropCarry forgets a carry that its connection took with it (serve is
// ending). The caller holds wmu.
func (p *peer) dropCarry() {
	if p.carry != nil {
		p.carry = nil
		p.unsent.Add(-1)
	}
}

// send writes frame directly if the connection is idle, else queues it.
func (p *peer) send(frame []byte) error {
	if p.tryDirect(frame) {
		return nil
	}
	return p.enqueue(frame)
}

// tryDirect writes frame to the idle connection without blocking and
// reports whether it did (wholly, or its head with the rest left as the
// carry). It declines frames over maxDirectBytes, and when the writer
// holds the connection, when frames
// are queued or in flight (unsent > 0: they go first), when there is no
// plain connection, or when the socket takes nothing.
func (p *peer) tryDirect(frame []byte) bool {
	if len(frame) > maxDirectBytes || !p.wmu.TryLock() {
		return false
	}
	defer p.wmu.Unlock()
	d := p.direct
	if d.raw == nil || p.unsent.Load() != 0 || p.resets.Load() != d.gen {
		return false
	}
	n, _ := p.fdw.writeNonBlocking(d.raw, frame)
	if n <= 0 {
		// The buffer is full or the connection failed: the queue and
		// the writer deal with the frame as with any other.
		return false
	}
	p.directWrites.Add(1)
	if n < len(frame) {
		p.carry = frame[n:]
		p.unsent.Add(1)
		p.carries.Add(1)
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	p.progress(d.conn)
	return true
}

// writeCarry writes the carry, if any, through bw. The caller holds wmu.
func (p *peer) writeCarry(bw interface{ Write([]byte) (int, error) }) error {
	if p.carry == nil {
		return nil
	}
	c := p.carry
	p.carry = nil
	p.unsent.Add(-1)
	_, err := bw.Write(c)
	return err
}
