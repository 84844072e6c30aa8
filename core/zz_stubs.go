package core

// Temporary stubs; replaced by the real implementations.
type rng struct{ s uint64 }

func newRng(s uint64) rng { return rng{s} }

type membership struct{}

func newMembership(*Node) *membership { return &membership{} }
func (m *membership) init(Instant)    {}

type ring struct{}

func newRing(int) *ring { return &ring{} }

type registry struct{}

func newRegistry() *registry { return &registry{} }

type localChild struct{}
type pendingTable struct{}

func newPendingTable(int) *pendingTable { return &pendingTable{} }

type replicator struct{}

func newReplicator() *replicator { return &replicator{} }

type migrations struct{}

func newMigrations() *migrations { return &migrations{} }

type quorumState struct{}

func newQuorumState(PartitionConfig) *quorumState { return &quorumState{} }

type gossipState struct{}

func newGossipState() *gossipState { return &gossipState{} }
func (n *Node) onViewChange()      {}
