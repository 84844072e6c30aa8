package core

// Room in the long-lived maps for a bulk write: a start of n children at
// their owner, or n replicated entries at a peer, adds up to n keys to
// the registry and the owner's tables, and a Go map that grows by
// doubling while they are added rehashes (splits) every table on the way
// — 15% of an awaited 10,000-child start's core CPU on a fresh cluster
// (BenchmarkStartAwait10k's profile). Go has no reserve for a map, so a
// map that the batch would more than double is rebuilt once, sized for
// it: copying its fewer-than-n keys costs less than the growth it saves.
// A map the batch cannot double is left to grow as usual, so the rebuild
// never costs more than the batch's own writes. Only capacity changes:
// keys, values and (since core never depends on it) iteration order are
// the same maps' as before.

// reserve returns m, or a copy of m with room for more keys if more
// exceeds the keys it holds.
func reserve[K comparable, V any](m map[K]V, more int) map[K]V {
	if more <= len(m) {
		return m
	}
	r := make(map[K]V, len(m)+more)
	for k, v := range m {
		r[k] = v
	}
	return r
}

// reserveEntries makes room for n more registry entries.
func (r *registry) reserveEntries(n int) { r.reserveSlots(n) }

// reserveForStart makes room for k children an owner starts: their
// entries and this node's claims (slots.go), instances, and the table of
// starts awaited.
func (n *Node) reserveForStart(k int) {
	n.reserveMarks(k)
	n.reg.reserveEntries(k) // their claims share the entries' slots
	n.local = reserve(n.local, k)
	n.repl.waitingStart = reserve(n.repl.waitingStart, k)
}

// reserveForEntries makes room for the entries es a peer replicated:
// their registry slots, tombstones and marks.
func (n *Node) reserveForEntries(es []Entry) {
	n.reserveMarks(len(es))
	n.reg.reserveEntries(len(es))
	n.reg.reserveTombstonesOf(es) // registry.go
}

// reserveMarks makes room for k more ids in the batch's changed set and
// the dirty set (changes.go's roomInSet).
func (n *Node) reserveMarks(k int) {
	if !n.cfg.OmitRegistryChanges {
		n.batch.reserveChanged(k)
	}
	n.dirtyIDs = roomInSet(n.dirtyIDs, &n.dirtyRoom, k)
}
