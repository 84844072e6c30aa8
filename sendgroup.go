package phub

import (
	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// sendMessages hands a Ready's messages to the transport in order. A run
// of envelopes that carry the same message to different peers (a
// replication round, a claim delta: core sends every peer the same
// value) goes through transport.MultiSender when the transport has it,
// encoded once.
func (h *Hub) sendMessages(envs []core.Envelope) {
	ms, multi := h.tr.(transport.MultiSender)
	for i := 0; i < len(envs); {
		j := i + 1
		if multi {
			for j < len(envs) && sameMessage(&envs[i].Msg, &envs[j].Msg) {
				j++
			}
		}
		if j == i+1 {
			if err := h.tr.Send(envs[i].To, envs[i].Msg); err != nil {
				h.sendFailed(envs[i], err)
			}
			i = j
			continue
		}
		to := h.sendTo[:0]
		for k := i; k < j; k++ {
			to = append(to, envs[k].To)
		}
		h.sendTo = to
		for k, err := range ms.SendMany(to, envs[i].Msg) {
			if err != nil {
				h.sendFailed(envs[i+k], err)
			}
		}
		i = j
	}
}

// earlyMessages returns how many of a Ready's first messages may leave
// before the hub applies the Ready's registry changes to its index and
// runs its effects: the longest prefix of requests, replication rounds
// and claims, work sent on to peers that acknowledges nothing. The rest,
// from the first other message on, is sent after, in order: an answer
// (a replicate ack, a result) tells its receiver that this node's index
// and children already reflect the batch, which is what makes a local
// lookup on any node that acknowledged see an awaited start or stop
// once it returns (TestAwaitedReplyMeansEveryIndexAgrees). Strict mode
// sends nothing early (its lease fence orders effects before messages).
func earlyMessages(envs []core.Envelope) int {
	for i := range envs {
		switch envs[i].Msg.Kind {
		case core.MsgRequest, core.MsgReplicate, core.MsgClaims:
		default:
			return i
		}
	}
	return len(envs)
}

// sameMessage reports whether a and b are the same message: every field
// equal, and every slice the same elements of the same array (core sends
// each peer one value, so a copy is found by identity without comparing
// its contents). TestSameMessageSeesEveryField fails when a field of
// core.Message is missing here.
func sameMessage(a, b *core.Message) bool {
	return a.Kind == b.Kind && a.Hub == b.Hub && a.From == b.From && a.Inc == b.Inc && a.Seq == b.Seq && a.Op == b.Op &&
		a.Origin == b.Origin && a.OriginInc == b.OriginInc && a.ToInc == b.ToInc && a.Hops == b.Hops &&
		sameSlice(a.Members, b.Members) && sameSlice(a.Items, b.Items) && sameSlice(a.IDs, b.IDs) &&
		sameSlice(a.Entries, b.Entries) && sameSlice(a.Claims, b.Claims) && a.Full == b.Full &&
		sameSlice(a.Results, b.Results) && sameSlice(a.Children, b.Children) && sameSlice(a.State, b.State) &&
		a.Epoch == b.Epoch && a.Err == b.Err && a.Digest == b.Digest && a.Version == b.Version && a.Count == b.Count &&
		sameSlice(a.Acks, b.Acks) && a.CheckExisting == b.CheckExisting && a.PartOf == b.PartOf && a.Part == b.Part &&
		a.Parts == b.Parts && sameSlice(a.Handovers, b.Handovers) && a.Busy == b.Busy &&
		a.ClaimDeltas == b.ClaimDeltas && a.ClaimsLen == b.ClaimsLen && a.ClaimsHash == b.ClaimsHash
}

// sameSlice reports whether a and b are both empty or the same elements
// of one array.
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}
