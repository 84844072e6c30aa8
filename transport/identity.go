package transport

import "github.com/phub/phub/core"

// PeerHello is what an authenticated dialer says about itself; an
// acceptor's Identity.Admit decides on it.
type PeerHello struct {
	Name        core.NodeID
	Incarnation uint64
	// Advertise is where the dialer says it listens ("" if unknown).
	Advertise string
	// KnownAddr is the address this transport already has for Name (""
	// if none).
	KnownAddr string
}

// Identity tells a transport who this node is and who may connect. The
// runtime sets it once, before it sends anything.
type Identity struct {
	// Incarnation of this node, sent in every handshake it dials.
	Incarnation uint64
	// Admit, called on the accepting side once a dialer has proven the
	// cluster secret, returns nil to admit it or an error saying why its
	// name is refused (another live node uses it). The dialer gets
	// ErrNameInUse with that reason; the acceptor logs it. It must be safe
	// for concurrent use and fast.
	Admit func(PeerHello) error
	// Refused, if set, is called (from transport goroutines) each time a
	// peer refuses this node with ErrNameInUse.
	Refused func(error)
}

// IdentityChecker is implemented by transports that check node identity
// in their handshake (TCP).
type IdentityChecker interface {
	// SetIdentity replaces the node's identity for later handshakes.
	SetIdentity(Identity)
}

var _ IdentityChecker = (*TCP)(nil)

// SetIdentity sets the incarnation sent when dialing and the admission
// check applied when accepting. Without it a TCP dials with incarnation 0
// and admits every authenticated dialer.
func (t *TCP) SetIdentity(id Identity) { t.identity.Store(&id) }

// handshakeParams returns this node's side of a handshake.
func (t *TCP) handshakeParams() handshakeParams {
	p := t.params
	id := t.identity.Load()
	if id == nil {
		return p
	}
	p.Incarnation = id.Incarnation
	if id.Admit != nil {
		admit := id.Admit
		p.Admit = func(h PeerHello) error {
			h.KnownAddr, _, _ = t.resolve(h.Name)
			return admit(h)
		}
	}
	return p
}

// refused reports a refusal by a peer to Identity.Refused.
func (t *TCP) refused(err error) {
	if id := t.identity.Load(); id != nil && id.Refused != nil {
		id.Refused(err)
	}
}
