package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/phub/phub/core"
)

// batchMessage is a replication message of n registry entries.
func batchMessage(from core.NodeID, n int) core.Message {
	m := core.Message{Kind: core.MsgReplicate, Hub: "test-hub", From: from, Inc: 1, Seq: 1}
	m.Entries = make([]core.Entry, n)
	for i := range m.Entries {
		m.Entries[i] = core.Entry{
			Spec:     core.ChildSpec{ID: core.ChildID(fmt.Sprintf("child-%06d", i)), Kind: "counter"},
			Epoch:    uint64(i + 1),
			Replicas: []core.Replica{{Node: from, Incarnation: 1, Epoch: uint64(i + 1), Active: true}},
		}
	}
	return m
}

// BenchmarkTCPThroughput sends b.N messages of 1,000 registry entries each
// from one TCP transport to another over loopback (encode, frame, write,
// read, decode, validate, deliver) and reports messages/s and MB/s of
// frames.
func BenchmarkTCPThroughput(b *testing.B) {
	ac, rc := testConfig("a"), testConfig("r")
	if testing.Verbose() {
		h := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
		ac.Logger, rc.Logger = slog.New(h), slog.New(h)
	}
	a := newTestTCP(b, ac)
	r := newTestTCP(b, rc)
	a.SetAddress("r", r.Addr())
	m := batchMessage("a", 1000)
	frame, err := AppendMessageFrame(nil, &m, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range b.N {
			if _, ok := <-r.Inbox(); !ok {
				return
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; {
		switch err := a.Send("r", m); {
		case err == nil:
			i++
		case errors.Is(err, ErrQueueFull):
			runtime.Gosched() // the bounded queue pushes back
		default:
			b.Fatal(err)
		}
	}
	<-done
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
