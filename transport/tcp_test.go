package transport

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

func TestTCPRoundtripThree(t *testing.T) {
	checkNoLeak(t)
	names := []core.NodeID{"n1", "n2", "n3"}
	trs := map[core.NodeID]*TCP{}
	for _, n := range names {
		trs[n] = newTestTCP(t, testConfig(n))
	}
	for _, a := range names {
		for _, b := range names {
			if a != b {
				trs[a].SetAddress(b, trs[b].Addr())
			}
		}
	}
	for _, a := range names {
		for _, b := range names {
			if a != b {
				if err := trs[a].Send(b, heartbeat(a, 7)); err != nil {
					t.Fatalf("%s->%s: %v", a, b, err)
				}
			}
		}
	}
	for _, b := range names {
		got := map[core.NodeID]bool{}
		for range 2 {
			in := recv(t, trs[b], 5*time.Second)
			if in.From != in.Msg.From || in.Msg.Seq != 7 || in.Msg.Kind != core.MsgHeartbeat {
				t.Fatalf("%s got %+v", b, in)
			}
			got[in.From] = true
		}
		if len(got) != 2 || got[b] {
			t.Fatalf("%s got messages from %v", b, got)
		}
	}
}

func TestTCPOrderPreserved(t *testing.T) {
	checkNoLeak(t)
	a := newTestTCP(t, testConfig("a"))
	b := newTestTCP(t, testConfig("b"))
	a.SetAddress("b", b.Addr())
	const n = 500
	for i := range uint64(n) {
		if err := a.Send("b", heartbeat("a", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range uint64(n) {
		if in := recv(t, b, 5*time.Second); in.Msg.Seq != i {
			t.Fatalf("got seq %d, want %d", in.Msg.Seq, i)
		}
	}
}

func TestTCPSeedNamedByAddress(t *testing.T) {
	checkNoLeak(t)
	seed := newTestTCP(t, testConfig("n1"))
	joiner := newTestTCP(t, testConfig("n2"))
	seedAddr := core.NodeID(seed.Addr())
	joiner.SetAddress(seedAddr, string(seedAddr))
	if err := joiner.Send(seedAddr, heartbeat("n2", 1)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, seed, 5*time.Second); in.From != "n2" {
		t.Fatalf("seed got %+v", in)
	}
	// The seed learned n2's advertised address from the handshake and can answer.
	if err := seed.Send("n2", heartbeat("n1", 2)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, joiner, 5*time.Second); in.From != "n1" || in.Msg.Seq != 2 {
		t.Fatalf("joiner got %+v", in)
	}
	// The joiner learned the seed's real name from the handshake.
	if err := joiner.Send("n1", heartbeat("n2", 3)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, seed, 5*time.Second); in.From != "n2" || in.Msg.Seq != 3 {
		t.Fatalf("seed got %+v", in)
	}
}

func TestTCPWrongNameAtAddress(t *testing.T) {
	checkNoLeak(t)
	logs := &logRecorder{}
	cfg := testConfig("a")
	cfg.Logger = slog.New(logs)
	a := newTestTCP(t, cfg)
	b := newTestTCP(t, testConfig("b"))
	a.SetAddress("c", b.Addr()) // stale: b listens there, not c
	if err := a.Send("c", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	logs.waitWarn(t, "unexpected peer name")
	expectNothing(t, b, 100*time.Millisecond)
}

func TestTCPReconnect(t *testing.T) {
	checkNoLeak(t)
	a := newTestTCP(t, testConfig("a"))
	b, err := NewTCP(testConfig("b"))
	if err != nil {
		t.Fatal(err)
	}
	addr := b.Addr()
	a.SetAddress("b", addr)
	if err := a.Send("b", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	recv(t, b, 5*time.Second)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for range b.Inbox() { // closed by Close
	}

	cfg := testConfig("b")
	cfg.ListenAddr = addr
	b2 := newTestTCP(t, cfg)
	// Messages sent while a still holds the dead connection may be lost;
	// core retries, and so does this loop, bounded.
	deadline := time.Now().Add(5 * time.Second)
	for seq := uint64(2); ; seq++ {
		if time.Now().After(deadline) {
			t.Fatal("no delivery after restart")
		}
		if err := a.Send("b", heartbeat("a", seq)); err != nil && !errors.Is(err, ErrQueueFull) {
			t.Fatal(err)
		}
		select {
		case in := <-b2.Inbox():
			if in.From != "a" {
				t.Fatalf("got %+v", in)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func TestTCPWrongSecretRejected(t *testing.T) {
	checkNoLeak(t)
	logs := &logRecorder{}
	cfg := testConfig("b")
	cfg.Logger = slog.New(logs)
	b := newTestTCP(t, cfg)
	acfg := testConfig("a")
	acfg.Secret = []byte("another-secret-of-enough-bytes")
	alogs := &logRecorder{}
	acfg.Logger = slog.New(alogs)
	a := newTestTCP(t, acfg)
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	alogs.waitWarn(t, "MAC mismatch") // a sees b cannot prove the secret
	expectNothing(t, b, 200*time.Millisecond)
}

func TestTCPHubMismatchRejected(t *testing.T) {
	checkNoLeak(t)
	logs := &logRecorder{}
	cfg := testConfig("b")
	cfg.Logger = slog.New(logs)
	b := newTestTCP(t, cfg)
	acfg := testConfig("a")
	acfg.HubID = "other-hub"
	a := newTestTCP(t, acfg)
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	logs.waitWarn(t, "hub id mismatch")
	expectNothing(t, b, 100*time.Millisecond)
}

// expectClosedByPeer waits until the server closes c.
func expectClosedByPeer(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("server did not close the connection")
		}
	}
}

// checkStillWorks proves b still accepts a legitimate peer.
func checkStillWorks(t *testing.T, b *TCP) {
	t.Helper()
	a := newTestTCP(t, testConfig("good"))
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("good", 99)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, b, 5*time.Second); in.From != "good" || in.Msg.Seq != 99 {
		t.Fatalf("got %+v", in)
	}
}

func TestTCPGarbageClient(t *testing.T) {
	checkNoLeak(t)
	logs := &logRecorder{}
	cfg := testConfig("b")
	cfg.Logger = slog.New(logs)
	b := newTestTCP(t, cfg)
	for _, garbage := range [][]byte{
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		{0, 0, 0, 0},
		{0, 0, 0, 3, 9, 1, 0},          // unknown version
		{0, 0, 0, 2, 1, 4},             // a message frame before the handshake
		{0xff, 0xff, 0xff, 0xff, 1, 1}, // oversized handshake frame
		{0, 0, 0, 6, 1, 1, 0, 1, 'x', 0},
	} {
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.Write(garbage)
		expectClosedByPeer(t, c)
		c.Close()
	}
	logs.waitWarn(t, "handshake failed")
	expectNothing(t, b, 50*time.Millisecond)
	checkStillWorks(t, b)
}

func TestTCPSilentClientTimesOut(t *testing.T) {
	checkNoLeak(t)
	cfg := testConfig("b")
	cfg.HandshakeTimeout = 100 * time.Millisecond
	b := newTestTCP(t, cfg)
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	expectClosedByPeer(t, c) // never sent a hello
}

// rawPeer completes a real handshake with b over a plain connection and
// returns it, so a test can then misbehave as an authenticated peer.
func rawPeer(t *testing.T, b *TCP, name core.NodeID) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(5 * time.Second))
	info, err := dialHandshake(c, handshakeParams{Hub: "test-hub", Name: name, Secret: testSecret}, "b")
	if err != nil || info.Name != "b" {
		t.Fatalf("handshake: %v %+v", err, info)
	}
	return c
}

func TestTCPAuthenticatedButHostile(t *testing.T) {
	big := make([]byte, 4)
	binary.BigEndian.PutUint32(big, 1<<20) // more than MaxFrameBytes below
	spoofed, _ := AppendMessageFrame(nil, ptr(heartbeat("someone-else", 1)), 0)
	invalid, _ := AppendMessageFrame(nil, &core.Message{Kind: 200, From: "evil"}, 0)
	badJSON, _ := AppendFrame(nil, FrameMessage, []byte(`{"k":`), 0)
	challengeAfter, _ := AppendFrame(nil, FrameChallenge, nil, 0)
	for _, tc := range []struct {
		name, warn string
		send       []byte
	}{
		{"oversized", "frame too large", append(big, 1, 4)},
		{"spoofed-from", "sender differs", spoofed},
		{"invalid", "invalid message", invalid},
		{"bad-json", "bad payload", badJSON},
		{"unexpected-frame", "unexpected frame", challengeAfter},
		{"unknown-type", "unknown frame type", []byte{0, 0, 0, 2, 1, 77}},
		{"truncated", "short frame", []byte{0, 0, 0, 9, 1, 4, '{'}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkNoLeak(t)
			logs := &logRecorder{}
			cfg := testConfig("b")
			cfg.Logger = slog.New(logs)
			cfg.MaxFrameBytes = 64 << 10
			b := newTestTCP(t, cfg)
			c := rawPeer(t, b, "evil")
			c.Write(tc.send)
			if tc.name == "truncated" {
				c.(*net.TCPConn).CloseWrite()
			}
			expectClosedByPeer(t, c)
			logs.waitWarn(t, tc.warn)
			expectNothing(t, b, 20*time.Millisecond)
			checkStillWorks(t, b)
		})
	}
}

func TestTCPIdleAuthenticatedPeerClosed(t *testing.T) {
	checkNoLeak(t)
	cfg := testConfig("b")
	cfg.PingInterval = 50 * time.Millisecond
	cfg.IdleTimeout = 150 * time.Millisecond
	b := newTestTCP(t, cfg)
	c := rawPeer(t, b, "quiet")
	expectClosedByPeer(t, c) // authenticated, then never pings
}

func TestTCPPingsKeepConnectionAlive(t *testing.T) {
	checkNoLeak(t)
	cfg := func(n core.NodeID) TCPConfig {
		c := testConfig(n)
		// The idle gaps below outlast IdleTimeout, so only the pings keep
		// the connection open; IdleTimeout is far above PingInterval so a
		// loaded machine's scheduling stalls (a 100 ms timeout failed at
		// load 27) do not close it either.
		c.PingInterval = 20 * time.Millisecond
		c.IdleTimeout = time.Second
		return c
	}
	logs := &logRecorder{}
	bc := cfg("b")
	bc.Logger = slog.New(logs)
	a, b := newTestTCP(t, cfg("a")), newTestTCP(t, bc)
	a.SetAddress("b", b.Addr())
	for i := range uint64(3) {
		if err := a.Send("b", heartbeat("a", i)); err != nil {
			t.Fatal(err)
		}
		if in := recv(t, b, 5*time.Second); in.Msg.Seq != i {
			t.Fatalf("got %+v", in)
		}
		time.Sleep(1300 * time.Millisecond) // idle for longer than IdleTimeout: only pings keep it open
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	if len(logs.warns) != 0 {
		t.Fatalf("warnings on a healthy idle connection: %q", logs.warns)
	}
}

func TestTCPSendErrors(t *testing.T) {
	checkNoLeak(t)
	cfg := testConfig("a")
	cfg.SendQueue = 4
	a := newTestTCP(t, cfg)
	if err := a.Send("nobody", heartbeat("a", 1)); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("unknown peer: %v", err)
	}
	if err := a.Send("x", core.Message{From: "a"}); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("invalid: %v", err)
	}
	if err := a.Send("x", heartbeat("not-a", 1)); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("foreign sender: %v", err)
	}
	// A peer nobody listens on: the queue fills and Send reports it.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	a.SetAddress("down", dead)
	var full bool
	for i := range 100 {
		if err := a.Send("down", heartbeat("a", uint64(i))); errors.Is(err, ErrQueueFull) {
			full = true
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if !full {
		t.Fatal("queue never filled")
	}
	a.Close()
	if err := a.Send("down", heartbeat("a", 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestTCPConfigValidate(t *testing.T) {
	good := testConfig("a")
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*TCPConfig){
		"Name":          func(c *TCPConfig) { c.Name = "" },
		"Secret":        func(c *TCPConfig) { c.Secret = []byte("short") },
		"IdleTimeout":   func(c *TCPConfig) { c.IdleTimeout = c.PingInterval },
		"MaxFrameBytes": func(c *TCPConfig) { c.MaxFrameBytes = 10 },
		"BackoffMin":    func(c *TCPConfig) { c.BackoffMax = c.BackoffMin / 2 },
	} {
		c := testConfig("a")
		mut(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	insecure := TCPConfig{Name: "a", InsecureNoAuth: true}
	if err := insecure.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestTCPInsecureNoAuth(t *testing.T) {
	checkNoLeak(t)
	cfg := func(n core.NodeID) TCPConfig {
		c := testConfig(n)
		c.Secret, c.InsecureNoAuth = nil, true
		return c
	}
	a, b := newTestTCP(t, cfg("a")), newTestTCP(t, cfg("b"))
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	recv(t, b, 5*time.Second)
	// A node with a secret refuses an insecure one.
	c := newTestTCP(t, testConfig("c"))
	a.SetAddress("c", c.Addr())
	a.Send("c", heartbeat("a", 1))
	expectNothing(t, c, 200*time.Millisecond)
}

func TestBackoffBounds(t *testing.T) {
	b := backoff{min: 10 * time.Millisecond, max: 80 * time.Millisecond}
	want := []time.Duration{10, 20, 40, 80, 80, 80}
	for i, w := range want {
		w *= time.Millisecond
		if d := b.next(); d < w/2 || d > w {
			t.Fatalf("attempt %d: %v not in [%v, %v]", i, d, w/2, w)
		}
	}
	b.reset()
	if d := b.next(); d > 10*time.Millisecond {
		t.Fatalf("after reset: %v", d)
	}
}

func ptr[T any](v T) *T { return &v }

// TestTCPMixedEncodings: a receiver accepts both JSON (FrameMessage) and
// binary (FrameMessageBin) frames, interleaved on one connection, and a
// WireJSON sender interoperates with a default one.
func TestTCPMixedEncodings(t *testing.T) {
	checkNoLeak(t)
	b := newTestTCP(t, testConfig("b"))
	c := rawPeer(t, b, "mixed")
	m := richMessage()
	m.From = "mixed"
	jf, err := AppendMessageFrameJSON(nil, &m, 0)
	if err != nil {
		t.Fatal(err)
	}
	bf, err := AppendMessageFrame(nil, &m, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(append(append(append([]byte(nil), jf...), bf...), jf...)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if in := recv(t, b, 5*time.Second); !reflect.DeepEqual(in.Msg, m) {
			t.Fatalf("message %d: got %+v", i, in.Msg)
		}
	}
	cfg := testConfig("old")
	cfg.WireJSON = true
	a := newTestTCP(t, cfg)
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("old", 5)); err != nil {
		t.Fatal(err)
	}
	if in := recv(t, b, 5*time.Second); in.From != "old" || in.Msg.Seq != 5 {
		t.Fatalf("got %+v", in)
	}
}
