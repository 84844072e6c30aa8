package phub_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// warnLog is a slog handler keeping Warn-and-above lines.
type warnLog struct {
	mu    sync.Mutex
	lines []string
}

func (w *warnLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	w.mu.Lock()
	w.lines = append(w.lines, b.String())
	w.mu.Unlock()
	return nil
}
func (w *warnLog) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnLog) WithGroup(string) slog.Handler      { return w }

func (w *warnLog) has(sub string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range w.lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// tcpNode is a node over TCP listening on listen ("" for any port).
type tcpNode struct {
	hub  *phub.Hub
	tcp  *transport.TCP
	addr string
	logs *warnLog
}

func startTCPNode(t *testing.T, name core.NodeID, timing core.Timing, listen string, seeds ...string) *tcpNode {
	t.Helper()
	logs := &warnLog{}
	tcp, err := transport.NewTCP(transport.TCPConfig{Name: name, ListenAddr: listen, HubID: "phub", Secret: testSecret,
		Logger: slog.New(logs), DeadPeerAfter: timing.DownAfter})
	if err != nil {
		t.Fatal(err)
	}
	cfg := core.DefaultConfig(name)
	cfg.Timing = timing
	for _, s := range seeds {
		cfg.Seeds = append(cfg.Seeds, core.NodeID(s))
	}
	h, err := phub.New(phub.Config{Core: cfg, Transport: tcp, Kinds: phub.Registry{"noop": noopKind}, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		h.Close(ctx)
	})
	return &tcpNode{hub: h, tcp: tcp, addr: tcp.Addr(), logs: logs}
}

// crash makes the node vanish for its peers without a leave: its
// transport closes, its hub is left running unreachable.
func (n *tcpNode) crash() { n.tcp.Close() }

func identityTiming(downAfter time.Duration) core.Timing {
	timing := core.LocalTiming()
	timing.DownAfter = downAfter
	return timing
}

func alivePeers(h *phub.Hub) int { return len(h.Alive()) - 1 }

// TestImpostorRefused: a second node started with a live member's name is
// refused at the handshake by every node it reaches (the live member
// itself included), stops with ErrNameInUse naming the conflict, and the
// real node keeps its place: same incarnation, never down. The issue: the
// impostor was accepted and split the cluster for good.
func TestImpostorRefused(t *testing.T) {
	timing := identityTiming(time.Second)
	n1 := startTCPNode(t, "n1", timing, "")
	n2 := startTCPNode(t, "n2", timing, "", n1.addr)
	waitFor(t, 30*time.Second, "n1 and n2 see each other", func() bool {
		return alivePeers(n1.hub) == 1 && alivePeers(n2.hub) == 1
	})
	real, _ := memberOf(n1.hub, "n2")

	started := time.Now()
	imp := startTCPNode(t, "n2", timing, "", n1.addr, n2.addr)
	deadline := time.After(60 * time.Second)
	for done := false; !done; {
		select {
		case <-imp.hub.Stopped():
			done = true
		case <-deadline:
			t.Fatal("the impostor did not stop")
		case <-time.After(20 * time.Millisecond):
			if m, _ := memberOf(n1.hub, "n2"); m != real {
				t.Fatalf("n1's view of n2 changed from %+v to %+v", real, m)
			}
		}
	}
	t.Logf("the impostor stopped %s after it started", time.Since(started).Round(time.Millisecond))
	err := imp.hub.Err()
	if !errors.Is(err, phub.ErrNameInUse) || !strings.Contains(err.Error(), `"n2"`) {
		t.Fatalf("impostor error: %v", err)
	}
	t.Logf("impostor: %v", err)
	if alivePeers(imp.hub) != 0 {
		t.Fatalf("the impostor joined: %v", imp.hub.Members())
	}
	for _, n := range []*tcpNode{n1, n2} {
		if !n.logs.has(`node name in use: refused dialer "n2"`) {
			t.Errorf("%s logged no refusal: %q", n.hub.Name(), n.logs.lines)
		}
	}
	if m, _ := memberOf(n1.hub, "n2"); m != real || alivePeers(n2.hub) != 1 {
		t.Fatalf("the real n2 was affected: n1 sees %+v (was %+v); n2 sees %d peers", m, real, alivePeers(n2.hub))
	}
}

// TestRestartInPlaceAdmittedAtOnce: a node that crashed and restarts at
// its own address is admitted at once, while the cluster still counts its
// old incarnation alive (the handshake is how a restarted node rejoins
// quickly).
func TestRestartInPlaceAdmittedAtOnce(t *testing.T) {
	// DownAfter far beyond the waits below: the restarted node can only
	// be admitted within them while its old incarnation still counts
	// alive, on an idle or a loaded machine (with 10 s, a restart slowed
	// down by load could look like one that waited for the down).
	timing := identityTiming(10 * time.Minute)
	n1 := startTCPNode(t, "n1", timing, "")
	n2 := startTCPNode(t, "n2", timing, "", n1.addr)
	waitFor(t, 30*time.Second, "n1 and n2 see each other", func() bool {
		return alivePeers(n1.hub) == 1 && alivePeers(n2.hub) == 1
	})
	old, _ := memberOf(n1.hub, "n2")
	n2.crash()
	restarted := time.Now()
	n2b := startTCPNode(t, "n2", timing, n2.addr, n1.addr)
	waitFor(t, 30*time.Second, "the restarted n2 is admitted", func() bool {
		m, _ := memberOf(n1.hub, "n2")
		return m.Incarnation > old.Incarnation && m.Status == core.StatusAlive && alivePeers(n2b.hub) == 1
	})
	took := time.Since(restarted)
	t.Logf("restarted in place, admitted after %s (down_after %s)", took.Round(time.Millisecond), timing.DownAfter)
	if took >= timing.DownAfter {
		t.Fatalf("admitted only after %s: the restart waited for the old incarnation to be declared down", took)
	}
	if err := n2b.hub.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestRestartElsewhereAdmittedAfterDown: a node that crashed and restarts
// at a new address (a rescheduled pod) is refused while its old
// incarnation still counts as alive, admitted once that one is declared
// down, and does not give up meanwhile.
func TestRestartElsewhereAdmittedAfterDown(t *testing.T) {
	timing := identityTiming(time.Second)
	n1 := startTCPNode(t, "n1", timing, "")
	n2 := startTCPNode(t, "n2", timing, "", n1.addr)
	waitFor(t, 30*time.Second, "n1 and n2 see each other", func() bool {
		return alivePeers(n1.hub) == 1 && alivePeers(n2.hub) == 1
	})
	old, _ := memberOf(n1.hub, "n2")
	n2.crash()
	restarted := time.Now()
	n2b := startTCPNode(t, "n2", timing, "", n1.addr)
	waitFor(t, 30*time.Second, "the restarted n2 is admitted", func() bool {
		m, _ := memberOf(n1.hub, "n2")
		return m.Incarnation > old.Incarnation && m.Status == core.StatusAlive && alivePeers(n2b.hub) == 1
	})
	t.Logf("restarted elsewhere, admitted after %s (down_after %s)", time.Since(restarted).Round(time.Millisecond), timing.DownAfter)
	if err := n2b.hub.Err(); err != nil {
		t.Fatalf("the restarted node gave up: %v", err)
	}
}
