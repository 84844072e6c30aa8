package transport

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"
)

func TestLogLimiterOneLinePerSourcePerInterval(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLogLimiter(10 * time.Second)
	l.now = func() time.Time { return now }
	if ok, n := l.allow("10.0.0.1"); !ok || n != 0 {
		t.Fatalf("first line: ok=%v suppressed=%d", ok, n)
	}
	for i := 0; i < 99; i++ {
		if ok, _ := l.allow("10.0.0.1"); ok {
			t.Fatalf("line %d within the interval was allowed", i+2)
		}
	}
	if ok, _ := l.allow("10.0.0.2"); !ok {
		t.Fatal("another source was suppressed")
	}
	now = now.Add(10 * time.Second)
	if ok, n := l.allow("10.0.0.1"); !ok || n != 99 {
		t.Fatalf("after the interval: ok=%v suppressed=%d, want true 99", ok, n)
	}
}

func TestLogLimiterBoundsSources(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLogLimiter(time.Minute)
	l.now = func() time.Time { return now }
	allowed := 0
	for i := 0; i < 3*maxLogSources; i++ {
		if ok, _ := l.allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256)); ok {
			allowed++
		}
	}
	if len(l.sources) > maxLogSources {
		t.Fatalf("%d sources tracked, limit %d", len(l.sources), maxLogSources)
	}
	if allowed != maxLogSources {
		t.Fatalf("%d lines allowed, want %d (then one shared line)", allowed, maxLogSources)
	}
}

// warnCount returns how many warnings were logged, and how many contain sub.
func (r *logRecorder) warnCount(sub string) (all, matching int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.warns {
		if strings.Contains(w, sub) {
			matching++
		}
	}
	return len(r.warns), matching
}

// TestTCPWrongSecretJoinLogsOneLineEachSide: a node with the wrong secret
// retries its join many times; the targeted node logs exactly one line
// naming the mismatch (it logged none: the joiner hung up silently), and
// the joiner logs one clear error.
func TestTCPWrongSecretJoinLogsOneLineEachSide(t *testing.T) {
	checkNoLeak(t)
	blogs, alogs := &logRecorder{}, &logRecorder{}
	bcfg := testConfig("b")
	bcfg.Logger = slog.New(blogs)
	bcfg.RejectLogInterval = time.Hour
	b := newTestTCP(t, bcfg)
	acfg := testConfig("a")
	acfg.Secret = []byte("another-secret-of-enough-bytes")
	acfg.Logger = slog.New(alogs)
	acfg.RejectLogInterval = time.Hour
	a := newTestTCP(t, acfg)
	a.SetAddress("b", b.Addr())
	if err := a.Send("b", heartbeat("a", 1)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "five failed join attempts", func() bool { return b.handshakeFailures.Load() >= 5 })
	if all, n := blogs.warnCount(`MAC mismatch: dialer "a": the cluster secrets differ`); all != 1 || n != 1 {
		t.Fatalf("target logged %d lines (%d naming the mismatch), want exactly 1: %q", all, n, blogs.warns)
	}
	if all, n := alogs.warnCount(`acceptor "b": the cluster secrets differ`); all != 1 || n != 1 {
		t.Fatalf("joiner logged %d lines (%d naming the mismatch), want exactly 1: %q", all, n, alogs.warns)
	}
	expectNothing(t, b, 20*time.Millisecond)
}

// TestTCPIdleConnectionFloodLogsBounded: one client opening many idle
// connections (the issue: 1,100 connections, 125,182 lines in 6 s) costs
// one log line per interval, and a real peer still gets through.
func TestTCPIdleConnectionFloodLogsBounded(t *testing.T) {
	checkNoLeak(t)
	logs := &logRecorder{}
	cfg := testConfig("b")
	cfg.Logger = slog.New(logs)
	cfg.HandshakeTimeout = 200 * time.Millisecond
	cfg.MaxHandshakes = 8
	cfg.RejectLogInterval = time.Hour
	b := newTestTCP(t, cfg)
	const n = 150
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		expectClosedByPeer(t, c) // by the handshake cap or the handshake deadline
		c.Close()
	}
	if all, _ := logs.warnCount(""); all != 1 {
		t.Fatalf("%d warning lines for one flooding source, want 1: %q", all, logs.warns)
	}
	checkStillWorks(t, b)
}

// TestTCPHandshakeCap: with MaxHandshakes idle connections in the
// handshake, the next connection is closed at once rather than after
// HandshakeTimeout; a slot freed lets a real peer in.
func TestTCPHandshakeCap(t *testing.T) {
	checkNoLeak(t)
	cfg := testConfig("b")
	cfg.HandshakeTimeout = time.Minute
	cfg.MaxHandshakes = 4
	b := newTestTCP(t, cfg)
	var idle []net.Conn
	for i := 0; i < cfg.MaxHandshakes; i++ {
		c, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		idle = append(idle, c)
	}
	extra, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	expectClosedByPeer(t, extra) // well before the one-minute handshake deadline
	idle[0].Close()
	checkStillWorks(t, b)
}

// waitUntil polls cond until it holds or d passes.
func waitUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
