// Package adminapi holds the JSON bodies of phubd's admin HTTP API: the
// server (package admin) writes them, ctl and other clients decode them,
// without importing the server.
package adminapi

import (
	"time"

	"github.com/phub/phub/core"
)

// Spec is a child spec as the API writes it.
type Spec struct {
	ID     string            `json:"id"`
	Kind   string            `json:"kind"`
	Params map[string]string `json:"params,omitempty"`
	// Restart is permanent (default), transient or temporary.
	Restart string `json:"restart,omitempty"`
}

// StartRequest is the body of POST /v1/children.
type StartRequest struct {
	Specs []Spec `json:"specs"`
	Await bool   `json:"await,omitempty"`
	// Timeout bounds an awaited start ("5s"; default request_timeout).
	Timeout   string              `json:"timeout,omitempty"`
	SkipCheck bool                `json:"skip_check,omitempty"`
	Rollback  bool                `json:"rollback,omitempty"`
	Metadata  map[string]string   `json:"metadata,omitempty"`
	Mapping   map[string][]string `json:"mapping,omitempty"`
}

// StopRequest is the body of DELETE /v1/children.
type StopRequest struct {
	IDs     []string `json:"ids"`
	Await   bool     `json:"await,omitempty"`
	Timeout string   `json:"timeout,omitempty"`
}

// RedistributeRequest is the body of POST /v1/redistribute.
type RedistributeRequest struct {
	IDs  []string `json:"ids"`
	Node string   `json:"node"`
}

// Result is the outcome for one child.
type Result struct {
	ID       string            `json:"id"`
	Nodes    []string          `json:"nodes,omitempty"`
	Epoch    uint64            `json:"epoch,omitempty"`
	Code     string            `json:"code,omitempty"`
	Error    string            `json:"error,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// OpResponse answers start, stop, terminate and redistribute. OK is true
// when the request and every child succeeded.
type OpResponse struct {
	OK         bool     `json:"ok"`
	Initiated  bool     `json:"initiated,omitempty"`
	RolledBack bool     `json:"rolled_back,omitempty"`
	Code       string   `json:"code,omitempty"`
	Error      string   `json:"error,omitempty"`
	Results    []Result `json:"results,omitempty"`
}

// ErrorResponse is the body of every 4xx/5xx answer that is not an
// OpResponse.
type ErrorResponse struct {
	Code  string `json:"code"`
	Error string `json:"error"`
}

// Replica is one running instance in an Entry.
type Replica struct {
	Node   string `json:"node"`
	Epoch  uint64 `json:"epoch"`
	Active bool   `json:"active"`
}

// Entry is a registry entry (GET /v1/children, /v1/children/{id}).
type Entry struct {
	ID          string            `json:"id"`
	Kind        string            `json:"kind,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Restart     string            `json:"restart"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Epoch       uint64            `json:"epoch"`
	Holder      string            `json:"holder,omitempty"`
	Pinned      []string          `json:"pinned,omitempty"`
	Replicas    []Replica         `json:"replicas"`
	Consistency string            `json:"consistency"`
}

// ListResponse answers GET /v1/children.
type ListResponse struct {
	Node     string  `json:"node"`
	Count    int     `json:"count"`
	Children []Entry `json:"children"`
}

// WhichResponse answers GET /v1/which. Unreachable lists members that
// did not answer a global query.
type WhichResponse struct {
	Scope       string              `json:"scope"`
	Nodes       []core.NodeChildren `json:"nodes"`
	Unreachable []string            `json:"unreachable,omitempty"`
}

// Member is one cluster member (GET /v1/members).
type Member struct {
	Name        string `json:"name"`
	Status      string `json:"status"`
	Incarnation uint64 `json:"incarnation"`
	Addr        string `json:"addr,omitempty"`
	Self        bool   `json:"self,omitempty"`
	// Cordoned: the member takes no new children (POST /v1/nodes/{node}/cordon).
	Cordoned bool `json:"cordoned,omitempty"`
}

// MembersResponse answers GET /v1/members.
type MembersResponse struct {
	Node        string   `json:"node"`
	Partitioned bool     `json:"partitioned"`
	Members     []Member `json:"members"`
}

// RingResponse answers GET /v1/ring?id=X: why child X is where it is.
type RingResponse struct {
	ID string `json:"id"`
	// Node is the node that answered (its view of the ring).
	Node string `json:"node"`
	// View is the alive members the ring is built from.
	View []string `json:"view"`
	// Factor is the effective replication factor.
	Factor int `json:"factor"`
	// Preference is every alive node in the id's ring order (consistent
	// hashing); the placement is its first Factor nodes unless pinned.
	Preference []string `json:"preference"`
	// Placement is where the child should run now; Owner is its first node.
	Placement []string `json:"placement"`
	Owner     string   `json:"owner"`
	Pinned    []string `json:"pinned,omitempty"`
	// Registered is false if this node's registry has no live entry.
	Registered bool `json:"registered"`
	// Epoch is the highest epoch of the child in this node's registry;
	// RunningOn lists its instances.
	Epoch     uint64    `json:"epoch,omitempty"`
	Holder    string    `json:"holder,omitempty"`
	RunningOn []Replica `json:"running_on,omitempty"`
	// OnPlacement is true when the instances run exactly on Placement.
	OnPlacement bool `json:"on_placement"`
}

// HealthResponse is the detail of GET /v1/health, /v1/health/live and
// /v1/health/ready, written only to callers with the admin token; others
// get a HealthStatus.
type HealthResponse struct {
	// Status is ok, syncing, partitioned, leaving or stalled.
	Status string `json:"status"`
	// Reason explains a Status other than ok.
	Reason string `json:"reason,omitempty"`
	Node   string `json:"node"`
	// Live: the event loop ran the probe. Ready: synced, quorum, not
	// leaving (owner requests can be served).
	Live        bool `json:"live"`
	Ready       bool `json:"ready"`
	Synced      bool `json:"synced"`
	Partitioned bool `json:"partitioned"`
	Leaving     bool `json:"leaving,omitempty"`
	// Alive counts alive members (self included), Members every known one.
	Alive   int `json:"alive"`
	Members int `json:"members"`
	// QuorumAlive and QuorumKnown (majority_quorum only): the alive
	// members this node counts toward quorum — established ones, which
	// a majority of the members before them reported alive — and the
	// membership it measures them against (core.Readiness).
	QuorumAlive int `json:"quorum_alive,omitempty"`
	QuorumKnown int `json:"quorum_known,omitempty"`
	Children    int `json:"children"`
	// LoopDelay is how long the event loop took to run the probe.
	LoopDelay string `json:"loop_delay"`
}

// HealthStatus is the health answer for callers without the token.
type HealthStatus struct {
	Status string `json:"status"`
}

// MaxBodyBytes bounds a request body (and ctl's reading of an answer)
// for the default limits: room for a request of core's
// Limits.MaxRequestBytes in JSON. A server whose core limits are larger
// allows bodies of BodyBytesFor(its limits).
var MaxBodyBytes = BodyBytesFor(core.DefaultLimits())

// BodyBytesFor returns the body limit that carries any request within l
// as JSON (escaping at most doubles typical text; beyond that the body
// limit answers first, with its own error).
func BodyBytesFor(l core.Limits) int64 { return 2*int64(l.MaxRequestBytes) + 1<<20 }

// Health probe paths. Liveness and readiness answer every caller (probes
// carry no token); the JSON detail is written only for callers with the
// admin token (or a dashboard session).
const (
	PathHealth      = "/v1/health"
	PathHealthLive  = "/v1/health/live"
	PathHealthReady = "/v1/health/ready"
)

// Event is one entry of a node's event stream: a hook event of its core
// (membership, registry inserts and removes, migrations, redistributions,
// partitions, restarts), numbered in the order the node saw them.
type Event struct {
	// Seq numbers the node's events from 1, without gaps.
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// Kind is the hook kind (core.HookKind, ProcessHub's names).
	Kind string `json:"kind"`
	// Node is the node the event is about; Detail a short reason.
	Node   string `json:"node,omitempty"`
	Detail string `json:"detail,omitempty"`
	// IDs are the first children concerned; Count counts all of them.
	IDs   []string `json:"ids,omitempty"`
	Count int      `json:"count,omitempty"`
	// Summary says it in words.
	Summary string `json:"summary"`
}

// EventsResponse answers GET /v1/events: the journal's events after
// Since. Lost counts events after Since that the journal no longer holds.
type EventsResponse struct {
	Node   string  `json:"node"`
	Events []Event `json:"events"`
	Lost   uint64  `json:"lost,omitempty"`
	// Last is the sequence number of the newest event (0: none yet).
	Last uint64 `json:"last"`
}
