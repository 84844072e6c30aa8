package transport

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// idlePeer waits until a's sending side towards name serves a connection
// open to direct writes with nothing queued or in flight, and returns it.
func idlePeer(t *testing.T, a *TCP, name core.NodeID) *peer {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.mu.Lock()
		p := a.peers[name]
		a.mu.Unlock()
		if p != nil {
			p.wmu.Lock()
			ready := p.direct.raw != nil && p.unsent.Load() == 0
			p.wmu.Unlock()
			if ready {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the connection to %s never became idle", name)
		}
		time.Sleep(time.Millisecond)
	}
}

// bigRequest is a request naming n children with 40-byte ids (~42 bytes
// each encoded), numbered seq.
func bigRequest(from core.NodeID, seq uint64, n int) core.Message {
	ids := make([]core.ChildID, n)
	for i := range ids {
		ids[i] = core.ChildID(fmt.Sprintf("%08d-%031d", seq, i))
	}
	return core.Message{Kind: core.MsgRequest, Hub: "test-hub", From: from, Inc: 1, Seq: seq, Op: core.OpStop, IDs: ids}
}

// TestTCPDirectWriteOnIdleConnection: once the connection is up and
// idle, each message is written by the sending goroutine (one write per
// message) and the writer goroutine writes no batch, so a message leaves
// without waiting for the writer to be scheduled. They arrive whole and
// in order; a frame over maxDirectBytes goes through the writer. Fails
// if Send goes back to queueing every frame.
func TestTCPDirectWriteOnIdleConnection(t *testing.T) {
	if !directWrites {
		t.Skip("no direct writes on this platform")
	}
	checkNoLeak(t)
	cfg := testConfig("a")
	cfg.PingInterval = time.Hour // no ping holds the connection meanwhile
	a := newTestTCP(t, cfg)
	b := newTestTCP(t, testConfig("b"))
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("a", 0)); err != nil { // dials: queued
		t.Fatal(err)
	}
	recv(t, b, 5*time.Second)
	p := idlePeer(t, a, "b")
	batches, direct := p.batches.Load(), p.directWrites.Load()
	// ~20 KB in all, which the socket buffers take whatever b's reader
	// does meanwhile: no write is cut short.
	const n = 50
	for i := uint64(1); i <= n; i++ {
		if i%25 != 1 {
			if err := a.Send("b", heartbeat("a", i)); err != nil {
				t.Fatal(err)
			}
		} else if errs := a.SendMany([]core.NodeID{"b"}, bigRequest("a", i, 200)); errs != nil {
			t.Fatal(errs)
		}
	}
	if got := p.directWrites.Load() - direct; got != n {
		t.Errorf("%d of %d messages written directly", got, n)
	}
	if got := p.batches.Load() - batches; got != 0 {
		t.Errorf("the writer goroutine wrote %d batches, want 0", got)
	}
	for i := uint64(1); i <= n; i++ {
		in := recv(t, b, 5*time.Second)
		if in.Msg.Seq != i || (i%25 == 1 && len(in.Msg.IDs) != 200) {
			t.Fatalf("message %d: got seq %d with %d ids", i, in.Msg.Seq, len(in.Msg.IDs))
		}
	}
	// A frame over maxDirectBytes (~84 KB) goes through the writer.
	direct = p.directWrites.Load()
	if err := a.Send("b", bigRequest("a", n+1, 2000)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, b, 5*time.Second); in.Msg.Seq != n+1 || len(in.Msg.IDs) != 2000 {
		t.Fatalf("big message: got seq %d with %d ids", in.Msg.Seq, len(in.Msg.IDs))
	}
	if p.directWrites.Load() != direct || p.batches.Load() == batches {
		t.Errorf("a frame over maxDirectBytes: %d direct writes, %d writer batches; want 0 and 1",
			p.directWrites.Load()-direct, p.batches.Load()-batches)
	}
}

// TestTCPDirectWriteCarryKeepsFramesWhole fills the socket buffers of a
// peer that stopped reading, so that a direct write is cut short: its
// tail waits as the carry for the writer goroutine, later messages
// queue behind it, and once the peer reads again every message arrives
// whole and in order. Fails if a partly written frame loses its tail or
// is overtaken.
func TestTCPDirectWriteCarryKeepsFramesWhole(t *testing.T) {
	if !directWrites {
		t.Skip("no direct writes on this platform")
	}
	checkNoLeak(t)
	cfg := testConfig("a")
	cfg.PingInterval = time.Hour
	cfg.WriteTimeout = 30 * time.Second // the writer waits for b to read again
	a := newTestTCP(t, cfg)
	bcfg := testConfig("b")
	bcfg.InboxSize = 1 // b's reader stalls on its inbox: nothing drains it
	b := newTestTCP(t, bcfg)
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("a", 0)); err != nil {
		t.Fatal(err)
	}
	recv(t, b, 5*time.Second)
	p := idlePeer(t, a, "b")
	p.mu.Lock()
	if tc, ok := p.raw.(*net.TCPConn); ok {
		tc.SetWriteBuffer(16 << 10)
	}
	p.mu.Unlock()
	b.mu.Lock()
	for c := range b.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetReadBuffer(16 << 10)
		}
	}
	b.mu.Unlock()
	// Frames of ~59 KB (under maxDirectBytes), more than the socket
	// buffers hold: send until a direct write is cut short, then a few
	// more (queued behind the carry); the queue holds 1024 messages.
	const ids = 1400
	sent := uint64(0)
	for more := 5; more > 0 && sent < 200; {
		sent++
		if err := a.Send("b", bigRequest("a", sent, ids)); err != nil {
			t.Fatalf("send %d: %v", sent, err)
		}
		if p.carries.Load() > 0 {
			more--
		}
	}
	if p.carries.Load() == 0 {
		t.Fatalf("no direct write was cut short in %d messages of ~59 KB", sent)
	}
	if p.directWrites.Load() == 0 {
		t.Fatal("no direct write")
	}
	for i := uint64(1); i <= sent; i++ {
		in := recv(t, b, 10*time.Second)
		if in.Msg.Seq != i || len(in.Msg.IDs) != ids || in.Msg.IDs[ids-1] != bigRequest("a", i, ids).IDs[ids-1] {
			t.Fatalf("message %d: got seq %d with %d ids", i, in.Msg.Seq, len(in.Msg.IDs))
		}
	}
}

// TestTCPDirectWriteAllocatesNothing: writing an encoded frame directly
// allocates nothing (the write callback is made once per peer, not per
// frame). Fails if a closure per write comes back.
func TestTCPDirectWriteAllocatesNothing(t *testing.T) {
	if !directWrites {
		t.Skip("no direct writes on this platform")
	}
	checkNoLeak(t)
	cfg := testConfig("a")
	cfg.PingInterval = time.Hour
	a := newTestTCP(t, cfg)
	b := newTestTCP(t, testConfig("b"))
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("a", 0)); err != nil {
		t.Fatal(err)
	}
	recv(t, b, 5*time.Second)
	p := idlePeer(t, a, "b")
	m := heartbeat("a", 1)
	frame, err := a.encodeFrame(&m)
	if err != nil {
		t.Fatal(err)
	}
	const runs = 100
	failed := 0
	allocs := testing.AllocsPerRun(runs, func() {
		if !p.tryDirect(frame) {
			failed++
		}
	})
	if allocs != 0 {
		t.Errorf("a direct write allocates %.1f times", allocs)
	}
	if failed > 0 {
		t.Errorf("%d of %d direct writes declined on an idle connection", failed, runs+1)
	}
	for i := 0; i < runs+1; i++ { // AllocsPerRun runs it once more
		if in := recv(t, b, 5*time.Second); in.Msg.Seq != 1 {
			t.Fatalf("got seq %d", in.Msg.Seq)
		}
	}
}
