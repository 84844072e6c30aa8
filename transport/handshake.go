package transport

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/phub/phub/core"
)

// The handshake authenticates both ends of a connection with the cluster
// secret, which never crosses the wire:
//
//	dialer   -> acceptor  hello     {hub, dialer name, dialer advertise addr, nonceD, dialer incarnation}
//	acceptor -> dialer    challenge {hub, acceptor name, nonceA, MAC("accept")}
//	dialer   -> acceptor  auth      {MAC("dial")}
//	acceptor -> dialer    verdict   {admitted or refused, reason, MAC("verdict", verdict, reason)}
//
// MAC(role) = HMAC-SHA256(secret, label, role, hub, dialer name, acceptor
// name, dialer advertise addr, nonceD, nonceA, dialer incarnation), every
// field length-prefixed. Each side checks the other's MAC over nonces it
// did not choose alone, so a recorded handshake cannot be replayed, and
// the role keeps an acceptor's MAC from being reflected back as a
// dialer's. The verdict (sent in an auth-type frame) is where the
// acceptor refuses an authenticated dialer whose name belongs to another
// live node (see Identity); a refused dialer gets ErrNameInUse with the
// acceptor's reason. After the handshake the dialer sends message frames
// and pings; the acceptor only answers pings.

const (
	nonceBytes = 32
	macBytes   = sha256.Size
	// maxNameBytes bounds node names, hub ids and addresses in a handshake.
	maxNameBytes = 1024
	// maxHandshakeFrameBytes bounds frames read before authentication, so
	// an unauthenticated client cannot make us allocate much.
	maxHandshakeFrameBytes = 4 * 1024
	macLabel               = "phub/handshake/v2"
	roleDial               = "dial"
	roleAccept             = "accept"
	roleVerdict            = "verdict"
	incarnationBytes       = 8
)

// Handshake errors, wrapped with detail.
var (
	// ErrHandshake means a handshake frame was malformed or unexpected.
	ErrHandshake = errors.New("transport: bad handshake")
	// ErrHubMismatch means the peer belongs to another hub.
	ErrHubMismatch = errors.New("transport: hub id mismatch")
	// ErrBadMAC means the peer does not know the cluster secret.
	ErrBadMAC = errors.New("transport: handshake MAC mismatch")
	// ErrPeerName means the dialed peer is not the node expected at that
	// address.
	ErrPeerName = errors.New("transport: unexpected peer name")
	// ErrNameInUse means an acceptor refused this node because another
	// live node of the cluster already uses its name (see Identity).
	ErrNameInUse = errors.New("transport: node name in use")
)

type hello struct {
	Hub         string
	Name        core.NodeID
	Advertise   string
	Nonce       [nonceBytes]byte
	Incarnation uint64
}

type challenge struct {
	Hub   string
	Name  core.NodeID
	Nonce [nonceBytes]byte
	MAC   [macBytes]byte
}

type authFrame struct {
	MAC [macBytes]byte
}

// verdict is the acceptor's last handshake frame: whether the dialer is
// admitted, and why not.
type verdict struct {
	Refused bool
	Reason  string
	MAC     [macBytes]byte
}

func (v *verdict) statusBytes() []byte {
	if v.Refused {
		return []byte{1}
	}
	return []byte{0}
}

func (v *verdict) marshal() []byte {
	b := appendField(nil, v.statusBytes())
	b = appendField(b, []byte(v.Reason))
	return appendField(b, v.MAC[:])
}

func parseVerdict(p []byte) (verdict, error) {
	var v verdict
	r := fieldReader{b: p}
	var st [1]byte
	r.fixed("verdict", st[:])
	v.Refused = st[0] != 0
	v.Reason = string(r.next("reason", maxNameBytes))
	r.fixed("mac", v.MAC[:])
	if r.err == nil && st[0] > 1 {
		r.err = fmt.Errorf("%w: verdict %d", ErrHandshake, st[0])
	}
	return v, r.done()
}

func appendField(b []byte, s []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// fieldReader consumes length-prefixed fields and remembers the first error.
type fieldReader struct {
	b   []byte
	err error
}

func (r *fieldReader) next(what string, maxLen int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < 2 {
		r.err = fmt.Errorf("%w: %s: missing length", ErrHandshake, what)
		return nil
	}
	n := int(binary.BigEndian.Uint16(r.b))
	if n > maxLen {
		r.err = fmt.Errorf("%w: %s: %d bytes, limit %d", ErrHandshake, what, n, maxLen)
		return nil
	}
	if len(r.b)-2 < n {
		r.err = fmt.Errorf("%w: %s: truncated", ErrHandshake, what)
		return nil
	}
	v := r.b[2 : 2+n]
	r.b = r.b[2+n:]
	return v
}

func (r *fieldReader) fixed(what string, dst []byte) {
	v := r.next(what, len(dst))
	if r.err == nil && len(v) != len(dst) {
		r.err = fmt.Errorf("%w: %s: %d bytes, want %d", ErrHandshake, what, len(v), len(dst))
	}
	copy(dst, v)
}

func (r *fieldReader) name(what string) string {
	v := r.next(what, maxNameBytes)
	if r.err == nil && len(v) == 0 {
		r.err = fmt.Errorf("%w: empty %s", ErrHandshake, what)
	}
	return string(v)
}

func (r *fieldReader) done() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", ErrHandshake, len(r.b))
	}
	return r.err
}

func (h *hello) marshal() []byte {
	var b []byte
	b = appendField(b, []byte(h.Hub))
	b = appendField(b, []byte(h.Name))
	b = appendField(b, []byte(h.Advertise))
	b = appendField(b, h.Nonce[:])
	return appendField(b, binary.BigEndian.AppendUint64(nil, h.Incarnation))
}

func parseHello(p []byte) (hello, error) {
	var h hello
	r := fieldReader{b: p}
	h.Hub = string(r.next("hub", maxNameBytes))
	h.Name = core.NodeID(r.name("name"))
	h.Advertise = string(r.next("advertise", maxNameBytes))
	r.fixed("nonce", h.Nonce[:])
	var inc [incarnationBytes]byte
	r.fixed("incarnation", inc[:])
	h.Incarnation = binary.BigEndian.Uint64(inc[:])
	return h, r.done()
}

func (c *challenge) marshal() []byte {
	var b []byte
	b = appendField(b, []byte(c.Hub))
	b = appendField(b, []byte(c.Name))
	b = appendField(b, c.Nonce[:])
	return appendField(b, c.MAC[:])
}

func parseChallenge(p []byte) (challenge, error) {
	var c challenge
	r := fieldReader{b: p}
	c.Hub = string(r.next("hub", maxNameBytes))
	c.Name = core.NodeID(r.name("name"))
	r.fixed("nonce", c.Nonce[:])
	r.fixed("mac", c.MAC[:])
	return c, r.done()
}

func (a *authFrame) marshal() []byte { return appendField(nil, a.MAC[:]) }

func parseAuth(p []byte) (authFrame, error) {
	var a authFrame
	r := fieldReader{b: p}
	r.fixed("mac", a.MAC[:])
	return a, r.done()
}

// handshakeMAC computes the MAC that the side playing role sends; extra
// fields (the verdict's) are bound after the common ones.
func handshakeMAC(secret []byte, role string, h *hello, acceptor core.NodeID, acceptorNonce *[nonceBytes]byte, extra ...[]byte) [macBytes]byte {
	m := hmac.New(sha256.New, secret)
	var b []byte
	b = appendField(b, []byte(macLabel))
	b = appendField(b, []byte(role))
	b = appendField(b, []byte(h.Hub))
	b = appendField(b, []byte(h.Name))
	b = appendField(b, []byte(acceptor))
	b = appendField(b, []byte(h.Advertise))
	b = appendField(b, h.Nonce[:])
	b = appendField(b, acceptorNonce[:])
	b = appendField(b, binary.BigEndian.AppendUint64(nil, h.Incarnation))
	for _, e := range extra {
		b = appendField(b, e)
	}
	m.Write(b)
	var out [macBytes]byte
	m.Sum(out[:0])
	return out
}

// handshakeParams is what one side brings to a handshake.
type handshakeParams struct {
	Hub         string
	Name        core.NodeID
	Advertise   string
	Secret      []byte // nil with InsecureNoAuth
	Incarnation uint64 // sent by a dialer
	// Admit, if set, decides whether an authenticated dialer is admitted
	// (acceptor side); its error is the refusal's reason.
	Admit func(PeerHello) error
}

// peerInfo is what a handshake proves about the other side.
type peerInfo struct {
	Name core.NodeID
	// Advertise and Incarnation are what a dialer says about itself
	// (acceptor side only).
	Advertise   string
	Incarnation uint64
}

func newNonce() [nonceBytes]byte {
	var n [nonceBytes]byte
	rand.Read(n[:]) // never returns an error (crypto/rand, Go 1.24+)
	return n
}

func writeHandshakeFrame(w io.Writer, t FrameType, payload []byte) error {
	b, err := AppendFrame(nil, t, payload, maxHandshakeFrameBytes)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func readHandshakeFrame(r io.Reader, want FrameType) ([]byte, error) {
	f, _, err := ReadFrame(r, nil, maxHandshakeFrameBytes)
	if err != nil {
		return nil, err
	}
	if f.Type != want {
		return nil, fmt.Errorf("%w: got a %s frame, want %s", ErrHandshake, f.Type, want)
	}
	return f.Payload, nil
}

// dialHandshake runs the dialer's side on rw. If expect is not empty the
// acceptor must be the node named expect. The caller sets deadlines.
func dialHandshake(rw io.ReadWriter, p handshakeParams, expect core.NodeID) (peerInfo, error) {
	h := hello{Hub: p.Hub, Name: p.Name, Advertise: p.Advertise, Nonce: newNonce(), Incarnation: p.Incarnation}
	if err := writeHandshakeFrame(rw, FrameHello, h.marshal()); err != nil {
		return peerInfo{}, err
	}
	payload, err := readHandshakeFrame(rw, FrameChallenge)
	if err != nil {
		return peerInfo{}, err
	}
	c, err := parseChallenge(payload)
	if err != nil {
		return peerInfo{}, err
	}
	if c.Hub != p.Hub {
		return peerInfo{}, fmt.Errorf("%w: peer %q is in hub %q, we are in %q", ErrHubMismatch, c.Name, c.Hub, p.Hub)
	}
	want := handshakeMAC(p.Secret, roleAccept, &h, c.Name, &c.Nonce)
	a := authFrame{MAC: handshakeMAC(p.Secret, roleDial, &h, c.Name, &c.Nonce)}
	if !hmac.Equal(want[:], c.MAC[:]) {
		// Answer anyway, so the acceptor learns the secrets differ and
		// logs it (a silent hang-up left nothing in its log). Our MAC
		// covers the acceptor's fresh nonce, so it proves nothing
		// elsewhere; the acceptor already sent the same kind of MAC.
		writeHandshakeFrame(rw, FrameAuth, a.marshal())
		return peerInfo{}, fmt.Errorf("%w: acceptor %q: the cluster secrets differ", ErrBadMAC, c.Name)
	}
	if expect != "" && c.Name != expect {
		return peerInfo{}, fmt.Errorf("%w: dialed %q, reached %q", ErrPeerName, expect, c.Name)
	}
	if err := writeHandshakeFrame(rw, FrameAuth, a.marshal()); err != nil {
		return peerInfo{}, err
	}
	payload, err = readHandshakeFrame(rw, FrameAuth)
	if err != nil {
		return peerInfo{}, fmt.Errorf("waiting for %q to admit us: %w", c.Name, err)
	}
	v, err := parseVerdict(payload)
	if err != nil {
		return peerInfo{}, err
	}
	want = handshakeMAC(p.Secret, roleVerdict, &h, c.Name, &c.Nonce, v.statusBytes(), []byte(v.Reason))
	if !hmac.Equal(want[:], v.MAC[:]) {
		return peerInfo{}, fmt.Errorf("%w: verdict of acceptor %q", ErrBadMAC, c.Name)
	}
	if v.Refused {
		return peerInfo{}, fmt.Errorf("%w: node %q refused us as %q: %s", ErrNameInUse, c.Name, p.Name, v.Reason)
	}
	return peerInfo{Name: c.Name}, nil
}

// acceptHandshake runs the acceptor's side on rw and, once the dialer is
// authenticated, sends p.Admit's verdict; a refused dialer is an error
// wrapping ErrNameInUse (with the dialer's info). The caller sets
// deadlines.
func acceptHandshake(rw io.ReadWriter, p handshakeParams) (peerInfo, error) {
	payload, err := readHandshakeFrame(rw, FrameHello)
	if err != nil {
		return peerInfo{}, err
	}
	h, err := parseHello(payload)
	if err != nil {
		return peerInfo{}, err
	}
	if h.Hub != p.Hub {
		return peerInfo{}, fmt.Errorf("%w: peer %q is in hub %q, we are in %q", ErrHubMismatch, h.Name, h.Hub, p.Hub)
	}
	c := challenge{Hub: p.Hub, Name: p.Name, Nonce: newNonce()}
	c.MAC = handshakeMAC(p.Secret, roleAccept, &h, p.Name, &c.Nonce)
	if err := writeHandshakeFrame(rw, FrameChallenge, c.marshal()); err != nil {
		return peerInfo{}, err
	}
	payload, err = readHandshakeFrame(rw, FrameAuth)
	if err != nil {
		return peerInfo{}, err
	}
	a, err := parseAuth(payload)
	if err != nil {
		return peerInfo{}, err
	}
	want := handshakeMAC(p.Secret, roleDial, &h, p.Name, &c.Nonce)
	if !hmac.Equal(want[:], a.MAC[:]) {
		return peerInfo{}, fmt.Errorf("%w: dialer %q: the cluster secrets differ", ErrBadMAC, h.Name)
	}
	info := peerInfo{Name: h.Name, Advertise: h.Advertise, Incarnation: h.Incarnation}
	var refusal error
	if p.Admit != nil {
		refusal = p.Admit(PeerHello{Name: h.Name, Incarnation: h.Incarnation, Advertise: h.Advertise})
	}
	v := verdict{Refused: refusal != nil}
	if refusal != nil {
		v.Reason = refusal.Error()
		if len(v.Reason) > maxNameBytes {
			v.Reason = v.Reason[:maxNameBytes]
		}
	}
	v.MAC = handshakeMAC(p.Secret, roleVerdict, &h, p.Name, &c.Nonce, v.statusBytes(), []byte(v.Reason))
	if err := writeHandshakeFrame(rw, FrameAuth, v.marshal()); err != nil {
		return info, err
	}
	if refusal != nil {
		return info, fmt.Errorf("%w: refused dialer %q (incarnation %d, advertising %q): %v",
			ErrNameInUse, h.Name, h.Incarnation, h.Advertise, refusal)
	}
	return info, nil
}
