package sim

import (
	"fmt"
	"time"

	"github.com/phub/phub/checks"
	"github.com/phub/phub/core"
)

// Retransmission storms. A routed request is retransmitted by its origin
// every RetryInterval until its deadline and forwarded at most a few
// times between nodes whose views differ; the network may duplicate any
// delivery. So the deliveries of one request are bounded; a request
// delivered far more often is caught in a loop (a forwarding loop
// between two nodes' stale views once multiplied every duplicate of one
// request into millions of deliveries in a sweep, messages seed 77).

// routedReq names a routed request as its origin issued it.
type routedReq struct {
	origin core.NodeID
	inc    uint64
	seq    uint64
}

type maxDeliveries struct {
	req   routedReq
	count int
}

// routedHopsMax mirrors core's bound on forwards of one request (maxHops).
const routedHopsMax = 3

// deliveryBound bounds the deliveries of one routed request: one send
// per RetryInterval within the request timeout (and one more at each
// end), each travelling at most routedHopsMax+1 links, each of which may
// duplicate it (at most doubling, generously: a duplicate of a duplicate
// counts too).
func deliveryBound(t core.Timing) int {
	attempts := int(t.RequestTimeout/max(t.RetryInterval, time.Millisecond)) + 2
	return attempts * (routedHopsMax + 1) * (1 << (routedHopsMax + 1))
}

// checkRetransmissions asserts that no routed request was delivered more
// often than deliveryBound allows.
func (s *Sim) checkRetransmissions(t core.Timing) []checks.Violation {
	m := s.maxDeliveries
	if bound := deliveryBound(t); m.count > bound {
		return []checks.Violation{{Check: checks.CheckRetransmissions, Node: string(m.req.origin),
			Detail: fmt.Sprintf("request %d of %s (incarnation %d) was delivered %d times, more than its %d retransmissions, forwards and duplicates allow", m.req.seq, m.req.origin, m.req.inc, m.count, bound)}}
	}
	return nil
}
