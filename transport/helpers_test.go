package transport

import (
	"context"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

var testSecret = []byte("0123456789abcdef-test-secret")

// checkNoLeak fails t if, once every later cleanup (transports' Close) has
// run, more goroutines exist than when it was called. It polls with a
// bounded loop instead of sleeping for a fixed time.
func checkNoLeak(t testing.TB) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, runtime.NumGoroutine(), buf)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// logRecorder is a slog.Handler that keeps Warn-and-above messages.
type logRecorder struct {
	mu    sync.Mutex
	warns []string
}

func (r *logRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.String())
		return true
	})
	r.mu.Lock()
	r.warns = append(r.warns, b.String())
	r.mu.Unlock()
	return nil
}
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *logRecorder) WithGroup(string) slog.Handler      { return r }

// waitWarn waits until a warning containing substr was logged.
func (r *logRecorder) waitWarn(t testing.TB, substr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, w := range r.warns {
			if strings.Contains(w, substr) {
				r.mu.Unlock()
				return
			}
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Fatalf("no warning containing %q; got %q", substr, r.warns)
}

// testConfig returns a config with short timeouts for tests.
func testConfig(name core.NodeID) TCPConfig {
	return TCPConfig{
		Name:             name,
		ListenAddr:       "127.0.0.1:0",
		HubID:            "test-hub",
		Secret:           testSecret,
		Logger:           slog.New(slog.DiscardHandler),
		DialTimeout:      time.Second,
		HandshakeTimeout: time.Second,
		WriteTimeout:     time.Second,
		PingInterval:     200 * time.Millisecond,
		BackoffMin:       5 * time.Millisecond,
		BackoffMax:       50 * time.Millisecond,
	}
}

// newTestTCP starts a transport that is closed when the test ends.
func newTestTCP(t testing.TB, cfg TCPConfig) *TCP {
	t.Helper()
	tr, err := NewTCP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

func heartbeat(from core.NodeID, seq uint64) core.Message {
	return core.Message{Kind: core.MsgHeartbeat, Hub: "test-hub", From: from, Inc: 1, Seq: seq}
}

// recv waits up to d for one message.
func recv(t testing.TB, tr Transport, d time.Duration) Inbound {
	t.Helper()
	select {
	case in, ok := <-tr.Inbox():
		if !ok {
			t.Fatal("inbox closed")
		}
		return in
	case <-time.After(d):
		t.Fatal("no message received")
	}
	return Inbound{}
}

// expectNothing fails if a message arrives within d.
func expectNothing(t testing.TB, tr Transport, d time.Duration) {
	t.Helper()
	select {
	case in := <-tr.Inbox():
		t.Fatalf("unexpected delivery: %+v", in)
	case <-time.After(d):
	}
}
