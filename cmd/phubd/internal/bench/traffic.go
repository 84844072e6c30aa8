package bench

import (
	"sync/atomic"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// countingTCP is the TCP transport with counters of what the node sends:
// registry entries (replication, full syncs, a welcome's sync), full syncs
// that carried entries, and messages. Work counts like these do not depend on the
// machine's load, unlike the wall time of the same figure.
type countingTCP struct {
	*transport.TCP
	traffic *traffic
}

// traffic counts what the nodes of a cluster send: messages, registry
// entries, full syncs with entries; claims, full claim lists; and
// messages the transport refused (a full send queue drops a message the
// protocol must then repair: a resend, a claims ask).
type traffic struct {
	entries, fullSyncs, messages    atomic.Int64
	claims, fullClaimLists, refused atomic.Int64
}

// Send counts m and hands it to the TCP transport.
func (c countingTCP) Send(to core.NodeID, m core.Message) error {
	c.count(m)
	err := c.TCP.Send(to, m)
	if err != nil {
		c.traffic.refused.Add(1)
	}
	return err
}

// SendMany counts m once per receiver and hands it to the TCP
// transport, which encodes it once.
func (c countingTCP) SendMany(to []core.NodeID, m core.Message) []error {
	for range to {
		c.count(m)
	}
	errs := c.TCP.SendMany(to, m)
	for _, err := range errs {
		if err != nil {
			c.traffic.refused.Add(1)
		}
	}
	return errs
}

// count counts one message sent.
func (c countingTCP) count(m core.Message) {
	c.traffic.messages.Add(1)
	c.traffic.entries.Add(int64(len(m.Entries)))
	if m.Full && m.Part == 0 && len(m.Entries) > 0 && (m.Kind == core.MsgReplicate || m.Kind == core.MsgWelcome) {
		c.traffic.fullSyncs.Add(1) // a message sent in parts counts once
	}
	c.traffic.claims.Add(int64(len(m.Claims)))
	if m.Full && m.Part == 0 && m.Kind == core.MsgClaims {
		c.traffic.fullClaimLists.Add(1)
	}
}
