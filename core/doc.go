// Package core is phub's distributor as a deterministic state machine, in
// the style of etcd raft's RawNode/Ready.
//
// # Contract
//
// A driver owns each Node exclusively and feeds it inputs: Step (a message
// from a peer), Tick (the current time, a value handed in), Request (a
// local client operation), ChildEvent (a report about a local child) and
// Leave. Every input may produce outputs, collected in one Ready batch the
// driver drains: messages to send, effects on local children, replies,
// registry changes and hook events. Given the same Config (RandSeed
// included) and the same inputs, a Node produces the same outputs, byte for
// byte: core starts no goroutines, reads no clock, does no I/O, uses only
// its own seeded PRNG and never lets map iteration order reach an output.
// In strict mode (PartitionConfig.Kind Strict) the driver also hands in its
// monotonic clock with SetMono before every input and kills every local
// child when that clock passes the latest Ready.LeaseUntil, even while the
// event loop is paused; strict.go states the protocol and its assumptions.
// Every Request gets exactly one Reply with its ID, in the same or a later
// batch. Invalid peer messages are dropped; invalid requests and configs
// are refused with a named error.
//
// In durable mode (Config.Durable) persistence is an output too:
// Ready.Persist holds the changes to the node's durable state, which the
// driver writes and syncs before it acts on anything else in that Ready;
// recovery is an input, NewNodeFromSnapshot (persist.go).
//
// core/testdata/*.txt is the executable specification: each file drives
// bare Nodes through one protocol path and shows every output
// (go test ./core -run TestData; -rewrite regenerates them).
//
// # Files
//
//	node.go        Node, its state and output helpers; NewNode, Ready
//	step.go        Step and Tick: message dispatch, timers, batching
//	io.go          inputs and outputs: Request, Reply, ChildEvent, Effect, Ready
//	types.go       NodeID, ChildID, Instant, ChildSpec, Entry, Replica
//	message.go     the peer protocol: Message, Member, Claim, Validate
//	config.go      Config, DefaultConfig, LocalTiming, Validate
//	configkeys.go  the one key table of Config settings (phubd, scenarios, testdata)
//	limits.go      the one table of size limits and request checks
//	errors.go      sentinel errors and their wire codes
//	membership.go  the membership table (a leaf): failure detection, gossip merge; returns transitions
//	memberchange.go  the node's one reaction to membership transitions: syncs, hooks, view changes
//	membership_delta.go  what a membership change costs: view, digest, down set and expiry kept up to date per changed member
//	membership_batch.go  a member list learned in one batch: names merged into the sorted table once, not inserted one by one
//	ring.go        the consistent-hash ring with virtual nodes
//	ring_view.go   read-only ring positions and points (admin views)
//	placement.go   placement, reconciliation after view changes, guided mapping
//	guided_conflict.go  concurrent guided starts with different mappings: one wins
//	guided_master.go  a guided child's active/passive master is among its live pinned nodes
//	registry.go    the registry replica: entries, claims, merge by epoch, digest
//	record.go      how the registry stores an entry: a 16-byte record, interned shapes, rare fields
//	slots.go       the registry's storage: one slot per id, its entry and one claim inline
//	keyorder.go    the registry's ids in sorted order with their slots: per-node claim lists without a sort
//	entryapply.go  the entry-apply fast path: whether the registry would take a version
//	requests.go    the origin side of client requests: routing, retries, timeouts
//	routegroup.go  the origin's split of a request by owner, sized in one counting pass
//	owner.go       the owner side: execute, replicate before ack, dedup
//	donetable.go   answered requests kept for dedup, compactly (a large answer: epoch and shape per child)
//	reroute.go     one owner per child: a request naming a child another node owns is refused and regrouped
//	conflict.go    a peer refuses to acknowledge a write that conflicts with another owner's
//	backoff.go     retransmissions of requests and replication back off (2^k, capped)
//	subparts.go    a large sub-request goes in parts, at most two in flight per owner
//	requestcount.go  requests and replication rounds sent and resent (Stats.Sent)
//	children.go    local children: start, exits, restart policy
//	changes.go     registry changes for the driver (LiveChanges), reused batch sets
//	stopcost.go    routing and an owner's stop read pins, replica nodes without entry copies
//	startcost.go   an owner's start: one lookup per child, entries and result nodes sized once
//	viewsources.go a batch's registry views with each alive node's incarnation looked up once
//	reserve.go     room in the registry and owner tables for a bulk start or replication
//	intensity.go   restart intensity and backoff per replica
//	cordon.go      cordon and uncordon: the ring leaves cordoned nodes out
//	migration.go   hot-swap handover between old and new holder, kept when the child
//	               returns, and to a renewed generation on the same node
//	handoverbatch.go  handovers and their acks sent as one message per receiver at Ready
//	leave.go       graceful leave with handover
//	exiting.go     a move keeps a stopped instance's claim until it is known gone
//	quorum.go      partition tolerance: static, dynamic and majority quorum
//	quorum_members.go  majority quorum: which members count (established), against what
//	quorum_seeds.go    majority quorum: configured seeds count as known until identified
//	quorum_rival.go    majority quorum refuses rival writes as strict mode does (a heal noticed link by link)
//	swim.go        the opt-in SWIM failure detector: probes, ping-reqs, suspicion, refutation
//	swim_gossip.go SWIM's piggybacked news (bounded queue, retransmit limit), member table digest
//	swim_join.go   a SWIM node joins through a few seeds per period, then pulls the fullest welcomer's table; contact pings' acks carry no table
//	swim_agree.go  SWIM joins spread as news; sync stamps let readiness skip full syncs with nothing to add
//	swim_vouch.go  a waiting SWIM node learns its peers' stamps as agreement bits, not whole member tables
//	strict.go      strict mode: per-child leases from a majority of voters,
//	               self-fencing deadlines (Ready.LeaseUntil), the proof sketch
//	strict_acks.go  strict mode: an owner's round answers ok only once a majority of the voters acknowledged
//	strict_deadline.go  strict mode's lease heaps: the fence deadline and the children due in O(log N)
//	strict_leave.go  strict mode's graceful leave: a release round once the children are gone
//	strict_grant_stop.go  strict mode: a voter refuses the stop of a child it granted to another holder
//	strict_ready.go  strict mode: a memory-less node is synced only after full syncs from n-m+1 voters
//	strict_contested.go  strict mode and majority quorum: a version taken from a peer in place of a rival stays a write conflict
//	sync.go        propagation (pubsub, gossip), anti-entropy, full syncs
//	syncask.go     asking peers again for a full sync that has not come (a retry, a RetryInterval on)
//	syncgap.go     lost claim deltas: counted per sender, a hole asks for the full claim list
//	claimsdigest.go anti-entropy sends a claims digest (deltas, count, hash), not the full list; a mismatch asks for it
//	syncdigest.go  digest-only full syncs to peers whose registry already matches
//	syncfanout.go  anti-entropy's round goes to a bounded number of peers in rotation
//	syncquiet.go   a large registry answers a mismatching digest once no writes are in flight (bounded)
//	syncround.go   the periodic round reconciles one of 4 hash buckets of the children in turn, not all
//	syncwelcome.go the welcome carries the joiner's one full sync, applied before its members
//	claimbatch.go  one claim change per child in a claims message (the last)
//	claimsapply.go a full claim list that repeats what is known: no retraction search, no reconcile
//	claimround.go  a claim delta rides with the replication round queued for the same peer
//	chunks.go      messages split in parts and reassembled
//	msgsize.go     upper bounds of a message's size on the wire
//	hooks.go       hook kinds and their emission
//	fence.go       fencing tokens of started instances
//	epochfloor.go  the epoch floor: epochs keep increasing after tombstone expiry
//	stalegeneration.go  an instance older than its entry's generation is renewed
//	tombstone_gc.go  tombstones are collected only while no member is away
//	tombstone_grid.go  tombstones expire on a grid shared by every node
//	tombstone_queue.go  tombstones queued by StoppedAt: collection costs what it collects
//	read.go        read-only queries: Lookup, List, ByTag, View, Stats
//	readiness.go   Readiness: synced, partitioned, left (health probes)
//	persist.go     durable mode: Ready.Persist batches, Snapshot, NewNodeFromSnapshot, NewNodeLostState
//	invariants.go  CheckInvariants, run after every input with Config.CheckInvariants
//	invariant_digest.go  the registry digest checked against each input's changes
//	rng.go         the node's private PRNG
package core
