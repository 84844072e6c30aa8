package core

import "fmt"

// MsgKind names a peer protocol message.
type MsgKind uint8

// Peer protocol messages.
const (
	// MsgJoin asks a seed to admit the sender.
	MsgJoin MsgKind = iota + 1
	// MsgWelcome answers a join with the member list.
	MsgWelcome
	// MsgHeartbeat proves liveness and gossips the member list.
	MsgHeartbeat
	// MsgLeave announces a graceful leave.
	MsgLeave
	// MsgRequest carries a client operation routed to the child's owner.
	MsgRequest
	// MsgResult answers a MsgRequest.
	MsgResult
	// MsgReplicate carries registry entries (upserts and tombstones).
	MsgReplicate
	// MsgReplicateAck acknowledges a MsgReplicate by Seq.
	MsgReplicateAck
	// MsgClaims states which instances the sender runs (Full: all of them).
	MsgClaims
	// MsgDigest carries a registry digest for anti-entropy.
	MsgDigest
	// MsgSyncRequest asks for the full registry after a digest mismatch.
	// With Count set it asks for the full claim list only: the sender
	// lost the receiver's claim deltas from number Count on (syncgap.go).
	MsgSyncRequest
	// MsgWhich asks a node for its local children.
	MsgWhich
	// MsgWhichReply answers MsgWhich.
	MsgWhichReply
	// MsgHandover carries an old instance's state to the new holder.
	MsgHandover
	// MsgHandoverAck confirms a handover was delivered.
	MsgHandoverAck
	// MsgGossip carries registry entries and claims along a gossip round.
	MsgGossip
	// MsgLease asks a voter for a strict-mode lease: Seq is the holder's
	// round, IDs the children it holds or wants (strict.go).
	MsgLease
	// MsgLeaseGrant answers MsgLease: Seq echoes the round, ToInc the
	// holder's incarnation; of IDs, the first Count are children another
	// holder keeps, the rest children the voter does not know active
	// (neither is granted); Err set means the voter granted nothing.
	MsgLeaseGrant
	// MsgPing is a SWIM probe (Membership.Detector swim, swim.go): Seq
	// numbers it, Digest summarizes the sender's member table, Members
	// holds the sender's own record then piggybacked member updates.
	// State, if set, is the sender's agreement bitmap (swim_vouch.go);
	// Version and ToInc, if set, ask for the records changed since that
	// table version of that receiver incarnation (swim_join.go).
	MsgPing
	// MsgPingAck answers a MsgPing by Seq, with piggybacked updates (and,
	// Full, the whole member table when the ping's Digest differed, or,
	// with Version set, the records changed since that version). An ack
	// relayed for an indirect probe names the probed member in Origin.
	// State, if set, is the sender's agreement bitmap for the ping's stamp.
	MsgPingAck
	// MsgPingReq asks the receiver to probe Origin on the sender's
	// behalf and relay the ack under the sender's Seq (indirect probe).
	MsgPingReq
	msgKindEnd
)

var msgNames = [...]string{"?", "join", "welcome", "heartbeat", "leave", "request", "result",
	"replicate", "replicate_ack", "claims", "digest", "sync_request", "which", "which_reply",
	"handover", "handover_ack", "gossip", "lease", "lease_grant", "ping", "ping_ack", "ping_req"}

// String returns the message kind's name.
func (k MsgKind) String() string {
	if int(k) < len(msgNames) {
		return msgNames[k]
	}
	return fmt.Sprintf("msg(%d)", uint8(k))
}

// isSwim reports the messages of the SWIM detector (swim.go).
func (k MsgKind) isSwim() bool { return k == MsgPing || k == MsgPingAck || k == MsgPingReq }

// MemberStatus is a member's state in the membership view.
type MemberStatus uint8

// Member states.
const (
	StatusAlive MemberStatus = iota + 1
	StatusLeft
	StatusDown
	// StatusSuspect travels only in SWIM's piggybacked updates (swim.go):
	// the member missed a probe and is declared down unless it refutes
	// the suspicion within Timing.DownAfter. A member table never holds it.
	StatusSuspect
)

// String returns the status name.
func (s MemberStatus) String() string {
	switch s {
	case StatusAlive:
		return "alive"
	case StatusLeft:
		return "left"
	case StatusDown:
		return "down"
	case StatusSuspect:
		return "suspect"
	}
	return "?"
}

// Member is one node as gossiped in the membership view.
type Member struct {
	Name        NodeID       `json:"name"`
	Incarnation uint64       `json:"inc"`
	Status      MemberStatus `json:"status"`
	// Addr is where the member listens (empty in the simulator).
	Addr string `json:"addr,omitempty"`
	// Cordoned: the member takes no new children and its children move
	// away (cordon.go). Only the member itself sets it; CordonVer orders
	// its changes within an incarnation.
	Cordoned  bool   `json:"cordoned,omitempty"`
	CordonVer uint64 `json:"cordonVer,omitempty"`
	// Beat orders SWIM's news about the member within one incarnation
	// (swim.go): the member raises it to refute a suspicion, and a
	// suspicion or down at Beat b loses to alive at a higher Beat. Always
	// 0 with the all-to-all detector.
	Beat uint64 `json:"beat,omitempty"`
	// SyncStamp is the member's own statement of its state with the SWIM
	// detector (swim_agree.go): in its low 44 bits a hash of its member
	// table's digest and its registry's digest (0 while it claims
	// children), in its top 20 bits the stamp's number, which orders the
	// member's stamps; 0 with the all-to-all detector. A node whose own
	// table and registry hash the same holds everything the member had
	// decided when it made the stamp.
	SyncStamp uint64 `json:"syncStamp,omitempty"`
	// Detected, on a record with Status down, says that a failure
	// detector declared the member down at this incarnation: the sender
	// (or a node it learned the record from) knew it alive and then
	// marked it down. A member only heard of by gossip, never known
	// alive, is down without it. A node that boots waits up to DownAfter
	// for a down member to show up unless its record is Detected
	// (checkSynced). Ignored on any other status.
	Detected bool `json:"detected,omitempty"`
	// Recovering, set only with Cordoned, says the member cordoned itself
	// for its recovery wait (persist.go: it cannot run children yet), not
	// on request; ordered by CordonVer with Cordoned. The ring leaves it
	// out like any cordoned member unless every alive member is cordoned:
	// then the recovering ones make the ring (placeable), so a cluster
	// that boots from disk all at once does not refuse starts.
	Recovering bool `json:"recovering,omitempty"`
}

// Claim is a node's statement that it runs (or is starting) an instance.
type Claim struct {
	ID       ChildID `json:"id"`
	Epoch    uint64  `json:"epoch"`
	Instance uint64  `json:"instance"`
	Active   bool    `json:"active"`
	// Removed retracts an earlier claim (delta messages only).
	Removed bool `json:"removed,omitempty"`
	// Ver is the claims version of the message that set this claim
	// (receiver-side bookkeeping, not sent).
	Ver uint64 `json:"-"`
}

// StartItem is one child of a routed start request.
type StartItem struct {
	Spec     ChildSpec `json:"spec"`
	Metadata Metadata  `json:"meta,omitempty"`
	Pinned   []NodeID  `json:"pinned,omitempty"`
}

// Message is one peer protocol message. Which fields are set depends on Kind.
type Message struct {
	Kind MsgKind `json:"k"`
	Hub  string  `json:"hub"`
	From NodeID  `json:"from"`
	// Inc is the sender's incarnation.
	Inc uint64 `json:"inc"`
	// Seq identifies a request, replication batch or gossip round; in a
	// handover and its ack, the sending instance (its id on From).
	Seq uint64 `json:"seq,omitempty"`
	Op  Op     `json:"op,omitempty"`
	// Origin is the node that issued a routed request; results go there.
	// In a MsgPingReq and the MsgPingAck it relays: the member probed.
	Origin NodeID `json:"origin,omitempty"`
	// OriginInc is the origin's incarnation (request ids restart with it).
	OriginInc uint64 `json:"originInc,omitempty"`
	// ToInc is the incarnation of the receiver the request was first sent
	// to; a restarted receiver answers ErrNodeDown instead of executing
	// a retransmission it cannot deduplicate.
	ToInc uint64 `json:"toInc,omitempty"`
	// Hops counts forwards of a routed request (bounded by maxHops).
	Hops     uint8         `json:"hops,omitempty"`
	Members  []Member      `json:"members,omitempty"`
	Items    []StartItem   `json:"items,omitempty"`
	IDs      []ChildID     `json:"ids,omitempty"`
	Entries  []Entry       `json:"entries,omitempty"`
	Claims   []Claim       `json:"claims,omitempty"`
	Full     bool          `json:"full,omitempty"`
	Results  []ChildResult `json:"results,omitempty"`
	Children []LocalChild  `json:"children,omitempty"`
	State    []byte        `json:"state,omitempty"`
	Epoch    uint64        `json:"epoch,omitempty"`
	Err      ErrCode       `json:"err,omitempty"`
	Digest   uint64        `json:"digest,omitempty"`
	// Version orders a node's claim messages (deltas and full lists), so
	// a reordered old message never undoes a newer one.
	Version uint64 `json:"ver,omitempty"`
	// Count: in MsgDigest the number of entries; in a claim message
	// (MsgClaims, MsgGossip, a MsgReplicate with Version) the number of
	// claim deltas the sender has sent in its incarnation, this one
	// included (syncgap.go); see also MsgSyncRequest, MsgReplicateAck,
	// MsgLeaseGrant and MsgPingAck.
	Count         int      `json:"count,omitempty"`
	Acks          []NodeID `json:"acks,omitempty"`
	CheckExisting bool     `json:"check,omitempty"`
	// PartOf, Part and Parts mark one part of a logical message too large
	// for one message (Limits.MaxMessageBytes): PartOf names the logical
	// message (unique per sender incarnation), Part is this part's index
	// (from 0) and Parts their number (>= 2). See chunks.go.
	PartOf uint64 `json:"partOf,omitempty"`
	Part   int    `json:"part,omitempty"`
	Parts  int    `json:"parts,omitempty"`
	// Handovers: in a MsgHandover of several children, each child's
	// state; in a MsgHandoverAck of several, each handover acknowledged
	// (without state). A message for one child uses IDs, State, Epoch,
	// Seq and Full instead (handoverbatch.go).
	Handovers []HandoverItem `json:"handovers,omitempty"`
	// Busy: in a MsgDigest, the sender's large registry has writes in
	// flight, so a mismatch is answered once quiet (syncquiet.go).
	Busy bool `json:"busy,omitempty"`
	// ClaimDeltas, ClaimsLen and ClaimsHash: in a MsgDigest, the
	// sender's claims digest — the claim deltas it had sent, how many
	// claims it held and the sum of their hashes at that point
	// (claimsdigest.go).
	ClaimDeltas int    `json:"claimDeltas,omitempty"`
	ClaimsLen   int    `json:"claimsLen,omitempty"`
	ClaimsHash  uint64 `json:"claimsHash,omitempty"`
}

// HandoverItem is one child's handover in a MsgHandover, or the
// acknowledgement of one in a MsgHandoverAck (State empty).
type HandoverItem struct {
	ID ChildID `json:"id"`
	// Epoch and Instance name the instance that handed its state over.
	Epoch    uint64 `json:"epoch,omitempty"`
	Instance uint64 `json:"instance,omitempty"`
	State    []byte `json:"state,omitempty"`
	// Shutdown marks a graceful leave's handover (the receiver stashes
	// the state until the child starts there).
	Shutdown bool `json:"shutdown,omitempty"`
}

// Validate rejects messages no correct peer sends: unknown kinds, empty
// sender, oversize batches, invalid specs. Drivers call it on decoded
// input; Step also calls it and drops invalid messages.
func (m *Message) Validate(maxBatch int) error {
	if m.Kind == 0 || m.Kind >= msgKindEnd {
		return fmt.Errorf("message: unknown kind %d", m.Kind)
	}
	if m.From == "" {
		return fmt.Errorf("message %s: empty sender", m.Kind)
	}
	if m.Parts != 0 || m.Part != 0 || m.PartOf != 0 {
		if m.Parts < 2 || m.Parts > maxParts || m.Part < 0 || m.Part >= m.Parts || m.PartOf == 0 {
			return fmt.Errorf("message %s: part %d of %d (of %d) is out of range", m.Kind, m.Part, m.Parts, m.PartOf)
		}
	}
	if m.ClaimDeltas < 0 || m.ClaimsLen < 0 {
		return fmt.Errorf("message %s: claims digest of %d deltas and %d claims", m.Kind, m.ClaimDeltas, m.ClaimsLen)
	}
	if len(m.Err) > maxErrCodeBytes {
		return fmt.Errorf("message %s: error code of %d bytes", m.Kind, len(m.Err))
	}
	n := len(m.Members) + len(m.Items) + len(m.IDs) + len(m.Entries) + len(m.Claims) + len(m.Results) + len(m.Children) + len(m.Acks) + len(m.Handovers)
	if n > 4*maxBatch+1024 {
		return fmt.Errorf("message %s: %d items exceeds batch limit", m.Kind, n)
	}
	if len(m.Handovers) > 0 {
		// A batch names its children in Handovers only (handoverbatch.go).
		if m.Kind != MsgHandover && m.Kind != MsgHandoverAck {
			return fmt.Errorf("message %s: %d handovers in a message that is no handover", m.Kind, len(m.Handovers))
		}
		if len(m.IDs) > 0 {
			return fmt.Errorf("message %s: both one child (IDs) and a batch (%d handovers)", m.Kind, len(m.Handovers))
		}
	}
	for i := range m.Items {
		if err := m.Items[i].Spec.Validate(); err != nil {
			return fmt.Errorf("message %s: %w", m.Kind, err)
		}
	}
	for i := range m.Entries {
		if err := m.Entries[i].Spec.Validate(); err != nil {
			return fmt.Errorf("message %s: %w", m.Kind, err)
		}
	}
	return nil
}
