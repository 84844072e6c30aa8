package phub_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// cutProxy forwards TCP connections to a target and can cut the network
// like a blackhole: nothing is forwarded and nothing is closed. A
// connection that existed when a cut began stays frozen for good, as if
// the kernel's retransmission backoff never brought it back (the issue:
// heals noticed 3.7–92.8 s late); a connection opened during a cut is held
// and starts forwarding when the cut ends (a connect retried after the
// heal). Only fresh connections therefore carry traffic after a heal.
type cutProxy struct {
	ln     net.Listener
	target string
	closed chan struct{}
	wg     sync.WaitGroup

	mu     sync.Mutex
	gen    int           // incremented when a cut begins
	cut    bool          // a cut is in force
	healed chan struct{} // closed when the current cut ends
	conns  []net.Conn
}

func newCutProxy(t *testing.T) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, closed: make(chan struct{}), healed: make(chan struct{})}
	close(p.healed)
	t.Cleanup(p.close)
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

// start forwards to target from now on.
func (p *cutProxy) start(target string) {
	p.target = target
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := p.ln.Accept()
			if err != nil {
				return
			}
			if !p.track(c) {
				return
			}
			p.wg.Add(1)
			go p.handle(c)
		}
	}()
}

func (p *cutProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.closed:
		c.Close()
		return false
	default:
	}
	p.conns = append(p.conns, c)
	return true
}

func (p *cutProxy) handle(c net.Conn) {
	defer p.wg.Done()
	p.mu.Lock()
	healed := p.healed
	p.mu.Unlock()
	select { // held while the network is cut
	case <-healed:
	case <-p.closed:
		return
	}
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(u) {
		return
	}
	p.mu.Lock()
	gen := p.gen
	p.mu.Unlock()
	p.wg.Add(2)
	go p.pipe(c, u, gen)
	go p.pipe(u, c, gen)
}

// pipe copies src to dst until either ends or a cut begins; then it stops
// reading and writing for good (the connection is frozen, never closed).
func (p *cutProxy) pipe(src, dst net.Conn, gen int) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		p.mu.Lock()
		frozen := p.gen != gen
		p.mu.Unlock()
		if frozen {
			<-p.closed
			return
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

func (p *cutProxy) cutNetwork() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	p.cut = true
	p.healed = make(chan struct{})
}

func (p *cutProxy) heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		p.cut = false
		close(p.healed)
	}
}

func (p *cutProxy) close() {
	p.mu.Lock()
	select {
	case <-p.closed:
		p.mu.Unlock()
		return
	default:
	}
	close(p.closed)
	conns := p.conns
	p.mu.Unlock()
	p.ln.Close()
	for _, c := range conns {
		c.Close()
	}
	p.wg.Wait()
}

// proxiedNode starts a hub whose peers reach it only through proxy.
func proxiedNode(t *testing.T, name core.NodeID, timing core.Timing, proxy *cutProxy, seeds ...string) *phub.Hub {
	h, _ := proxiedNodeTCP(t, name, timing, proxy, seeds...)
	return h
}

// proxiedNodeTCP is proxiedNode that also returns the hub's transport.
func proxiedNodeTCP(t *testing.T, name core.NodeID, timing core.Timing, proxy *cutProxy, seeds ...string) (*phub.Hub, *transport.TCP) {
	t.Helper()
	tcp, err := transport.NewTCP(transport.TCPConfig{
		Name: name, HubID: "phub", Secret: testSecret, Logger: testLogger(),
		AdvertiseAddr: proxy.addr(), DeadPeerAfter: timing.DownAfter,
	})
	if err != nil {
		t.Fatal(err)
	}
	proxy.start(tcp.Addr())
	cfg := core.DefaultConfig(name)
	cfg.Timing = timing
	cfg.AdvertiseAddr = proxy.addr()
	for _, s := range seeds {
		cfg.Seeds = append(cfg.Seeds, core.NodeID(s))
	}
	h, err := phub.New(phub.Config{Core: cfg, Transport: tcp, Kinds: phub.Registry{"noop": noopKind}, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Close(ctx)
	})
	return h, tcp
}

// TestHealNoticedAfterBlackhole cuts the network between two nodes like a
// blackhole (connections neither forward nor close), then heals it, and
// measures how long after the heal both nodes see each other alive and
// answer each other's requests again.
// A peer silent for DownAfter has its connections dropped and redialled
// (ResetPeer), so the heal is noticed within DownAfter + 1 s of the heal
// even when the old connections never recover; before, the nodes waited
// on the frozen connections (in production, on the kernel's
// retransmission backoff: 3.7–92.8 s).
func TestHealNoticedAfterBlackhole(t *testing.T) {
	// core.LocalTiming's 25 ms heartbeats: with them the 500 ms cut below
	// was not healed within 30 s in 2 of 4 runs, until a ping left
	// unanswered for DeadPeerAfter closed a connection whatever its
	// writes did (transport's TestTCPUnansweredPingRedials): when only one
	// node declared the other down and reset its connections, the other
	// heard it again on the fresh connection and kept writing into its
	// own frozen one, whose successful writes postponed the pong deadline
	// for good.
	timing := core.LocalTiming()
	bound := timing.DownAfter + time.Second

	pa, pb := newCutProxy(t), newCutProxy(t)
	a := proxiedNode(t, "a", timing, pa)
	b := proxiedNode(t, "b", timing, pb, pa.addr())
	both := healedBetween(a, b)
	waitFor(t, 30*time.Second, "a and b see each other", both)

	for _, cut := range []time.Duration{3 * timing.DownAfter, timing.DownAfter / 2} {
		pa.cutNetwork()
		pb.cutNetwork()
		if cut > timing.DownAfter {
			waitFor(t, 30*time.Second, "a and b see each other down", func() bool {
				return !seesAlive(a, "b") && !seesAlive(b, "a")
			})
		}
		time.Sleep(cut) // the fault's duration, not a synchronization
		pa.heal()
		pb.heal()
		healed := time.Now()
		waitFor(t, 30*time.Second, "a and b see each other again after the heal", both)
		took := time.Since(healed)
		t.Logf("cut of %s: heal noticed %s after the network healed (bound DownAfter + 1s = %s)",
			cut, took.Round(time.Millisecond), bound)
		// The figure is the measurement (README, netfault); the assertion
		// leaves room for a loaded 2-core machine, and still fails when
		// frozen connections are waited on (they never recover here).
		if slack := 4 * time.Second; took > bound+slack {
			t.Fatalf("cut of %s: heal noticed after %s, want within %s (+%s slack for load)", cut, took, bound, slack)
		}
		// Stay up long enough that the next round starts from a steady state.
		waitFor(t, 30*time.Second, "steady", both)
	}
}

// seesAlive reports whether h sees the member name alive.
func seesAlive(h *phub.Hub, name core.NodeID) bool {
	m, ok := memberOf(h, name)
	return ok && m.Status == core.StatusAlive
}

// usable reports whether h's request to name is answered (a frozen
// connection does not answer, even while name still counts as alive).
func usable(h *phub.Hub, name core.NodeID) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	global, _, _ := h.WhichChildrenGlobal(ctx)
	for _, g := range global {
		if g.Node == name {
			return true
		}
	}
	return false
}

// healedBetween returns a condition: a and b (named "a" and "b") see each
// other alive and answer each other's requests.
func healedBetween(a, b *phub.Hub) func() bool {
	return func() bool {
		return seesAlive(a, "b") && seesAlive(b, "a") && usable(a, "b") && usable(b, "a")
	}
}

// TestHealNoticedAfterOneSidedReset: after a blackhole, only a resets its
// connections to b (as when only a's core declared b down: the two
// detections race). b then hears a on the fresh connection and never
// declares a down, so nothing resets b's own frozen connection to a; it
// must be noticed by its unanswered pings and redialled. Before, b kept
// writing into it (every successful write postponed the pong deadline)
// and a never heard b again.
func TestHealNoticedAfterOneSidedReset(t *testing.T) {
	timing := core.LocalTiming()
	pa, pb := newCutProxy(t), newCutProxy(t)
	a, tcpA := proxiedNodeTCP(t, "a", timing, pa)
	b := proxiedNode(t, "b", timing, pb, pa.addr())
	both := healedBetween(a, b)
	waitFor(t, 30*time.Second, "a and b see each other", both)

	pa.cutNetwork() // freezes every connection for good
	pb.cutNetwork()
	pa.heal() // new connections forward again
	pb.heal()
	tcpA.ResetPeer("b")
	healed := time.Now()
	waitFor(t, 30*time.Second, "a and b see each other again after a's reset", both)
	took := time.Since(healed)
	// b's ping interval (DownAfter/2) + an unanswered ping (DownAfter) +
	// a redial; a may meanwhile declare b down, and sees it again at once.
	bound := timing.DownAfter/2 + timing.DownAfter + time.Second
	t.Logf("heal noticed %s after a's one-sided reset (bound %s)", took.Round(time.Millisecond), bound)
	if slack := 4 * time.Second; took > bound+slack {
		t.Fatalf("heal noticed after %s, want within %s (+%s slack for load)", took, bound, slack)
	}
}
