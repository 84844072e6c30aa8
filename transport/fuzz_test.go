package transport

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func frameSeeds(f *testing.F) {
	m := sampleMessage()
	msg, _ := AppendMessageFrame(nil, &m, 0)
	ping, _ := AppendFrame(nil, FramePing, nil, 0)
	h := hello{Hub: "h", Name: "n1", Advertise: "127.0.0.1:7001", Nonce: newNonce()}
	hf, _ := AppendFrame(nil, FrameHello, h.marshal(), 0)
	for _, s := range [][]byte{msg, ping, hf, nil, {0, 0, 0, 0}, {0, 0, 0, 2, 1, 9}, {0, 0, 0, 2, 7, 1}, {0xff, 0xff, 0xff, 0xff, 1, 4}, msg[:len(msg)-3]} {
		f.Add(s)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	frameSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		const limit = 1 << 16
		fr, n, err := DecodeFrame(b, limit)
		rf, _, rerr := ReadFrame(bytes.NewReader(b), nil, limit)
		if err != nil {
			if fr.Payload != nil || n != 0 {
				t.Fatalf("error with result: %v", err)
			}
			if !errors.Is(err, ErrShortFrame) && !errors.Is(err, ErrFrameTooLarge) &&
				!errors.Is(err, ErrUnknownVersion) && !errors.Is(err, ErrUnknownFrameType) {
				t.Fatalf("unclassified error: %v", err)
			}
			if rerr == nil {
				t.Fatalf("ReadFrame accepted what DecodeFrame rejected (%v)", err)
			}
			return
		}
		if n > len(b) || n > limit {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		again, aerr := AppendFrame(nil, fr.Type, fr.Payload, limit)
		if aerr != nil || !bytes.Equal(again, b[:n]) {
			t.Fatalf("re-encoding differs: %v", aerr)
		}
		if rerr != nil || rf.Type != fr.Type || !bytes.Equal(rf.Payload, fr.Payload) {
			t.Fatalf("ReadFrame disagrees: %v", rerr)
		}
	})
}

func FuzzDecodeMessage(f *testing.F) {
	m := sampleMessage()
	p, _ := EncodeMessage(&m)
	f.Add(p)
	for _, s := range []string{`{}`, `null`, `{"k":3,"from":"a"}`, `{"k":5,"from":"a","items":[{"spec":{"id":""}}]}`,
		`{"k":7,"from":"a","entries":[{"spec":{"id":"c","params":{}}}]}`, `{"k":1,"from":"a","state":"AAEC"}`,
		`{"k":3,"from":"a","members":[{"name":"b","inc":1,"status":3,"detected":true}]}`,
		`{"k":3,"from":"a","members":[{"name":"a","inc":1,"status":1,"cordoned":true,"cordonVer":2,"recovering":true}]}`, `[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b, 100)
		if err != nil {
			if !errors.Is(err, ErrBadPayload) && !errors.Is(err, ErrInvalidMessage) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		// Decoding is stable: what we re-encode decodes to the same encoding.
		p1, err := EncodeMessage(&m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := DecodeMessage(p1, 100)
		if err != nil {
			t.Fatalf("re-encoded message rejected: %v", err)
		}
		p2, _ := EncodeMessage(&m2)
		if !bytes.Equal(p1, p2) {
			t.Fatalf("unstable encoding:\n%s\n%s", p1, p2)
		}
	})
}

func FuzzHandshake(f *testing.F) {
	h := hello{Hub: "h", Name: "n1", Advertise: "a:1", Nonce: newNonce()}
	c := challenge{Hub: "h", Name: "n2", Nonce: newNonce()}
	c.MAC = handshakeMAC(testSecret, roleAccept, &h, "n2", &c.Nonce)
	a := authFrame{MAC: c.MAC}
	for _, s := range [][]byte{h.marshal(), c.marshal(), a.marshal(), nil, {0, 1}, {0xff, 0xff}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := parseHello(b); err == nil {
			if !bytes.Equal(h.marshal(), b) {
				t.Fatal("hello not canonical")
			}
		} else if !errors.Is(err, ErrHandshake) {
			t.Fatalf("unclassified: %v", err)
		}
		if c, err := parseChallenge(b); err == nil && !bytes.Equal(c.marshal(), b) {
			t.Fatal("challenge not canonical")
		}
		if a, err := parseAuth(b); err == nil && !bytes.Equal(a.marshal(), b) {
			t.Fatal("auth not canonical")
		}
		if v, err := parseVerdict(b); err == nil && !bytes.Equal(v.marshal(), b) {
			t.Fatal("verdict not canonical")
		}
		// The acceptor's state machine over arbitrary input: never accepts
		// without the secret, never panics.
		rw := struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(b), io.Discard}
		if _, err := acceptHandshake(rw, handshakeParams{Hub: "h", Name: "n2", Secret: testSecret}); err == nil {
			t.Fatal("accepted a handshake from fuzz input")
		}
	})
}
