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

// claimsMessage is a full claims list of n claims.
func claimsMessage(from core.NodeID, n int) core.Message {
	m := core.Message{Kind: core.MsgClaims, Hub: "test-hub", From: from, Inc: 1, Version: 42, Full: true}
	m.Claims = make([]core.Claim, n)
	for i := range m.Claims {
		m.Claims[i] = core.Claim{ID: core.ChildID(fmt.Sprintf("child-%06d", i)), Epoch: uint64(i + 1), Instance: uint64(3*i + 1), Active: true}
	}
	return m
}

// richBatchMessage is batchMessage with the fields a real full sync
// carries: holder, writer, params and a metadata tag.
func richBatchMessage(from core.NodeID, n int) core.Message {
	m := batchMessage(from, n)
	for i := range m.Entries {
		e := &m.Entries[i]
		e.Holder, e.By = from, from
		e.Spec.Params = map[string]string{"start": fmt.Sprint(i)}
		e.Metadata = core.Metadata{"tag": "group-" + fmt.Sprint(i%16)}
	}
	return m
}

// BenchmarkCodec compares the JSON and binary payload encodings of large
// messages (10,000 entries, 10,000 claims). Decode includes Validate, as
// on the wire. MB/s is of each format's own encoding.
func BenchmarkCodec(b *testing.B) {
	msgs := []struct {
		name string
		m    core.Message
	}{
		{"entries10k", batchMessage("a", 10000)},
		{"entries10k_rich", richBatchMessage("a", 10000)},
		{"claims10k", claimsMessage("a", 10000)},
	}
	codecs := []struct {
		name   string
		encode func(*core.Message) ([]byte, error)
		decode func([]byte, int) (core.Message, error)
	}{
		{"json", EncodeMessage, DecodeMessage},
		{"binary", EncodeMessageBinary, DecodeMessageBinary},
	}
	for _, msg := range msgs {
		for _, c := range codecs {
			p, err := c.encode(&msg.m)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(msg.name+"/"+c.name+"/encode", func(b *testing.B) {
				b.SetBytes(int64(len(p)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.encode(&msg.m); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(msg.name+"/"+c.name+"/decode", func(b *testing.B) {
				b.SetBytes(int64(len(p)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.decode(p, defaultMaxBatch); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkTCPThroughput sends b.N messages of 1,000 registry entries each
// from one TCP transport to another over loopback (encode, frame, write,
// read, decode, validate, deliver) and reports messages/s, entries/s and
// MB/s of frames, for the binary encoding (the default) and JSON
// (TCPConfig.WireJSON).
func BenchmarkTCPThroughput(b *testing.B) {
	for _, wireJSON := range []bool{false, true} {
		name := "binary"
		if wireJSON {
			name = "json"
		}
		b.Run(name, func(b *testing.B) { benchTCPThroughput(b, wireJSON) })
	}
}

func benchTCPThroughput(b *testing.B, wireJSON bool) {
	ac, rc := testConfig("a"), testConfig("r")
	ac.WireJSON = wireJSON
	if testing.Verbose() {
		h := slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
		ac.Logger, rc.Logger = slog.New(h), slog.New(h)
	}
	a := newTestTCP(b, ac)
	r := newTestTCP(b, rc)
	a.SetAddress("r", r.Addr())
	const entries = 1000
	m := batchMessage("a", entries)
	encode := AppendMessageFrame
	if wireJSON {
		encode = AppendMessageFrameJSON
	}
	frame, err := encode(nil, &m, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
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
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/secs, "msgs/s")
	b.ReportMetric(float64(b.N*entries)/secs, "entries/s")
}
