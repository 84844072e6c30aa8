package transport

import (
	"fmt"

	"github.com/phub/phub/core"
)

// MultiSender is implemented by transports that send one message to
// several peers with a single encoding (TCP). An owner's replication
// round and a claim delta go to every peer alike: encoding them once per
// peer was the encoder's time twice over on 3 nodes.
type MultiSender interface {
	// SendMany sends m to every node of to, as Send would one by one,
	// and returns nil if every send was queued, else each send's error
	// at its node's index (nil where it was queued).
	SendMany(to []core.NodeID, m core.Message) []error
}

var _ MultiSender = (*TCP)(nil)

// SendMany sends m to every node of to with one validation and one
// encoding; the peers' queues share the frame, which nothing writes
// after it is queued.
func (t *TCP) SendMany(to []core.NodeID, m core.Message) []error {
	var errs []error
	fail := func(i int, err error) {
		if errs == nil {
			errs = make([]error, len(to))
		}
		errs[i] = err
	}
	all := func(err error) []error {
		for i := range to {
			fail(i, err)
		}
		return errs
	}
	if err := m.Validate(t.cfg.MaxBatch); err != nil {
		return all(fmt.Errorf("%w: %v", ErrInvalidMessage, err))
	}
	if m.From != t.cfg.Name {
		return all(fmt.Errorf("%w: from %q, this node is %q", ErrInvalidMessage, m.From, t.cfg.Name))
	}
	var frame []byte
	for i, name := range to {
		p, err := t.peerFor(name)
		if err != nil {
			fail(i, err)
			continue
		}
		if frame == nil {
			if frame, err = t.encodeFrame(&m); err != nil {
				return all(err)
			}
		}
		if err := p.send(frame); err != nil {
			fail(i, err)
		}
	}
	return errs
}
