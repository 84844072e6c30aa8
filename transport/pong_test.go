package transport

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// freezeProxy forwards TCP connections to a target; freeze stops every
// connection open at that moment for good: the proxy no longer reads or
// writes them and never closes them, while its kernel keeps acknowledging
// what fits in the socket buffers (a blackholing middlebox, or a cut
// whose FIN never arrives). Connections opened afterwards forward again.
type freezeProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex
	gen    int
	conns  []net.Conn
	closed bool
}

func newFreezeProxy(t *testing.T, target string) *freezeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezeProxy{ln: ln, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			gen := p.gen
			p.mu.Unlock()
			p.wg.Add(2)
			go p.pipe(c, u, gen)
			go p.pipe(u, c, gen)
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *freezeProxy) addr() string { return p.ln.Addr().String() }

func (p *freezeProxy) frozen(gen int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gen != gen || p.closed
}

func (p *freezeProxy) pipe(src, dst net.Conn, gen int) {
	defer p.wg.Done()
	buf := make([]byte, 4<<10)
	for {
		n, err := src.Read(buf)
		if p.frozen(gen) {
			return // frozen: never read, written or closed again (close does)
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			if err != io.EOF {
				src.Close()
			}
			dst.Close()
			return
		}
	}
}

func (p *freezeProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
}

func (p *freezeProxy) close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.mu.Unlock()
	p.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	p.wg.Wait()
}

// TestTCPUnansweredPingRedials: an outbound connection whose peer stops
// answering pings is closed and redialled within PingInterval +
// DeadPeerAfter, even while every write still succeeds into socket
// buffers. Before, each successful write postponed the pong deadline by
// IdleTimeout, so a node kept writing into a frozen connection for good;
// the root package's TestHealNoticedAfterBlackhole hit it when only one
// side declared the other down and reset: the other side, hearing the
// reset side on a fresh connection, never reset its own frozen one.
func TestTCPUnansweredPingRedials(t *testing.T) {
	checkNoLeak(t)
	cfg := func(name string) TCPConfig {
		c := testConfig(core.NodeID(name))
		c.DeadPeerAfter = 500 * time.Millisecond
		c.IdleTimeout = time.Minute // writes alone would keep a frozen connection for that long
		return c
	}
	a := newTestTCP(t, cfg("a"))
	b := newTestTCP(t, cfg("b"))
	px := newFreezeProxy(t, a.Addr())
	b.SetAddress("a", px.addr())
	if err := b.Send("a", heartbeat("b", 1)); err != nil {
		t.Fatal(err)
	}
	recv(t, a, 5*time.Second)

	px.freeze()
	froze := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // b keeps talking, as core's heartbeats do
		defer wg.Done()
		for seq := uint64(2); ; seq++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			_ = b.Send("a", heartbeat("b", seq))
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	c := b.cfg
	bound := c.PingInterval + c.DeadPeerAfter + c.BackoffMax
	in := recv(t, a, bound+5*time.Second) // slack for a loaded machine
	took := time.Since(froze)
	t.Logf("a heard b again %s after the freeze (bound PingInterval + DeadPeerAfter + BackoffMax = %s)", took.Round(time.Millisecond), bound)
	if in.Msg.Seq < 2 {
		t.Fatalf("got %+v", in)
	}
}
