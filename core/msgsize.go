package core

import "math/bits"

// Upper bounds of a message's size on the wire. They follow the peer
// codec's binary layout (transport/codec_binary.go: a flags word per
// struct, uvarint lengths, varint integers) and never underestimate it;
// transport tests prove encode(m) <= MessageBytes(m) for random messages.
// core uses them to split messages into parts that fit
// Limits.MaxMessageBytes (chunks.go).

const (
	// varintBytes bounds any encoded integer (a 64-bit varint).
	varintBytes = 10
	// structBytes bounds a struct's flags word.
	structBytes = varintBytes
	// messageOverheadBytes bounds everything of a message but its lists
	// and State: the version byte, flags, integers, node names and the
	// error code (which Validate bounds), plus every list's count.
	messageOverheadBytes = 1 + structBytes + 16*varintBytes + 3*(varintBytes+MaxNodeIDBytes) + varintBytes + maxErrCodeBytes + 10*varintBytes
	// maxErrCodeBytes bounds an error code on the wire.
	maxErrCodeBytes = 64
)

// lenBytes is the size of n as a uvarint.
func lenBytes(n int) int {
	if n <= 0 {
		return 1
	}
	return (bits.Len64(uint64(n)) + 6) / 7
}

// strBytes bounds a length-prefixed string of n bytes.
func strBytes(n int) int { return lenBytes(n) + n }

func mapBound(m map[string]string) int {
	if len(m) == 0 {
		return 1 // lenBytes(0), without starting an iteration (most entries have no params)
	}
	n := lenBytes(len(m))
	for k, v := range m {
		n += strBytes(len(k)) + strBytes(len(v))
	}
	return n
}

func metadataBound(m Metadata) int { return mapBound(m) }

func nodesBound(ns []NodeID) int {
	n := lenBytes(len(ns))
	for _, s := range ns {
		n += strBytes(len(s))
	}
	return n
}

func specBound(s *ChildSpec) int {
	return structBytes + strBytes(len(s.ID)) + strBytes(len(s.Kind)) + mapBound(s.Params) + varintBytes
}

func memberBound(m *Member) int {
	n := structBytes + strBytes(len(m.Name)) + 2*varintBytes + strBytes(len(m.Addr))
	if m.Beat != 0 {
		n += varintBytes
	}
	if m.SyncStamp != 0 {
		n += varintBytes
	}
	return n
}

func itemBound(it *StartItem) int {
	return structBytes + specBound(&it.Spec) + metadataBound(it.Metadata) + nodesBound(it.Pinned)
}

func entryBound(e *Entry) int {
	n := structBytes + specBound(&e.Spec) + metadataBound(e.Metadata) + varintBytes +
		strBytes(len(e.Holder)) + strBytes(len(e.By)) + nodesBound(e.Pinned) + strBytes(len(e.Reason)) +
		varintBytes + lenBytes(len(e.Replicas))
	for i := range e.Replicas {
		n += structBytes + strBytes(len(e.Replicas[i].Node)) + 2*varintBytes
	}
	return n
}

func claimBound(c *Claim) int { return structBytes + strBytes(len(c.ID)) + 2*varintBytes }

func resultBound(r *ChildResult) int {
	return structBytes + strBytes(len(r.ID)) + nodesBound(r.Nodes) + varintBytes + strBytes(len(r.Err)) +
		strBytes(len(r.Detail)) + metadataBound(r.Metadata)
}

func handoverBound(h *HandoverItem) int {
	return structBytes + strBytes(len(h.ID)) + 2*varintBytes + strBytes(len(h.State))
}

func localChildBound(c *LocalChild) int {
	return structBytes + strBytes(len(c.ID)) + strBytes(len(c.Kind)) + 2*varintBytes + strBytes(len(c.Status))
}

// headerBound bounds a message without its lists and State.
func headerBound(m *Message) int {
	return 1 + structBytes + 16*varintBytes + strBytes(len(m.Hub)) + strBytes(len(m.From)) + strBytes(len(m.Origin)) +
		strBytes(len(m.Err)) + 10*varintBytes
}

// MessageBytes returns an upper bound of m's encoded size in the peer
// codec's binary encoding (payload, without the transport's frame
// header). Every message core emits has MessageBytes(m) <=
// Limits.MaxMessageBytes, unless a single list element alone is larger.
func MessageBytes(m *Message) int {
	n := headerBound(m) + strBytes(len(m.State))
	for i := range m.Members {
		n += memberBound(&m.Members[i])
	}
	for i := range m.Items {
		n += itemBound(&m.Items[i])
	}
	for _, id := range m.IDs {
		n += strBytes(len(id))
	}
	for i := range m.Entries {
		n += entryBound(&m.Entries[i])
	}
	for i := range m.Claims {
		n += claimBound(&m.Claims[i])
	}
	for i := range m.Results {
		n += resultBound(&m.Results[i])
	}
	for i := range m.Children {
		n += localChildBound(&m.Children[i])
	}
	for _, a := range m.Acks {
		n += strBytes(len(a))
	}
	for i := range m.Handovers {
		n += handoverBound(&m.Handovers[i])
	}
	return n
}
