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

	members  *membership
	ring     *ring
	reg      *registry
	local    map[ChildID]*localChild
	pending  *pendingTable
	repl     *replicator
	migr     *migrations
	quorum   *quorumState
	strict   *strictState // nil unless Partition.Kind is Strict (strict.go)
	gossip   *gossipState
	leaving  bool
	left     bool
	nextInst uint64
	nextSeq  uint64

	lastHeartbeat Instant
	lastSync      Instant
	lastReconcile Instant
	leaveDeadline Instant
	nextRollback  uint64
	// backoffs holds replicas that exceeded their restart intensity here
	// and wait out Restart.Window (intensity.go); at most one per child.
	backoffs map[ChildID]backoff

	// reconciliation work: dirtyAll after a view change, else dirtyIDs
	dirty      bool
	dirtyAll   bool
	dirtyIDs   map[ChildID]struct{}
	dirtyOrder []ChildID

	// A node serves owner-routed requests only once synced: it has
	// received a full registry sync from every alive peer (or found no
	// peer within DownAfter of booting). A restarted node therefore never
	// answers from an empty registry.
	synced      bool
	syncedFrom  map[NodeID]bool
	bootedAt    Instant
	lastSyncAsk Instant
	needSync    map[NodeID]bool // members that came back, whose full sync we await
	heartbeats  uint64

	// batched outgoing updates, flushed after every input
	pendingClaims  []Claim
	pendingEntries []Entry
	batch          outBatch
	claimsVer      uint64 // version of this node's last claim message
	gossipCursor   int    // next peer of the anti-entropy rotation
	plBuf          []NodeID
	batching       bool // inside BeginBatch/EndBatch
	deferredFinish bool

	// messages sent or received in parts (chunks.go)
	nextPartOf uint64
	parts      assembler
}

// NewNode returns a node for cfg at time now. It validates cfg.
func NewNode(cfg Config, now Instant) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{
		cfg:        cfg,
		rng:        newRng(cfg.RandSeed ^ uint64(len(cfg.Name))*0x9e3779b97f4a7c15),
		now:        now,
		local:      map[ChildID]*localChild{},
		syncedFrom: map[NodeID]bool{},
		bootedAt:   now,
	}
	n.members = newMembership(Member{Name: cfg.Name, Incarnation: cfg.Incarnation, Addr: cfg.AdvertiseAddr}, now)
	n.ring = newRing(cfg.Distribution.VirtualNodes)
	n.reg = newRegistry()
	n.reg.ignoreEpochs = cfg.Broken.IgnoreEpochs
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

// Ready drains and returns every output produced since the last call.
func (n *Node) Ready() Ready {
	r := n.out
	n.out = Ready{}
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
	parts := n.cfg.Limits.split(m)
	if len(parts) > 1 {
		n.nextPartOf++
		for i := range parts {
			parts[i].PartOf = n.nextPartOf
		}
	}
	for _, p := range parts {
		n.out.Messages = append(n.out.Messages, Envelope{To: to, Msg: p})
	}
}

func (n *Node) reply(r Reply) {
	n.out.Replies = append(n.out.Replies, r)
}

func (n *Node) effect(e Effect) {
	n.out.Effects = append(n.out.Effects, e)
}

func (n *Node) seq() uint64 {
	n.nextSeq++
	return n.nextSeq
}
