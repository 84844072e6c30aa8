package transport

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/phub/phub/core"
)

// A frame on the wire is
//
//	length  uint32, big-endian: number of bytes that follow (2 + payload)
//	version uint8: FrameVersion
//	type    uint8: a FrameType
//	payload length-2 bytes
//
// A whole frame, header included, is at most MaxFrameBytes long.
//
// Messages travel in FrameMessageBin frames (binary encoding, see
// codec_binary.go, whose payload carries its own version byte). The
// original JSON FrameMessage frames are still accepted by every receiver,
// and sent when TCPConfig.WireJSON is set, so nodes can be upgraded one at
// a time: upgrade receivers first with WireJSON on, then turn it off.

// FrameVersion is the version byte this package writes and accepts.
const FrameVersion = 1

// DefaultMaxFrameBytes bounds a frame (header included) unless
// configured: the frame of the largest message core's default limits
// allow (FrameBytesFor(core.DefaultLimits())).
var DefaultMaxFrameBytes = FrameBytesFor(core.DefaultLimits())

// FrameBytesFor returns the frame limit that carries every message a node
// with limits l emits: core splits messages so that their binary encoding
// is at most l.MaxMessageBytes (core.MessageBytes bounds it), and a frame
// adds its header. Transports of a node must use at least this limit.
func FrameBytesFor(l core.Limits) int { return l.MaxMessageBytes + frameHeaderBytes }

// frameHeaderBytes is the length prefix plus version and type bytes.
const frameHeaderBytes = 6

// FrameType says what a frame's payload holds.
type FrameType uint8

// Frame types. The first three only appear during the handshake.
const (
	// FrameHello opens the handshake (dialer to acceptor).
	FrameHello FrameType = iota + 1
	// FrameChallenge answers a hello (acceptor to dialer).
	FrameChallenge
	// FrameAuth completes the handshake (dialer to acceptor).
	FrameAuth
	// FrameMessage carries one core.Message encoded as JSON (the original
	// encoding; still accepted, and sent when TCPConfig.WireJSON is set).
	FrameMessage
	// FramePing is a keepalive sent by the dialer; its payload is empty.
	FramePing
	// FramePong answers a ping; its payload is empty.
	FramePong
	// FrameMessageBin carries one core.Message in the binary encoding
	// (codec_binary.go), whose payload starts with BinaryCodecVersion.
	FrameMessageBin
	frameTypeEnd
)

var frameTypeNames = [...]string{"?", "hello", "challenge", "auth", "message", "ping", "pong", "message_bin"}

// String returns the frame type's name.
func (t FrameType) String() string {
	if int(t) < len(frameTypeNames) {
		return frameTypeNames[t]
	}
	return fmt.Sprintf("frame(%d)", uint8(t))
}

// Codec errors; DecodeFrame, ReadFrame and DecodeMessage wrap them with
// detail.
var (
	// ErrShortFrame means the bytes end before the frame does, or the
	// length prefix is too small to hold version and type.
	ErrShortFrame = errors.New("transport: short frame")
	// ErrFrameTooLarge means a frame exceeds MaxFrameBytes.
	ErrFrameTooLarge = errors.New("transport: frame too large")
	// ErrUnknownVersion means the version byte is not FrameVersion.
	ErrUnknownVersion = errors.New("transport: unknown frame version")
	// ErrUnknownFrameType means the type byte names no FrameType.
	ErrUnknownFrameType = errors.New("transport: unknown frame type")
	// ErrBadPayload means a payload could not be decoded.
	ErrBadPayload = errors.New("transport: bad payload")
	// ErrInvalidMessage means a decoded message failed core's Validate.
	ErrInvalidMessage = errors.New("transport: invalid message")
)

// Frame is one decoded frame. Payload aliases the decoder's buffer.
type Frame struct {
	Type    FrameType
	Payload []byte
}

func maxFrame(maxFrameBytes int) int {
	if maxFrameBytes <= 0 {
		return DefaultMaxFrameBytes
	}
	return maxFrameBytes
}

// AppendFrame appends a frame of type t carrying payload to dst. It
// returns ErrFrameTooLarge if the frame would exceed maxFrameBytes (0 means
// DefaultMaxFrameBytes).
func AppendFrame(dst []byte, t FrameType, payload []byte, maxFrameBytes int) ([]byte, error) {
	n := frameHeaderBytes + len(payload)
	if n > maxFrame(maxFrameBytes) {
		return dst, fmt.Errorf("%w: %s frame of %d bytes, limit %d", ErrFrameTooLarge, t, n, maxFrame(maxFrameBytes))
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(2+len(payload)))
	dst = append(dst, FrameVersion, byte(t))
	return append(dst, payload...), nil
}

// checkHeader validates the 6-byte header h and returns the payload
// length.
func checkHeader(h []byte, maxFrameBytes int) (FrameType, int, error) {
	n := binary.BigEndian.Uint32(h[0:4])
	if n < 2 {
		return 0, 0, fmt.Errorf("%w: length %d cannot hold version and type", ErrShortFrame, n)
	}
	if limit := maxFrame(maxFrameBytes); uint64(n)+4 > uint64(limit) {
		return 0, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, uint64(n)+4, limit)
	}
	if h[4] != FrameVersion {
		return 0, 0, fmt.Errorf("%w: %d", ErrUnknownVersion, h[4])
	}
	t := FrameType(h[5])
	if t == 0 || t >= frameTypeEnd {
		return 0, 0, fmt.Errorf("%w: %d", ErrUnknownFrameType, h[5])
	}
	return t, int(n) - 2, nil
}

// DecodeFrame decodes the frame at the start of b and returns it with the
// number of bytes it occupies. Errors wrap ErrShortFrame, ErrFrameTooLarge,
// ErrUnknownVersion or ErrUnknownFrameType. The payload aliases b.
func DecodeFrame(b []byte, maxFrameBytes int) (Frame, int, error) {
	if len(b) < 4 {
		return Frame{}, 0, fmt.Errorf("%w: %d bytes, need a 4-byte length", ErrShortFrame, len(b))
	}
	if len(b) < frameHeaderBytes {
		// Report oversize before shortness so a hostile length is named.
		n := binary.BigEndian.Uint32(b[0:4])
		if uint64(n)+4 > uint64(maxFrame(maxFrameBytes)) {
			return Frame{}, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, uint64(n)+4, maxFrame(maxFrameBytes))
		}
		return Frame{}, 0, fmt.Errorf("%w: %d bytes, need a 6-byte header", ErrShortFrame, len(b))
	}
	t, n, err := checkHeader(b[:frameHeaderBytes], maxFrameBytes)
	if err != nil {
		return Frame{}, 0, err
	}
	if len(b)-frameHeaderBytes < n {
		return Frame{}, 0, fmt.Errorf("%w: payload has %d of %d bytes", ErrShortFrame, len(b)-frameHeaderBytes, n)
	}
	end := frameHeaderBytes + n
	return Frame{Type: t, Payload: b[frameHeaderBytes:end:end]}, end, nil
}

// ReadFrame reads one frame from r. It checks the header before reading
// the payload, so an oversized length never causes an allocation. buf is
// reused for the payload when large enough; the returned Frame's payload
// aliases the returned buffer. A stream that ends inside a frame yields an
// error wrapping ErrShortFrame; one that ends between frames yields io.EOF.
func ReadFrame(r io.Reader, buf []byte, maxFrameBytes int) (Frame, []byte, error) {
	var h [frameHeaderBytes]byte
	if _, err := io.ReadFull(r, h[:4]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: stream ended inside the length", ErrShortFrame)
		}
		return Frame{}, buf, err
	}
	// Judge the length before waiting for more bytes.
	if n := binary.BigEndian.Uint32(h[0:4]); n < 2 {
		return Frame{}, buf, fmt.Errorf("%w: length %d cannot hold version and type", ErrShortFrame, n)
	} else if uint64(n)+4 > uint64(maxFrame(maxFrameBytes)) {
		return Frame{}, buf, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, uint64(n)+4, maxFrame(maxFrameBytes))
	}
	if _, err := io.ReadFull(r, h[4:]); err != nil {
		return Frame{}, buf, shortRead(err, "header")
	}
	t, n, err := checkHeader(h[:], maxFrameBytes)
	if err != nil {
		return Frame{}, buf, err
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return Frame{}, buf, shortRead(err, "payload")
	}
	return Frame{Type: t, Payload: buf}, buf, nil
}

func shortRead(err error, part string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: stream ended inside the %s", ErrShortFrame, part)
	}
	return err
}

// EncodeMessage returns m's JSON payload encoding (FrameMessage, using
// core's field tags). It fails only for values JSON cannot represent.
func EncodeMessage(m *core.Message) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: encode %s: %v", ErrBadPayload, m.Kind, err)
	}
	return b, nil
}

// AppendMessageFrame appends a FrameMessageBin frame carrying m in the
// binary encoding to dst. Errors wrap ErrBadPayload or ErrFrameTooLarge;
// on error dst is returned unchanged.
func AppendMessageFrame(dst []byte, m *core.Message, maxFrameBytes int) ([]byte, error) {
	start := len(dst)
	out := append(dst, 0, 0, 0, 0, FrameVersion, byte(FrameMessageBin))
	out, err := AppendMessageBinary(out, m)
	if err != nil {
		return dst[:start], err
	}
	n := len(out) - start
	if n > maxFrame(maxFrameBytes) {
		return dst[:start], fmt.Errorf("%w: %s frame of %d bytes, limit %d", ErrFrameTooLarge, FrameMessageBin, n, maxFrame(maxFrameBytes))
	}
	binary.BigEndian.PutUint32(out[start:], uint32(n-4))
	return out, nil
}

// AppendMessageFrameJSON appends a FrameMessage frame carrying m as JSON
// to dst, for peers that predate FrameMessageBin.
func AppendMessageFrameJSON(dst []byte, m *core.Message, maxFrameBytes int) ([]byte, error) {
	p, err := EncodeMessage(m)
	if err != nil {
		return dst, err
	}
	return AppendFrame(dst, FrameMessage, p, maxFrameBytes)
}

// DecodeMessage decodes a FrameMessage (JSON) payload and validates the
// result with core.Message.Validate(maxBatch). Errors wrap ErrBadPayload or
// ErrInvalidMessage. Unknown JSON fields are ignored so newer peers can add
// optional fields.
func DecodeMessage(payload []byte, maxBatch int) (core.Message, error) {
	var m core.Message
	if err := json.Unmarshal(payload, &m); err != nil {
		return core.Message{}, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	if err := m.Validate(maxBatch); err != nil {
		return core.Message{}, fmt.Errorf("%w: %v", ErrInvalidMessage, err)
	}
	return m, nil
}

// DecodeMessageFrame decodes the message in a FrameMessage (JSON) or
// FrameMessageBin (binary) frame and validates it. Errors wrap
// ErrBadPayload, ErrInvalidMessage, or ErrUnknownFrameType for a frame of
// another type.
func DecodeMessageFrame(f Frame, maxBatch int) (core.Message, error) {
	return decodeMessageFrame(f, maxBatch, nil)
}

// decodeMessageFrame is DecodeMessageFrame with a source of known child
// ids for the binary decoder (nil: none).
func decodeMessageFrame(f Frame, maxBatch int, ids ChildIDSource) (core.Message, error) {
	switch f.Type {
	case FrameMessageBin:
		return decodeMessageBinary(f.Payload, maxBatch, ids)
	case FrameMessage:
		return DecodeMessage(f.Payload, maxBatch)
	}
	return core.Message{}, fmt.Errorf("%w: %s is not a message frame", ErrUnknownFrameType, f.Type)
}
