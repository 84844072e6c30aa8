package phub

import (
	"unsafe"

	"github.com/phub/phub/core"
	"github.com/phub/phub/transport"
)

// shareChildIDs hands the transport, if its decoder takes one
// (transport.ChildIDSharer), the index as its source of known child ids:
// a decoded id of a live child then shares the index entry's string
// instead of a fresh allocation. A stop names only live children at the
// owner and at the replicas, so it decodes its ids without allocating
// them; a start's claims and results name children the receiver already
// holds.
func (h *Hub) shareChildIDs() {
	if s, ok := h.tr.(transport.ChildIDSharer); ok {
		s.SetChildIDs(h.index.heldID)
	}
}

// heldID returns the id of the live entry whose id has the bytes b, or
// false if the index holds none. Any goroutine may call it (it reads the
// index like a lookup); b is not retained.
func (ix *index) heldID(b []byte) (core.ChildID, bool) {
	if len(b) == 0 {
		return "", false
	}
	e := ix.get(core.ChildID(unsafe.String(unsafe.SliceData(b), len(b))))
	if e == nil {
		return "", false
	}
	return e.Spec.ID, true
}
