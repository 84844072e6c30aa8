package core

import (
	"fmt"
	"time"
)

// Config configures one node. Start from DefaultConfig and change fields;
// Validate names the first bad field.
type Config struct {
	// Name is this node's name, unique in the cluster.
	Name NodeID
	// Incarnation tells restarts of the same Name apart; a restarted node
	// must use a higher value. DefaultConfig leaves it 0, which tells the
	// runtime (phub.New) to derive a strictly increasing one from the wall
	// clock in nanoseconds, so a node restarted with the same config
	// rejoins. A driver of core alone must set it.
	Incarnation uint64
	// Seeds are nodes contacted to join the cluster. A seed may be named by
	// its address (host:port); the transport resolves it.
	Seeds []NodeID
	// AdvertiseAddr is where peers reach this node (gossiped in Member.Addr).
	AdvertiseAddr string
	// HubID names the hub; nodes of different hubs ignore each other.
	HubID string
	// RandSeed seeds the node's private PRNG (gossip peers, jitter).
	RandSeed uint64

	Distribution DistributionConfig
	Redundancy   RedundancyConfig
	Migration    MigrationConfig
	Sync         SyncConfig
	Partition    PartitionConfig
	Membership   MembershipConfig
	Restart      RestartLimits
	Timing       Timing
	Limits       Limits
	// OmitRegistryChanges skips computing Ready.Changes, for drivers that
	// keep no lookup index of their own (the simulator reads the node).
	OmitRegistryChanges bool
	// LiveChanges makes a change of a child that is stopped (a
	// tombstone) or removed carry a nil Entry, for drivers whose index
	// keeps live entries only (the runtime): no copy of a tombstone is
	// built for them (changes.go).
	LiveChanges bool
	// Durable makes the node report every change to its durable state
	// (registry entries with epochs and tombstones, incarnation, local
	// children) in Ready.Persist, to be synced before the Ready's other
	// outputs; NewNodeFromSnapshot recovers such a node (persist.go).
	Durable bool
	// CheckInvariants makes the node check its internal invariants after
	// every input and panic at the first input that breaks one
	// (Node.CheckInvariants; sampled above a few hundred entries, so the
	// cost per input stays bounded). For the simulator and tests.
	CheckInvariants bool
	// Broken injects protocol bugs so tests can prove the checks catch
	// them. Test-only: never set it in production.
	Broken BrokenFor
}

// BrokenFor lists deliberately broken behaviours (test-only).
type BrokenFor struct {
	// AckBeforeReplicate acknowledges owner requests without replicating
	// the new registry version first (peers get it from anti-entropy).
	AckBeforeReplicate bool
	// IgnoreEpochs merges registry versions last-writer-wins, ignoring
	// epochs and tombstones.
	IgnoreEpochs bool
	// SkipSync makes a restarted node serve owner requests before it has
	// synced the registry.
	SkipSync bool
	// ZeroStoppedAt writes tombstones without their creation time (a zero
	// timestamp: fresh when clocks start near zero, ancient on a real
	// clock, so the tombstone is collected at once).
	ZeroStoppedAt bool
	// DropPush drops pubsub's push of claim changes and entry versions
	// (only anti-entropy spreads them).
	DropPush bool
	// HandoverDropsState acknowledges hot-swap handover state without
	// delivering it to the new instance (which keeps its own state).
	HandoverDropsState bool
	// IntensityOffByOne allows one restart more than Restart.MaxRestarts
	// within Restart.Window.
	IntensityOffByOne bool
	// StrictNoMargin drops strict mode's margins: voters hold a grant only
	// L·(1−MaxDrift) (no allowance for a voter clock running faster than
	// the holder's, no LeaseMargin), the holder counts its lease from the
	// grant's arrival instead of its request's sending, and stops its
	// children at the deadline rather than two ticks before.
	StrictNoMargin bool
	// StrictNoFence emits no Ready.LeaseUntil: the driver arms no fence
	// timer, so only the event loop stops children when a lease ends.
	StrictNoFence bool
	// ReleaseBeforeExit releases the claim of an instance stopped for a
	// move (cold swap, cordon, graceful leave) when it is told to stop,
	// not once its exit is reported (exiting.go): the rule before
	// session 13, under which the new holder starts while a child slow to
	// exit still runs.
	ReleaseBeforeExit bool
	// NoEpochFloor starts a child whose tombstone expired at epoch 1
	// again, below the epochs it held before (no epoch floor).
	NoEpochFloor bool
	// HandoverDedupByEpoch treats a handover as a retransmission when any
	// handover of the same epoch was delivered, so of two duplicates at
	// one epoch only the first one's state is delivered.
	HandoverDedupByEpoch bool
	// WhichGlobalDropsChild leaves the first child of every peer's
	// answer out of which_children_global (an operation no sweep issued
	// before issue 10).
	WhichGlobalDropsChild bool
	// VolatileEpochFloor keeps a durable node's epoch floor in memory
	// only: it is neither written (Ready.Persist) nor recovered, so after
	// a full-cluster restart a child whose tombstone expired starts again
	// at epoch 1.
	VolatileEpochFloor bool
	// DigestIgnoresRemoval leaves a removed entry (a collected tombstone)
	// in the registry digest: the contents stay right, only the digest
	// goes stale, which no end-of-run check sees and the invariants do.
	DigestIgnoresRemoval bool
	// CollectWhileMemberDown collects expired tombstones while a member
	// is down, and drops an expired tombstone on arrival even where it
	// would end an older live version: a node back after more than
	// TombstoneTTL brings back children stopped while it was away.
	CollectWhileMemberDown bool
	// QuorumCountsViews makes MajorityQuorum count the alive view against
	// the largest view seen, the rule before quorum_members.go: a crash
	// followed by a join leaves max-seen where it was.
	QuorumCountsViews bool
	// QuorumKnowsEstablishedOnly makes MajorityQuorum measure against the
	// established members and the alive view only, the rule before the
	// members of the table that are down or merely discovered counted: a
	// node restarted alone founds its own established set and holds a
	// majority of the few it establishes.
	QuorumKnowsEstablishedOnly bool
	// QuorumIgnoresSeeds makes MajorityQuorum leave configured seeds not
	// yet identified out of the members it knows, the rule before
	// quorum_seeds.go: a node restarted in memory at the instant of a cut
	// and a joiner that reach only each other hold two of the "two" they
	// know.
	QuorumIgnoresSeeds bool
	// QuorumSeedsOverRestoredView makes a MajorityQuorum node restored
	// from disk count its configured seeds on top of its persisted view,
	// the rule of 7b9eeaa: until heard, each peer counts twice (view
	// entry and seed), and max-seen keeps the double count, so every
	// node must be up for any to serve.
	QuorumSeedsOverRestoredView bool
	// MajorityAcceptsRivalWrites makes a MajorityQuorum peer acknowledge
	// an owner's round whatever version it holds, the rule before
	// quorum_rival.go: after a heal noticed link by link, an owner whose
	// registry missed the other side's start starts the child again at
	// the same epoch, and both starts are answered ok.
	MajorityAcceptsRivalWrites bool
	// HandoverKeptAfterExit keeps a hot-swap handover given to an
	// instance that exits (or fails its start) before it runs counted as
	// delivered, the rule before 8e5c14d (exitedBeforeRun): the sender's
	// retransmission is taken for a duplicate, acknowledged once the
	// restart runs without the state, and the sender stops — the state
	// reaches no instance that runs.
	HandoverKeptAfterExit bool
	// AwaitCrashedHolder keeps a hot-swap takeover waiting for the state
	// of a previous holder that is no longer alive (awaitingState), the
	// rule before predecessorAlive: when the child moves on, the only
	// instance stops at once, before the new one runs.
	AwaitCrashedHolder bool
}

// DistributionKind selects how children are mapped to nodes.
type DistributionKind string

// Distribution strategies.
const (
	ConsistentHashing DistributionKind = "consistent_hashing"
	Guided            DistributionKind = "guided"
)

// DistributionConfig configures the distribution strategy.
type DistributionConfig struct {
	Kind DistributionKind
	// VirtualNodes per node on the hash ring (default 128).
	VirtualNodes int
}

// RedundancyMode selects active/active or active/passive replication.
type RedundancyMode string

// Replication modes.
const (
	ActiveActive  RedundancyMode = "active_active"
	ActivePassive RedundancyMode = "active_passive"
)

// SignalMode selects which redundancy signals children receive.
type SignalMode string

// Redundancy signal modes (ProcessHub's redundancy_signal).
const (
	SignalNone    SignalMode = "none"
	SignalActive  SignalMode = "active"
	SignalPassive SignalMode = "passive"
	SignalAll     SignalMode = "all"
)

// RedundancyConfig configures singularity (Factor 1) or replication.
type RedundancyConfig struct {
	// Factor is the number of replicas; 1 is singularity. ClusterSize
	// (-1) means one replica on every node.
	Factor int
	Mode   RedundancyMode
	Signal SignalMode
}

// ClusterSize as a replication factor places a replica on every node.
const ClusterSize = -1

// MigrationKind selects how children move when a node joins.
type MigrationKind string

// Migration strategies.
const (
	ColdSwap MigrationKind = "cold_swap"
	HotSwap  MigrationKind = "hot_swap"
)

// MigrationConfig configures migration on join and graceful leave.
type MigrationConfig struct {
	Kind MigrationKind
	// Retention bounds how long the old instance waits for its handover
	// state (hot swap). Default 5s.
	Retention time.Duration
	// Handover asks the old instance for state and delivers it to the new
	// instance (hot swap), including on graceful shutdown.
	Handover bool
	// ConfirmHandover keeps the old instance until the new one confirms
	// it received the state (bounded by Retention).
	ConfirmHandover bool
	// ExitWait bounds how long an instance stopped for a move (cold swap,
	// cordon, graceful leave) keeps its claim while the driver has not
	// reported its exit; the new holder starts once the claim is gone.
	// Set it above the driver's stop grace. 0 means DefaultExitWait.
	ExitWait time.Duration
}

// SyncKind selects how registry changes spread.
type SyncKind string

// Synchronization strategies.
const (
	PubSub SyncKind = "pubsub"
	Gossip SyncKind = "gossip"
)

// SyncConfig configures propagation and periodic anti-entropy.
type SyncConfig struct {
	Kind SyncKind
	// Interval between anti-entropy rounds (default 15s).
	Interval time.Duration
	// FanOut is the number of peers a gossip round sends to (default 3).
	FanOut int
}

// PartitionKind selects the partition-tolerance strategy.
type PartitionKind string

// Partition-tolerance strategies.
const (
	Divergence     PartitionKind = "divergence"
	StaticQuorum   PartitionKind = "static_quorum"
	DynamicQuorum  PartitionKind = "dynamic_quorum"
	MajorityQuorum PartitionKind = "majority_quorum"
	// Strict runs a child only under a lease granted by a majority of
	// Voters, so no two instances of a child ever run at the same time
	// (strict.go).
	Strict PartitionKind = "strict"
)

// PartitionConfig configures the partition-tolerance strategy.
type PartitionConfig struct {
	Kind PartitionKind
	// QuorumSize: nodes for StaticQuorum, percent for DynamicQuorum.
	QuorumSize int
	// Window is DynamicQuorum's threshold time (default 30s).
	Window time.Duration
	// InitialClusterSize seeds MajorityQuorum's max-seen size (default 1).
	InitialClusterSize int
	// TrackMaxSize lets MajorityQuorum raise max-seen on joins (default true
	// via DefaultConfig).
	TrackMaxSize bool
	// Voters is Strict's configured cluster: the nodes whose majority
	// grants leases (required with Strict; other nodes may hold leases
	// but do not vote).
	Voters []NodeID
	// Lease is Strict's lease length L (default: Timing.DownAfter when 0).
	// A holder counts L·(1−MaxDrift) from sending its renewal; a voter
	// keeps its grant L·(1+MaxDrift)+LeaseMargin on its own clock.
	Lease time.Duration
	// MaxDrift is Strict's assumed bound ρ on the rate error of every
	// node's monotonic clock (default 0.01 when 0; must be below 0.1).
	MaxDrift float64
	// LeaseMargin is added to every voter's hold beyond L·(1+ρ): the time
	// a driver may need to kill a fenced child (default 2 ticks when 0).
	LeaseMargin time.Duration
}

// DetectorKind selects how a node decides that a member failed.
type DetectorKind string

// Failure detectors.
const (
	// AllToAll: every node heartbeats every member each HeartbeatInterval
	// with its member list, and declares down a member silent for
	// DownAfter (the default; the empty kind means the same).
	AllToAll DetectorKind = "all_to_all"
	// Swim: SWIM-style probing (swim.go). Each HeartbeatInterval a node
	// probes one member (round-robin over a shuffled list), asks
	// IndirectProbes others to probe it when no ack came within half the
	// interval, suspects it when no ack came within the interval, and
	// declares it down after DownAfter of suspicion unless it refutes;
	// membership news rides piggybacked on probes and acks.
	Swim DetectorKind = "swim"
)

// MembershipConfig configures failure detection.
type MembershipConfig struct {
	// Detector is AllToAll (default) or Swim.
	Detector DetectorKind
	// IndirectProbes is Swim's k: members asked to probe a member that
	// missed a direct probe (default 3 when 0; at most 16).
	IndirectProbes int
}

// RestartLimits is the restart intensity: more than MaxRestarts restarts
// of one child within Window gives up on it (the child is reported failed).
type RestartLimits struct {
	MaxRestarts int
	Window      time.Duration
}

// Timing holds the protocol's periods and timeouts.
type Timing struct {
	// TickInterval is how often the driver should call Tick (default 50ms).
	TickInterval time.Duration
	// HeartbeatInterval between heartbeats to every member (default 500ms).
	HeartbeatInterval time.Duration
	// DownAfter: a member not heard from for this long is declared down
	// (default 5s, like memberlist's LAN suspicion: an event loop busy with
	// a 100,000-child batch on a cold heap must not look dead).
	DownAfter time.Duration
	// RequestTimeout is the default await timeout (default 10s, as ProcessHub).
	RequestTimeout time.Duration
	// RetryInterval between retries of unacknowledged protocol messages
	// (default 300ms).
	RetryInterval time.Duration
	// TombstoneTTL: how long stopped entries are kept (default 5m): at
	// least TombstoneTTL after the stop and at most TombstoneTTL +
	// Sync.Interval + one tick, as every node collects on the same grid of
	// Sync.Interval steps (tombstone_grid.go).
	TombstoneTTL time.Duration
	// ForgetDownAfter: how long a down member is remembered and probed
	// (default 10m).
	ForgetDownAfter time.Duration
}

// DefaultConfig returns a config with ProcessHub's default strategies
// (consistent hashing, singularity, cold swap, pubsub, divergence).
func DefaultConfig(name NodeID) Config {
	return Config{
		Name:         name,
		HubID:        "phub",
		Distribution: DistributionConfig{Kind: ConsistentHashing, VirtualNodes: 128},
		Redundancy:   RedundancyConfig{Factor: 1, Mode: ActiveActive, Signal: SignalNone},
		Migration:    MigrationConfig{Kind: ColdSwap, Retention: 5 * time.Second},
		Sync:         SyncConfig{Kind: PubSub, Interval: 15 * time.Second, FanOut: 3},
		Partition:    PartitionConfig{Kind: Divergence, Window: 30 * time.Second, InitialClusterSize: 1, TrackMaxSize: true},
		Membership:   MembershipConfig{Detector: AllToAll},
		Restart:      RestartLimits{MaxRestarts: 3, Window: 5 * time.Second},
		Timing: Timing{
			TickInterval:      50 * time.Millisecond,
			HeartbeatInterval: 500 * time.Millisecond,
			DownAfter:         5 * time.Second,
			RequestTimeout:    10 * time.Second,
			RetryInterval:     300 * time.Millisecond,
			TombstoneTTL:      5 * time.Minute,
			ForgetDownAfter:   10 * time.Minute,
		},
		Limits: DefaultLimits(),
	}
}

// LocalTiming returns timings for a cluster whose nodes share one machine
// (in-process hubs, loopback TCP: tests, examples, the demo), in the
// spirit of memberlist's DefaultLocalConfig: 5 ms ticks, 25 ms
// heartbeats, retries after 50 ms, members declared down after 1 s of
// silence (long enough for a loaded CI machine not to suspect a live
// node) and a 5 s request timeout. Tombstone and forget periods are
// DefaultConfig's.
func LocalTiming() Timing {
	t := DefaultConfig("").Timing
	t.TickInterval = 5 * time.Millisecond
	t.HeartbeatInterval = 25 * time.Millisecond
	t.DownAfter = time.Second
	t.RetryInterval = 50 * time.Millisecond
	t.RequestTimeout = 5 * time.Second
	return t
}

// Validate returns an error naming the first invalid field.
func (c *Config) Validate() error {
	bad := func(field, why string) error { return fmt.Errorf("config: %s: %s", field, why) }
	switch {
	case c.Name == "":
		return bad("Name", "empty")
	case c.HubID == "":
		return bad("HubID", "empty")
	case c.Distribution.Kind != ConsistentHashing && c.Distribution.Kind != Guided:
		return bad("Distribution.Kind", fmt.Sprintf("unknown %q", c.Distribution.Kind))
	case c.Distribution.VirtualNodes < 1 || c.Distribution.VirtualNodes > 4096:
		return bad("Distribution.VirtualNodes", "must be in 1..4096")
	case c.Redundancy.Factor == 0 || c.Redundancy.Factor < ClusterSize:
		return bad("Redundancy.Factor", "must be >= 1 or ClusterSize")
	case c.Redundancy.Mode != ActiveActive && c.Redundancy.Mode != ActivePassive:
		return bad("Redundancy.Mode", fmt.Sprintf("unknown %q", c.Redundancy.Mode))
	case c.Redundancy.Signal != SignalNone && c.Redundancy.Signal != SignalActive && c.Redundancy.Signal != SignalPassive && c.Redundancy.Signal != SignalAll:
		return bad("Redundancy.Signal", fmt.Sprintf("unknown %q", c.Redundancy.Signal))
	case c.Migration.Kind != ColdSwap && c.Migration.Kind != HotSwap:
		return bad("Migration.Kind", fmt.Sprintf("unknown %q", c.Migration.Kind))
	case c.Migration.Retention <= 0:
		return bad("Migration.Retention", "must be > 0")
	case c.Migration.ExitWait < 0:
		return bad("Migration.ExitWait", "must be >= 0")
	case c.Sync.Kind != PubSub && c.Sync.Kind != Gossip:
		return bad("Sync.Kind", fmt.Sprintf("unknown %q", c.Sync.Kind))
	case c.Sync.Interval <= 0:
		return bad("Sync.Interval", "must be > 0")
	case c.Sync.FanOut < 1:
		return bad("Sync.FanOut", "must be >= 1")
	case c.Partition.Kind != Divergence && c.Partition.Kind != StaticQuorum && c.Partition.Kind != DynamicQuorum && c.Partition.Kind != MajorityQuorum && c.Partition.Kind != Strict:
		return bad("Partition.Kind", fmt.Sprintf("unknown %q", c.Partition.Kind))
	case c.Partition.Kind == StaticQuorum && c.Partition.QuorumSize < 1:
		return bad("Partition.QuorumSize", "static quorum needs a size >= 1")
	case c.Partition.Kind == DynamicQuorum && (c.Partition.QuorumSize < 1 || c.Partition.QuorumSize > 100):
		return bad("Partition.QuorumSize", "dynamic quorum needs a percentage in 1..100")
	case c.Partition.Kind == DynamicQuorum && c.Partition.Window <= 0:
		return bad("Partition.Window", "must be > 0")
	case c.Partition.Kind == MajorityQuorum && c.Partition.InitialClusterSize < 1:
		return bad("Partition.InitialClusterSize", "must be >= 1")
	case c.Membership.Detector != "" && c.Membership.Detector != AllToAll && c.Membership.Detector != Swim:
		return bad("Membership.Detector", fmt.Sprintf("unknown %q", c.Membership.Detector))
	case c.Membership.IndirectProbes < 0 || c.Membership.IndirectProbes > maxIndirectProbes:
		return bad("Membership.IndirectProbes", fmt.Sprintf("must be in 0..%d", maxIndirectProbes))
	case c.Restart.MaxRestarts < 0 || c.Restart.Window <= 0:
		return bad("Restart", "MaxRestarts must be >= 0 and Window > 0")
	case c.Timing.TickInterval <= 0 || c.Timing.HeartbeatInterval <= 0 || c.Timing.RetryInterval <= 0:
		return bad("Timing", "intervals must be > 0")
	case c.Timing.DownAfter <= c.Timing.HeartbeatInterval:
		return bad("Timing.DownAfter", "must exceed HeartbeatInterval")
	case c.Timing.RequestTimeout <= 0 || c.Timing.TombstoneTTL <= 0 || c.Timing.ForgetDownAfter <= 0:
		return bad("Timing", "timeouts must be > 0")
	case len(c.Name) > MaxNodeIDBytes:
		return bad("Name", fmt.Sprintf("longer than %d bytes", MaxNodeIDBytes))
	case len(c.HubID) > MaxNodeIDBytes:
		return bad("HubID", fmt.Sprintf("longer than %d bytes", MaxNodeIDBytes))
	case len(c.AdvertiseAddr) > MaxNodeIDBytes:
		return bad("AdvertiseAddr", fmt.Sprintf("longer than %d bytes", MaxNodeIDBytes))
	}
	if err := c.validateStrict(); err != nil {
		return err
	}
	return c.Limits.Validate()
}
