package transport

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"time"
)

// acceptLoop accepts connections until the listener is closed.
func (t *TCP) acceptLoop() {
	defer t.wg.Done()
	for {
		conn, err := t.ln.Accept()
		if err != nil {
			if t.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			t.rejects.warn(t.log, "accept", "transport: accept failed", "err", err)
			select { // e.g. out of file descriptors: do not spin
			case <-t.ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		remote := conn.RemoteAddr().String()
		select {
		case t.slots <- struct{}{}:
		default:
			t.rejects.warn(t.log, sourceOf(remote), "transport: rejected connection: too many inbound connections",
				"remote", remote, "limit", t.cfg.MaxInboundConns)
			conn.Close()
			continue
		}
		select {
		case t.hsSlots <- struct{}{}:
		default:
			t.rejects.warn(t.log, sourceOf(remote), "transport: rejected connection: too many connections in the handshake",
				"remote", remote, "limit", t.cfg.MaxHandshakes)
			conn.Close()
			<-t.slots
			continue
		}
		if !t.track(conn) {
			conn.Close()
			<-t.hsSlots
			<-t.slots
			return
		}
		t.tuneConn(conn)
		t.wg.Add(1)
		go t.serveInbound(conn)
	}
}

// serveInbound authenticates an accepted connection and delivers the
// messages it carries. Any protocol violation closes the connection and
// is logged (rate-limited per source, see TCPConfig.RejectLogInterval).
// The connection holds a handshake slot until its handshake ends.
func (t *TCP) serveInbound(raw net.Conn) {
	defer t.wg.Done()
	defer func() { <-t.slots }()
	inHandshake := true
	defer func() {
		if inHandshake {
			<-t.hsSlots
		}
	}()
	defer t.untrack(raw)
	remote := raw.RemoteAddr().String()

	raw.SetDeadline(time.Now().Add(t.cfg.HandshakeTimeout))
	conn := raw
	if t.cfg.TLS != nil {
		ctx, cancel := context.WithTimeout(t.ctx, t.cfg.HandshakeTimeout)
		c, err := serverTLS(ctx, raw, t.cfg.TLS)
		cancel()
		if err != nil {
			t.handshakeFailures.Add(1)
			t.reject("tls handshake failed", remote, "", err)
			return
		}
		conn = c
	}
	info, err := acceptHandshake(conn, t.handshakeParams())
	if err != nil {
		t.handshakeFailures.Add(1)
		t.reject("handshake failed", remote, "", err)
		return
	}
	inHandshake = false
	<-t.hsSlots
	raw.SetDeadline(time.Time{})
	t.learn(info.Name, info.Advertise)
	t.addInbound(info.Name, raw)
	defer t.removeInbound(info.Name, raw)
	t.log.Debug("transport: accepted peer", "peer", string(info.Name), "remote", remote)

	br := bufio.NewReaderSize(conn, 64<<10)
	var buf []byte
	for {
		conn.SetReadDeadline(time.Now().Add(t.cfg.IdleTimeout))
		var f Frame
		f, buf, err = ReadFrame(br, buf, t.cfg.MaxFrameBytes)
		if err != nil {
			t.reject("closing connection", remote, string(info.Name), err)
			return
		}
		switch f.Type {
		case FramePing:
			conn.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
			pong, _ := AppendFrame(nil, FramePong, nil, 0)
			if _, err := conn.Write(pong); err != nil {
				t.reject("closing connection", remote, string(info.Name), err)
				return
			}
		case FrameMessageBin, FrameMessage:
			m, err := decodeMessageFrame(f, t.cfg.MaxBatch, t.childIDSource())
			if err != nil {
				t.reject("closing connection", remote, string(info.Name), err)
				return
			}
			if m.From != info.Name {
				t.rejects.warn(t.log, sourceOf(remote), "transport: closing connection: message sender differs from authenticated peer",
					"remote", remote, "peer", string(info.Name), "from", string(m.From))
				return
			}
			select {
			case t.inbox <- Inbound{From: info.Name, Msg: m}:
			case <-t.ctx.Done():
				return
			}
		default:
			t.rejects.warn(t.log, sourceOf(remote), "transport: closing connection: unexpected frame",
				"remote", remote, "peer", string(info.Name), "type", f.Type.String())
			return
		}
		if cap(buf) > 1<<20 { // do not pin a huge buffer per idle connection
			buf = nil
		}
	}
}

// reject logs why a connection is being closed: Warn for a peer's fault
// (at most one line per source host per RejectLogInterval), Debug for an
// orderly end or our own shutdown.
func (t *TCP) reject(what, remote, peer string, err error) {
	if t.ctx.Err() != nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		t.log.Debug("transport: "+what, "remote", remote, "peer", peer, "err", err)
		return
	}
	t.rejects.warn(t.log, sourceOf(remote), "transport: "+what, "remote", remote, "peer", peer, "err", err)
}
