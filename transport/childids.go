package transport

import "github.com/phub/phub/core"

// ChildIDSource returns the string of a child id the receiving node
// already holds, given the id's bytes, or false if it holds none. It is
// called from the transport's receiving goroutines, concurrently with
// everything else, and must not retain b.
//
// The binary decoder asks it before copying a child id out of a payload:
// a stop names children the receiver knows (its own registry's ids, in
// the request and in the tombstones), so with a source a decoded id
// shares the receiver's string instead of costing an allocation per id
// per message. An answer whose bytes differ from b is ignored.
type ChildIDSource func(b []byte) (core.ChildID, bool)

// ChildIDSharer is implemented by transports whose decoder takes a
// ChildIDSource (TCP).
type ChildIDSharer interface {
	// SetChildIDs makes later decodes reuse the ids src returns; nil
	// turns sharing off.
	SetChildIDs(src ChildIDSource)
}

var _ ChildIDSharer = (*TCP)(nil)

// SetChildIDs sets the source of known child ids for messages decoded
// from now on.
func (t *TCP) SetChildIDs(src ChildIDSource) {
	if src == nil {
		t.childIDs.Store(nil)
		return
	}
	t.childIDs.Store(&src)
}

// childIDSource returns the current source, or nil.
func (t *TCP) childIDSource() ChildIDSource {
	if p := t.childIDs.Load(); p != nil {
		return *p
	}
	return nil
}

// knownID returns the source's string for the id b, if it holds one
// with exactly these bytes.
func knownID(src ChildIDSource, b []byte) (string, bool) {
	id, ok := src(b)
	if !ok || string(id) != string(b) {
		return "", false
	}
	return string(id), true
}
