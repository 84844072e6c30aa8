package transport

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"

	"github.com/phub/phub/core"
)

func sampleMessage() core.Message {
	return core.Message{
		Kind: core.MsgReplicate, Hub: "h", From: "n1", Inc: 3, Seq: 42,
		Members: []core.Member{{Name: "n2", Incarnation: 1, Status: core.StatusAlive, Addr: "127.0.0.1:1"}},
		Entries: []core.Entry{{
			Spec:     core.ChildSpec{ID: "c1", Kind: "counter", Params: map[string]string{"k": "v"}},
			Metadata: core.Metadata{"tag": "x"},
			Epoch:    5,
			Replicas: []core.Replica{{Node: "n1", Incarnation: 3, Epoch: 5, Active: true}},
		}},
		State: []byte{0, 1, 2, 255},
		Acks:  []core.NodeID{"n3"},
	}
}

func TestMessageFrameRoundtrip(t *testing.T) {
	m := sampleMessage()
	b, err := AppendMessageFrame(nil, &m, 0)
	if err != nil {
		t.Fatal(err)
	}
	f, n, err := DecodeFrame(b, 0)
	if err != nil || n != len(b) || f.Type != FrameMessageBin {
		t.Fatalf("DecodeFrame: %v n=%d type=%v", err, n, f.Type)
	}
	got, err := DecodeMessageFrame(f, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("roundtrip:\n got %+v\nwant %+v", got, m)
	}
	// The legacy JSON frame decodes to the same message.
	jb, err := AppendMessageFrameJSON(nil, &m, 0)
	if err != nil {
		t.Fatal(err)
	}
	jf, _, err := DecodeFrame(jb, 0)
	if err != nil || jf.Type != FrameMessage {
		t.Fatalf("DecodeFrame JSON: %v type=%v", err, jf.Type)
	}
	if got, err := DecodeMessageFrame(jf, 100); err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("JSON roundtrip: %v\n got %+v\nwant %+v", err, got, m)
	}
	if _, err := DecodeMessageFrame(Frame{Type: FramePing}, 100); !errors.Is(err, ErrUnknownFrameType) {
		t.Fatalf("ping as message: %v", err)
	}
	// The same through a stream, two frames back to back.
	r := bytes.NewReader(append(append([]byte(nil), b...), b...))
	var buf []byte
	for range 2 {
		var f Frame
		f, buf, err = ReadFrame(r, buf, 0)
		if err != nil || f.Type != FrameMessageBin || !bytes.Equal(f.Payload, b[frameHeaderBytes:]) {
			t.Fatalf("ReadFrame: %v", err)
		}
	}
	if _, _, err := ReadFrame(r, buf, 0); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

func TestDecodeFrameErrors(t *testing.T) {
	ok, _ := AppendFrame(nil, FramePing, []byte("abc"), 0)
	cases := []struct {
		name string
		in   []byte
		max  int
		want error
	}{
		{"empty", nil, 0, ErrShortFrame},
		{"partial length", []byte{0, 0}, 0, ErrShortFrame},
		{"length below 2", []byte{0, 0, 0, 1, 1}, 0, ErrShortFrame},
		{"zero length", []byte{0, 0, 0, 0, 1, 1}, 0, ErrShortFrame},
		{"truncated payload", ok[:len(ok)-1], 0, ErrShortFrame},
		{"oversize", ok, 8, ErrFrameTooLarge},
		{"oversize header only", []byte{0x7f, 0, 0, 0}, 0, ErrFrameTooLarge},
		{"version 0", []byte{0, 0, 0, 2, 0, 1}, 0, ErrUnknownVersion},
		{"version 2", []byte{0, 0, 0, 2, 2, 1}, 0, ErrUnknownVersion},
		{"type 0", []byte{0, 0, 0, 2, 1, 0}, 0, ErrUnknownFrameType},
		{"type 200", []byte{0, 0, 0, 2, 1, 200}, 0, ErrUnknownFrameType},
	}
	for _, c := range cases {
		if _, _, err := DecodeFrame(c.in, c.max); !errors.Is(err, c.want) {
			t.Errorf("DecodeFrame %s: got %v, want %v", c.name, err, c.want)
		}
		if len(c.in) == 0 {
			continue
		}
		if _, _, err := ReadFrame(bytes.NewReader(c.in), nil, c.max); !errors.Is(err, c.want) {
			t.Errorf("ReadFrame %s: got %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := AppendFrame(nil, FrameMessage, make([]byte, 100), 50); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("AppendFrame oversize: %v", err)
	}
	if _, n, err := DecodeFrame(append(ok, 9, 9), 0); err != nil || n != len(ok) {
		t.Errorf("trailing bytes: n=%d err=%v", n, err)
	}
}

func TestDecodeMessageErrors(t *testing.T) {
	for _, c := range []struct {
		in   string
		want error
	}{
		{``, ErrBadPayload},
		{`{`, ErrBadPayload},
		{`[]`, ErrBadPayload},
		{`{"k":"x"}`, ErrBadPayload},
		{`null`, ErrInvalidMessage},
		{`{}`, ErrInvalidMessage},
		{`{"k":3}`, ErrInvalidMessage},             // no sender
		{`{"k":99,"from":"a"}`, ErrInvalidMessage}, // unknown kind
		{`{"k":5,"from":"a","items":[{"spec":{"id":""}}]}`, ErrInvalidMessage},
	} {
		if _, err := DecodeMessage([]byte(c.in), 10); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.in, err, c.want)
		}
	}
	m := sampleMessage()
	m.IDs = make([]core.ChildID, 2000)
	for i := range m.IDs {
		m.IDs[i] = "x"
	}
	p, _ := EncodeMessage(&m)
	if _, err := DecodeMessage(p, 10); !errors.Is(err, ErrInvalidMessage) {
		t.Errorf("oversize batch: %v", err)
	}
	if _, err := DecodeMessage([]byte(`{"k":3,"from":"a","future_field":1}`), 10); err != nil {
		t.Errorf("unknown field should be ignored: %v", err)
	}
}
