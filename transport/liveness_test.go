package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// outboundConn returns a's current outbound connection to name, or nil.
func outboundConn(a *TCP, name core.NodeID) net.Conn {
	a.mu.Lock()
	p := a.peers[name]
	a.mu.Unlock()
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.raw
}

// inboundConns returns b's authenticated inbound connections from name.
func inboundConns(b *TCP, name core.NodeID) []net.Conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []net.Conn
	for c := range b.inbound[name] {
		out = append(out, c)
	}
	return out
}

// TestTCPResetPeerRedials: ResetPeer closes the outbound connection to a
// peer and the inbound ones from it; the next message goes over a new
// connection.
func TestTCPResetPeerRedials(t *testing.T) {
	checkNoLeak(t)
	a := newTestTCP(t, testConfig("a"))
	b := newTestTCP(t, testConfig("b"))
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	recv(t, b, 5*time.Second)
	old := outboundConn(a, "b")
	if old == nil {
		t.Fatal("no outbound connection after a delivery")
	}
	a.ResetPeer("b")
	waitUntil(t, 5*time.Second, "b's inbound connection from a closed", func() bool { return len(inboundConns(b, "a")) == 0 })
	if err := a.Send("b", heartbeat("a", 2)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, b, 5*time.Second); in.Msg.Seq != 2 {
		t.Fatalf("got %+v", in)
	}
	if c := outboundConn(a, "b"); c == nil || c == old {
		t.Fatalf("message 2 did not use a new connection (old %v, now %v)", old, c)
	}

	// The acceptor side: b drops a's inbound connection.
	c := rawPeer(t, b, "evil")
	waitUntil(t, 5*time.Second, "evil registered", func() bool { return len(inboundConns(b, "evil")) == 1 })
	b.ResetPeer("evil")
	expectClosedByPeer(t, c)
}

// TestTCPConnectionsCarryDeadPeerTimeout: both ends of a connection get
// TCP_USER_TIMEOUT = DeadPeerAfter, so the kernel drops a connection whose
// data stays unacknowledged that long instead of retransmitting for
// minutes.
func TestTCPConnectionsCarryDeadPeerTimeout(t *testing.T) {
	checkNoLeak(t)
	cfg := func(n core.NodeID) TCPConfig {
		c := testConfig(n)
		c.DeadPeerAfter = 1500 * time.Millisecond
		return c
	}
	a := newTestTCP(t, cfg("a"))
	b := newTestTCP(t, cfg("b"))
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	recv(t, b, 5*time.Second)
	out := outboundConn(a, "b")
	in := inboundConns(b, "a")
	if out == nil || len(in) != 1 {
		t.Fatalf("connections: outbound %v, inbound %v", out, in)
	}
	for side, c := range map[string]net.Conn{"dialer": out, "acceptor": in[0]} {
		d, err := userTimeout(c.(*net.TCPConn))
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skip("TCP_USER_TIMEOUT is Linux-only")
		}
		if err != nil || d != 1500*time.Millisecond {
			t.Fatalf("%s: TCP_USER_TIMEOUT %s, %v; want 1.5s", side, d, err)
		}
	}
}

// TestTCPDefaultsRedialWithinASecond: the defaults redial a healed peer
// within about a second (backoff capped at 1s, attempts paced from their
// start, connects abandoned after 2s) and let the kernel drop a dead
// connection after core's default DownAfter.
func TestTCPDefaultsRedialWithinASecond(t *testing.T) {
	c := TCPConfig{}.withDefaults()
	if c.BackoffMax > time.Second || c.DialTimeout > 2*time.Second {
		t.Fatalf("BackoffMax %s, DialTimeout %s: a healed peer would wait longer than about a second", c.BackoffMax, c.DialTimeout)
	}
	if c.DeadPeerAfter != 5*time.Second {
		t.Fatalf("DeadPeerAfter %s, want core's DownAfter default 5s", c.DeadPeerAfter)
	}
}

// TestTCPNameInUseRefusedAtHandshake: an authenticated dialer whose name
// the acceptor's Identity.Admit refuses gets ErrNameInUse with the reason
// (and Identity.Refused is called); the acceptor logs the refusal and
// delivers nothing from it, while the admitted holder of the name keeps
// working.
func TestTCPNameInUseRefusedAtHandshake(t *testing.T) {
	checkNoLeak(t)
	logs := &logRecorder{}
	bcfg := testConfig("b")
	bcfg.Logger = slog.New(logs)
	b := newTestTCP(t, bcfg)
	seen := make(chan PeerHello, 16)
	b.SetIdentity(Identity{Incarnation: 1, Admit: func(h PeerHello) error {
		seen <- h
		if h.Name == "dup" && h.Incarnation != 7 {
			return fmt.Errorf("%q is alive with incarnation 7", h.Name)
		}
		return nil
	}})

	real := newTestTCP(t, testConfig("dup"))
	real.SetIdentity(Identity{Incarnation: 7})
	real.SetAddress("b", b.Addr())
	if err := real.Send("dup", heartbeat("dup", 1)); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("send to self without address: %v", err)
	}
	if err := real.Send("b", heartbeat("dup", 1)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, b, 5*time.Second); in.From != "dup" || in.Msg.Seq != 1 {
		t.Fatalf("got %+v", in)
	}
	if h := <-seen; h.Incarnation != 7 || h.Advertise != real.Addr() {
		t.Fatalf("admit saw %+v, want incarnation 7 advertising %s", h, real.Addr())
	}

	refusals := make(chan error, 16)
	impostor := newTestTCP(t, testConfig("dup"))
	impostor.SetIdentity(Identity{Incarnation: 9, Refused: func(err error) { refusals <- err }})
	impostor.SetAddress("b", b.Addr())
	if err := impostor.Send("b", heartbeat("dup", 99)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-refusals:
		if !errors.Is(err, ErrNameInUse) || !strings.Contains(err.Error(), `"dup" is alive with incarnation 7`) {
			t.Fatalf("refusal: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the impostor was not told it is refused")
	}
	h := <-seen
	if h.Incarnation != 9 || h.KnownAddr != real.Addr() {
		t.Fatalf("admit saw %+v, want incarnation 9 and the known address %s", h, real.Addr())
	}
	logs.waitWarn(t, `node name in use: refused dialer "dup" (incarnation 9`)
	expectNothing(t, b, 100*time.Millisecond)
	if err := real.Send("b", heartbeat("dup", 2)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, b, 5*time.Second); in.Msg.Seq != 2 {
		t.Fatalf("got %+v", in)
	}
}
