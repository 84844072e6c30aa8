package core

// Messages larger than Limits.MaxMessageBytes (or with more than
// Limits.MaxBatch list elements) are sent in parts, so every message core
// emits fits the transport's frame limit by construction, whatever the
// registry's size. A part repeats the header fields (kind, seq, version,
// flags...) and carries a slice of the lists (and of State) in order;
// PartOf names the logical message, Part and Parts say which part of how
// many. The receiver holds parts until all have arrived, joins them and
// handles the whole message as if it had arrived at once: a full sync
// counts only when complete, a claim list is applied whole. A lost part
// loses the logical message, which the protocol already tolerates (every
// message may be lost; senders retry or anti-entropy repairs).

// maxParts bounds the parts of one logical message.
const maxParts = 1 << 16

// maxAssemblies bounds the logical messages being assembled at once; the
// oldest is dropped first.
const maxAssemblies = 256

// fits reports whether m goes out whole: split returns it alone. send
// asks first, so the common message is not copied into a new slice
// (that was one allocation per message sent). It also returns
// MessageBytes(m) when it computed it, else 0 (too many list elements).
func (l Limits) fits(m *Message) (int, bool) {
	items := len(m.Members) + len(m.Items) + len(m.IDs) + len(m.Entries) + len(m.Claims) + len(m.Results) + len(m.Children) + len(m.Acks) + len(m.Handovers)
	if items > l.MaxBatch {
		return 0, false
	}
	size := MessageBytes(m)
	return size, size <= l.MaxMessageBytes
}

// split returns m unchanged if it fits, else its parts. Splitting is a
// function of m and the limits only (deterministic). The caller sets
// PartOf.
func (l Limits) split(m Message) []Message {
	if _, ok := l.fits(&m); ok {
		return []Message{m}
	}
	head := m
	head.Members, head.Items, head.IDs, head.Entries, head.Claims, head.Results, head.Children, head.Acks, head.State = nil, nil, nil, nil, nil, nil, nil, nil, nil
	head.Handovers = nil
	base := headerBound(&head) + 3*varintBytes // the part fields
	var parts []Message
	cur, size, count := head, base, 0
	// add reports whether an element of sz bytes fits the current part,
	// starting a new part if it does not (an element larger than a whole
	// part goes alone into its own part).
	room := func(sz int) {
		if count > 0 && (size+sz > l.MaxMessageBytes || count+1 > l.MaxBatch) {
			parts = append(parts, cur)
			cur, size, count = head, base, 0
		}
		size += sz
		count++
	}
	each(m.Members, memberBound, room, func() *[]Member { return &cur.Members })
	each(m.Items, itemBound, room, func() *[]StartItem { return &cur.Items })
	each(m.IDs, func(id *ChildID) int { return strBytes(len(*id)) }, room, func() *[]ChildID { return &cur.IDs })
	each(m.Entries, entryBound, room, func() *[]Entry { return &cur.Entries })
	each(m.Claims, claimBound, room, func() *[]Claim { return &cur.Claims })
	each(m.Results, resultBound, room, func() *[]ChildResult { return &cur.Results })
	each(m.Children, localChildBound, room, func() *[]LocalChild { return &cur.Children })
	each(m.Acks, func(a *NodeID) int { return strBytes(len(*a)) }, room, func() *[]NodeID { return &cur.Acks })
	each(m.Handovers, handoverBound, room, func() *[]HandoverItem { return &cur.Handovers })
	for st := m.State; len(st) > 0; {
		free := l.MaxMessageBytes - size - varintBytes
		if count == 0 {
			free = max(free, 1) // always progress, even under a tiny limit
		}
		if free <= 0 || count+1 > l.MaxBatch {
			parts = append(parts, cur)
			cur, size, count = head, base, 0
			continue
		}
		k := min(free, len(st))
		cur.State = st[:k:k]
		st = st[k:]
		size += varintBytes + k
		count++
		if len(st) > 0 {
			parts = append(parts, cur)
			cur, size, count = head, base, 0
		}
	}
	if count > 0 || len(parts) == 0 {
		parts = append(parts, cur)
	}
	if len(parts) > 1 {
		for i := range parts {
			parts[i].Part, parts[i].Parts = i, len(parts)
		}
	}
	return parts
}

// each appends every element of xs to the list of the current part that
// list returns, after room has made space for its encoded bound.
func each[T any](xs []T, bound func(*T) int, room func(int), list func() *[]T) {
	for i := range xs {
		room(bound(&xs[i]))
		l := list()
		*l = append(*l, xs[i])
	}
}

// assembly collects the parts of one logical message.
type assembly struct {
	parts []Message
	got   []bool
	n     int
}

type assemblyKey struct {
	from   NodeID
	inc    uint64
	partOf uint64
}

// assembler holds incomplete logical messages, bounded by maxAssemblies.
type assembler struct {
	open  map[assemblyKey]*assembly
	order []assemblyKey
}

// add records part m; it returns the joined message once every part has
// arrived. Duplicated parts are ignored.
func (a *assembler) add(m Message) (Message, bool) {
	if a.open == nil {
		a.open = map[assemblyKey]*assembly{}
	}
	k := assemblyKey{m.From, m.Inc, m.PartOf}
	as := a.open[k]
	if as == nil {
		if len(a.order) >= maxAssemblies {
			delete(a.open, a.order[0])
			a.order = a.order[1:]
		}
		as = &assembly{parts: make([]Message, m.Parts), got: make([]bool, m.Parts)}
		a.open[k] = as
		a.order = append(a.order, k)
	}
	if m.Parts != len(as.parts) || as.got[m.Part] {
		return Message{}, false
	}
	as.parts[m.Part], as.got[m.Part] = m, true
	as.n++
	if as.n < len(as.parts) {
		return Message{}, false
	}
	delete(a.open, k)
	for i, o := range a.order {
		if o == k {
			a.order = append(a.order[:i], a.order[i+1:]...)
			break
		}
	}
	return join(as.parts), true
}

// join concatenates the lists of parts in order under the first part's
// header.
func join(parts []Message) Message {
	out := parts[0]
	out.PartOf, out.Part, out.Parts = 0, 0, 0
	out.Members, out.Items, out.IDs, out.Entries, out.Claims, out.Results, out.Children, out.Acks, out.State = nil, nil, nil, nil, nil, nil, nil, nil, nil
	out.Handovers = nil
	for i := range parts {
		p := &parts[i]
		out.Members = append(out.Members, p.Members...)
		out.Items = append(out.Items, p.Items...)
		out.IDs = append(out.IDs, p.IDs...)
		out.Entries = append(out.Entries, p.Entries...)
		out.Claims = append(out.Claims, p.Claims...)
		out.Results = append(out.Results, p.Results...)
		out.Children = append(out.Children, p.Children...)
		out.Acks = append(out.Acks, p.Acks...)
		out.Handovers = append(out.Handovers, p.Handovers...)
		out.State = append(out.State, p.State...)
	}
	return out
}
