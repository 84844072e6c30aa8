package core

import (
	"errors"
	"fmt"
	"sort"
)

// The one table of size limits. Every entry (the Go API, the admin API,
// ctl, config files, scenario files) checks requests against a node's
// Limits before anything is registered, and refuses with an error wrapping
// ErrLimitExceeded that names the limit. Every message core emits is split
// into parts of at most MaxMessageBytes (see chunks.go), so anything
// accepted can be replicated; the transport derives its frame and string
// caps from this table (transport.FrameBytesFor).

// ErrLimitExceeded is wrapped by every refusal of an input that exceeds a
// field of Limits; the message names the field.
var ErrLimitExceeded = errors.New("limit exceeded")

// MaxStringBytes is the wire ceiling of one string (a param, a metadata
// value, an id): the peer codec refuses longer strings, so Limits.Validate
// keeps every per-string limit at or below it.
const MaxStringBytes = 1 << 20

// MaxNodeIDBytes bounds node names, hub ids and advertised addresses.
const MaxNodeIDBytes = 255

// maxReasonBytes bounds an exit reason or result detail kept in the
// registry or sent to peers; longer ones are truncated (they come from
// the world, not from a request, so they are shortened, not refused).
const maxReasonBytes = 1024

// Limits bounds queues, tables and the size of everything a request may
// carry. Start from DefaultLimits; Validate names the first bad field.
type Limits struct {
	// MaxPendingRequests bounds awaited requests in flight per node.
	MaxPendingRequests int
	// MaxBatch bounds the children (specs or ids) of one request
	// (default 200,000).
	MaxBatch int
	// MaxChildIDBytes bounds a child id (default 256, at most
	// MaxChildIDBytes the constant).
	MaxChildIDBytes int
	// MaxKindBytes bounds a spec's kind name (default 128).
	MaxKindBytes int
	// MaxParams bounds the params of one spec (default 256).
	MaxParams int
	// MaxParamBytes bounds one param, key plus value (default 64 KiB).
	MaxParamBytes int
	// MaxSpecBytes bounds all params of one spec together (default 256 KiB).
	MaxSpecBytes int
	// MaxMetadataEntries bounds the metadata (and tag) pairs of a start
	// (default 64).
	MaxMetadataEntries int
	// MaxMetadataBytes bounds metadata keys plus values together; the tag
	// is the metadata value "tag" (default 16 KiB).
	MaxMetadataBytes int
	// MaxPinnedNodes bounds the guided mapping's node list of one child
	// (default 64).
	MaxPinnedNodes int
	// MaxRequestBytes bounds one request: the encoded size of all its
	// specs, metadata and mappings (default 64 MiB).
	MaxRequestBytes int
	// MaxMessageBytes bounds the encoded size of one peer message; larger
	// logical messages are sent in parts (default 4 MiB). The transport's
	// frame limit is derived from it.
	MaxMessageBytes int
}

// DefaultLimits returns the default table.
func DefaultLimits() Limits {
	return Limits{
		MaxPendingRequests: 100000,
		MaxBatch:           200000,
		MaxChildIDBytes:    MaxChildIDBytes,
		MaxKindBytes:       128,
		MaxParams:          256,
		MaxParamBytes:      64 << 10,
		MaxSpecBytes:       256 << 10,
		MaxMetadataEntries: 64,
		MaxMetadataBytes:   16 << 10,
		MaxPinnedNodes:     64,
		MaxRequestBytes:    64 << 20,
		MaxMessageBytes:    4 << 20,
	}
}

// minMessageBytes is the smallest MaxMessageBytes Validate accepts: the
// largest single element (an entry at every limit) must fit one part.
func (l Limits) minMessageBytes() int {
	return messageOverheadBytes + l.maxEntryBytes()
}

// maxEntryBytes bounds the encoded size of one registry entry whose spec,
// metadata and pins are at the limits.
func (l Limits) maxEntryBytes() int {
	spec := structBytes + strBytes(l.MaxChildIDBytes) + strBytes(l.MaxKindBytes) + lenBytes(l.MaxParams) +
		l.MaxSpecBytes + 2*varintBytes*l.MaxParams + varintBytes
	meta := lenBytes(l.MaxMetadataEntries) + l.MaxMetadataBytes + 2*varintBytes*l.MaxMetadataEntries
	pins := lenBytes(l.MaxPinnedNodes) + l.MaxPinnedNodes*strBytes(MaxNodeIDBytes)
	return structBytes + spec + meta + pins + 2*strBytes(MaxNodeIDBytes) + strBytes(maxReasonBytes) + 4*varintBytes
}

// Validate names the first field of l that is out of range.
func (l Limits) Validate() error {
	bad := func(field, why string) error { return fmt.Errorf("config: Limits.%s: %s", field, why) }
	type f struct {
		name      string
		v, lo, hi int
	}
	for _, c := range []f{
		{"MaxPendingRequests", l.MaxPendingRequests, 1, 1 << 30},
		{"MaxBatch", l.MaxBatch, 1, 1 << 24},
		{"MaxChildIDBytes", l.MaxChildIDBytes, 1, MaxChildIDBytes},
		{"MaxKindBytes", l.MaxKindBytes, 1, MaxStringBytes},
		{"MaxParams", l.MaxParams, 0, 1 << 16},
		{"MaxParamBytes", l.MaxParamBytes, 1, MaxStringBytes},
		{"MaxSpecBytes", l.MaxSpecBytes, 0, 1 << 30},
		{"MaxMetadataEntries", l.MaxMetadataEntries, 0, 1 << 16},
		{"MaxMetadataBytes", l.MaxMetadataBytes, 0, MaxStringBytes},
		{"MaxPinnedNodes", l.MaxPinnedNodes, 1, 1 << 12},
		{"MaxRequestBytes", l.MaxRequestBytes, 1, 1 << 31},
		{"MaxMessageBytes", l.MaxMessageBytes, 1, 1 << 30},
	} {
		if c.v < c.lo || c.v > c.hi {
			return bad(c.name, fmt.Sprintf("%d is outside %d..%d", c.v, c.lo, c.hi))
		}
	}
	if min := l.minMessageBytes(); l.MaxMessageBytes < min {
		return bad("MaxMessageBytes", fmt.Sprintf("%s cannot hold one entry at the other limits (needs %s)", fmtBytes(l.MaxMessageBytes), fmtBytes(min)))
	}
	return nil
}

// limitErr builds the named refusal: "<what> is <size>, limit <limit>
// (Limits.<field>)".
func limitErr(what string, size, limit int, field string, bytes bool) error {
	if bytes {
		return fmt.Errorf("%w: %s is %s, limit %s (Limits.%s)", ErrLimitExceeded, what, fmtBytes(size), fmtBytes(limit), field)
	}
	return fmt.Errorf("%w: %s is %d, limit %d (Limits.%s)", ErrLimitExceeded, what, size, limit, field)
}

// fmtBytes prints a size the way the limits are written: B, KiB, MiB.
func fmtBytes(n int) string {
	switch {
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	}
	return fmt.Sprintf("%d B", n)
}

func trimZero(s string) string {
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		return s[:len(s)-2]
	}
	return s
}

// CheckID refuses an empty or too long child id.
func (l Limits) CheckID(id ChildID) error {
	if id == "" {
		return fmt.Errorf("%w: empty child id", ErrInvalidSpec)
	}
	if len(id) > l.MaxChildIDBytes {
		return limitErr(fmt.Sprintf("child id %.32q...", id), len(id), l.MaxChildIDBytes, "MaxChildIDBytes", true)
	}
	return nil
}

// CheckSpec refuses a spec that exceeds a limit (or is otherwise invalid,
// wrapping ErrInvalidSpec).
func (l Limits) CheckSpec(s ChildSpec) error {
	if err := l.CheckID(s.ID); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	if len(s.Kind) > l.MaxKindBytes {
		return limitErr(fmt.Sprintf("child %q: kind", s.ID), len(s.Kind), l.MaxKindBytes, "MaxKindBytes", true)
	}
	if len(s.Params) > l.MaxParams {
		return limitErr(fmt.Sprintf("child %q: param count", s.ID), len(s.Params), l.MaxParams, "MaxParams", false)
	}
	total := 0
	for _, k := range sortedStringKeys(s.Params) {
		sz := len(k) + len(s.Params[k])
		if sz > l.MaxParamBytes {
			return limitErr(fmt.Sprintf("child %q: param '%.64s'", s.ID, k), sz, l.MaxParamBytes, "MaxParamBytes", true)
		}
		total += sz
	}
	if total > l.MaxSpecBytes {
		return limitErr(fmt.Sprintf("child %q: params", s.ID), total, l.MaxSpecBytes, "MaxSpecBytes", true)
	}
	return nil
}

// CheckMetadata refuses metadata (tag included) that exceeds a limit.
func (l Limits) CheckMetadata(m Metadata) error {
	if len(m) > l.MaxMetadataEntries {
		return limitErr("metadata entry count", len(m), l.MaxMetadataEntries, "MaxMetadataEntries", false)
	}
	total := 0
	for k, v := range m {
		total += len(k) + len(v)
	}
	if total > l.MaxMetadataBytes {
		what := "metadata"
		if t, ok := m["tag"]; ok && len(t) > l.MaxMetadataBytes {
			what = "metadata (tag)"
		}
		return limitErr(what, total, l.MaxMetadataBytes, "MaxMetadataBytes", true)
	}
	return nil
}

// CheckRequest refuses a request whose children, specs, metadata, guided
// mapping or total size exceed a limit. Node.Request calls it first; API
// layers may call it to refuse early.
func (l Limits) CheckRequest(r Request) error {
	if k := len(r.Specs) + len(r.IDs); k > l.MaxBatch {
		return fmt.Errorf("%w: %w: %d children, the limit is %d (Limits.MaxBatch)", ErrBatchTooLarge, ErrLimitExceeded, k, l.MaxBatch)
	}
	for _, id := range r.IDs {
		if err := l.CheckID(id); err != nil {
			return err
		}
	}
	if r.Op != OpStart && r.Op != OpRedistribute {
		return nil
	}
	if err := l.CheckMetadata(r.Start.Metadata); err != nil {
		return err
	}
	metaBytes := metadataBound(r.Start.Metadata)
	total := 0
	for _, s := range r.Specs {
		if err := l.CheckSpec(s); err != nil {
			return err
		}
		total += specBound(&s) + metaBytes
	}
	for _, id := range sortedChildKeys(r.Start.ChildMapping) {
		nodes := r.Start.ChildMapping[id]
		if len(nodes) > l.MaxPinnedNodes {
			return limitErr(fmt.Sprintf("child mapping of %q: node count", id), len(nodes), l.MaxPinnedNodes, "MaxPinnedNodes", false)
		}
		for _, nd := range nodes {
			if len(nd) > MaxNodeIDBytes {
				return fmt.Errorf("%w: child mapping of %q: node name of %d bytes, limit %d", ErrInvalidChildMapping, id, len(nd), MaxNodeIDBytes)
			}
			total += strBytes(len(nd))
		}
	}
	if total > l.MaxRequestBytes {
		return limitErr(fmt.Sprintf("request of %d children", len(r.Specs)), total, l.MaxRequestBytes, "MaxRequestBytes", true)
	}
	return nil
}

// truncateReason shortens an exit reason or detail to maxReasonBytes.
func truncateReason(s string) string {
	if len(s) <= maxReasonBytes {
		return s
	}
	const more = "...(truncated)"
	return s[:maxReasonBytes-len(more)] + more
}

func sortedStringKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
