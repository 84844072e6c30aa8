package core

import (
	"fmt"
)

// Node is one hub node as a deterministic state machine. The driver owns
// it exclusively: it feeds inputs (Tick, Step, Request, ChildEvent, Leave)
// and drains outputs with Ready. Node starts no goroutines, reads no clock,
// does no I/O and needs no locks.
type Node struct {
	cfg Config
	rng rng
	now Instant
	out Ready

	// Sub-machines with a table of their own, each in its file.
	members *membership             // membership.go: who is alive, down, left
	ring    *ring                   // ring.go: consistent-hash placement
	reg     *registry               // registry.go: entries and claims
	local   map[ChildID]*localChild // children.go: instances running here
	pending *pendingTable           // requests.go: client requests in flight
	repl    *replicator             // owner.go: replication before ack
	migr    *migrations             // migration.go: hot-swap handovers
	quorum  *quorumState            // quorum.go: partition tolerance
	strict  *strictState            // strict.go: leases; nil unless Partition.Kind is Strict
	swim    *swimState              // swim.go: SWIM probing; nil unless Membership.Detector is Swim
	gossip  *gossipState            // sync.go: gossip dedup
	// backoffs holds replicas that exceeded their restart intensity here
	// and wait out Restart.Window (intensity.go); at most one per child.
	backoffs map[ChildID]backoff
	// exiting holds instances stopped for a move whose claim stays until
	// they are known gone (exiting.go); nil until the first.
	exiting map[ChildID]exitWait
	parts   assembler       // chunks.go: messages received in parts
	sent    RequestCounters // requestcount.go: routed requests and rounds sent and resent

	// State of the node's own activities, embedded so their fields read
	// as the node's; each type says which activity owns them.
	idCounters       // node.go: request, instance, rollback and part numbers
	rounds           // step.go: heartbeat and anti-entropy rounds
	syncState        // sync.go: boot sync and resync after a member came back
	reconcileWork    // placement.go: children awaiting reconciliation
	outbox           // sync.go: updates batched until the end of an input
	leaveState       // leave.go: graceful leave in progress
	invariantSampler // invariants.go: pace of Config.CheckInvariants

	// durable mode: what changed since the last Ready (persist.go), and
	// how many entries the node recovered from its snapshot
	persist   persistState
	recovered int
}

// idCounters hands out the node's locally unique numbers.
type idCounters struct {
	nextSeq      uint64 // request and message sequence numbers (seq)
	nextInst     uint64 // instance ids of local children
	nextRollback uint64 // rollback request ids
	nextPartOf   uint64 // ids of messages sent in parts
}

// NewNode returns a node for cfg at time now. It validates cfg.
func NewNode(cfg Config, now Instant) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{
		cfg:       cfg,
		rng:       newRng(cfg.RandSeed ^ uint64(len(cfg.Name))*0x9e3779b97f4a7c15),
		now:       now,
		local:     map[ChildID]*localChild{},
		syncState: syncState{syncedFrom: map[NodeID]bool{}, bootedAt: now},
	}
	n.members = newMembership(Member{Name: cfg.Name, Incarnation: cfg.Incarnation, Addr: cfg.AdvertiseAddr}, now)
	n.swim = newSwimState(cfg)
	n.members.probed = n.swim != nil
	n.ring = newRing(cfg.Distribution.VirtualNodes)
	n.reg = newRegistry()
	n.reg.ignoreEpochs = cfg.Broken.IgnoreEpochs
	n.reg.staleDigest = cfg.Broken.DigestIgnoresRemoval
	if cfg.CheckInvariants {
		n.reg.watchDigest()
	}
	if cfg.Durable {
		n.persist = newPersistState()
		n.reg.persistDirty = map[ChildID]struct{}{}
	}
	n.pending = newPendingTable(cfg.Limits.MaxPendingRequests)
	n.repl = newReplicator()
	n.migr = newMigrations()
	n.quorum = newQuorumState(cfg.Partition)
	n.strict = newStrictState(cfg)
	n.gossip = newGossipState()
	n.onViewChange()
	n.checkSynced()
	return n, nil
}

// Name returns the node's name.
func (n *Node) Name() NodeID { return n.cfg.Name }

// Config returns the node's configuration.
func (n *Node) Config() Config { return n.cfg }

// Ready drains and returns every output produced since the last call. In
// durable mode its Persist must be made durable before any other of its
// outputs is acted on (persist.go).
func (n *Node) Ready() Ready {
	n.flushHandoverBatches() // one message per receiver (handoverbatch.go)
	r := n.out
	n.out = Ready{}
	r.Persist = n.takePersist()
	return r
}

func (n *Node) advance(now Instant) {
	if now > n.now {
		n.now = now
	}
	if n.strict != nil {
		n.strictExpire() // re-check the lease before acting on any input
	}
}

func (n *Node) send(to NodeID, m Message) {
	if to == n.cfg.Name {
		panic(fmt.Sprintf("core: %s sends %s to itself", to, m.Kind))
	}
	m.Hub = n.cfg.HubID
	m.From = n.cfg.Name
	m.Inc = n.cfg.Incarnation
	n.countClaims(&m)                          // claimsdigest.go
	if size, ok := n.cfg.Limits.fits(&m); ok { // chunks.go: most messages, no parts slice
		n.out.Messages = append(n.out.Messages, Envelope{To: to, Msg: m, Bytes: size})
		return
	}
	parts := n.cfg.Limits.split(m)
	if len(parts) > 1 {
		n.nextPartOf++
		for i := range parts {
			parts[i].PartOf = n.nextPartOf
		}
	}
	for i := range parts {
		n.out.Messages = append(n.out.Messages, Envelope{To: to, Msg: parts[i], Bytes: MessageBytes(&parts[i])})
	}
}

func (n *Node) reply(r Reply) {
	n.out.Replies = append(n.out.Replies, r)
}

func (n *Node) effect(e Effect) {
	n.out.Effects = append(n.out.Effects, e)
}

func (c *idCounters) seq() uint64 {
	c.nextSeq++
	return c.nextSeq
}
