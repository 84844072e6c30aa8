package netfault

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/phub/phub/checks"
)

// The admin API's JSON, as a client outside the module sees it.
type (
	apiSpec struct {
		ID     string            `json:"id"`
		Kind   string            `json:"kind"`
		Params map[string]string `json:"params,omitempty"`
	}
	startBody struct {
		Specs     []apiSpec `json:"specs"`
		Await     bool      `json:"await"`
		Timeout   string    `json:"timeout"`
		SkipCheck bool      `json:"skip_check"`
	}
	stopBody struct {
		IDs     []string `json:"ids"`
		Await   bool     `json:"await"`
		Timeout string   `json:"timeout"`
	}
	apiResult struct {
		ID    string   `json:"id"`
		Nodes []string `json:"nodes"`
		Epoch uint64   `json:"epoch"`
		Code  string   `json:"code"`
	}
	opBody struct {
		OK      bool        `json:"ok"`
		Code    string      `json:"code"`
		Results []apiResult `json:"results"`
	}
	entryBody struct {
		ID       string `json:"id"`
		Epoch    uint64 `json:"epoch"`
		Replicas []struct {
			Node  string `json:"node"`
			Epoch uint64 `json:"epoch"`
		} `json:"replicas"`
	}
	listBody struct {
		Children []entryBody `json:"children"`
	}
	membersBody struct {
		Partitioned bool `json:"partitioned"`
		Members     []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"members"`
	}
)

// workload is the clients' shared state: the children they work on and
// the history they record.
type workload struct {
	c        *cluster
	t0       time.Time
	children []string
	await    time.Duration // server-side await timeout of starts and stops

	mu      sync.Mutex
	history checks.History
}

func newWorkload(c *cluster, t0 time.Time, nChildren int) *workload {
	w := &workload{c: c, t0: t0, await: 4 * time.Second}
	for i := 0; i < nChildren; i++ {
		w.children = append(w.children, fmt.Sprintf("c%02d", i))
	}
	return w
}

func (w *workload) now() int64 { return int64(time.Since(w.t0)) }

func (w *workload) record(op checks.Op) {
	if op.Outcome == checks.OutcomeUnknown {
		op.Return = 0
	}
	w.mu.Lock()
	w.history.Add(op)
	w.mu.Unlock()
}

// History returns a copy of the recorded history.
func (w *workload) History() checks.History {
	w.mu.Lock()
	defer w.mu.Unlock()
	return checks.History{Ops: append([]checks.Op(nil), w.history.Ops...)}
}

// client issues random awaited starts, stops and owner lookups to random
// nodes until ctx ends.
func (w *workload) client(ctx context.Context, id int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, uint64(id)))
	for ctx.Err() == nil {
		// Pacing, not synchronization: about 15 requests per second per
		// client keeps the shared machine responsive.
		sleepCtx(ctx, time.Duration(rng.Int64N(int64(100*time.Millisecond))))
		n := w.c.nodes[rng.IntN(len(w.c.nodes))]
		child := w.children[rng.IntN(len(w.children))]
		switch r := rng.IntN(10); {
		case r < 4:
			w.start(n, id, child)
		case r < 7:
			w.stop(n, id, child)
		default:
			w.lookup(n, id, child)
		}
	}
}

// definiteCodes are the admin API's error codes that, by core's
// documented semantics, refuse a request before anything is applied, with
// the reason. Every other code (and a 4xx or 5xx without a code) leaves
// the outcome unknown:
//   - shutting_down: a node leaving refuses new requests, but a hub that
//     closes answers its pending calls with ErrClosed, which the admin
//     API also reports as shutting_down, after they may have been applied;
//   - node_down, unreachable, timeout: the owner may have applied it;
//   - start_failed: the child may have been registered;
//   - rolled_back: some children started and were stopped unawaited.
var definiteCodes = map[string]string{
	"partitioned":        "refused by the origin before dispatch, or by the owner before executing (quorum lost while replicating is answered timeout)",
	"too_many_pending":   "refused before the request enters the pending table",
	"invalid_spec":       "input validation at the entry",
	"no_children":        "input validation at the entry",
	"duplicate_id":       "input validation at the entry",
	"batch_too_large":    "input validation at the entry",
	"limit_exceeded":     "input validation at the entry (core.Limits)",
	"unknown_node":       "input validation at the entry",
	"no_uncordoned_node": "refused before dispatch: no member may run anything",
	"bad_request":        "the HTTP request could not be decoded",
	"unauthorized":       "refused before reaching the hub",
	"no_endpoint":        "refused before reaching the hub",
}

// definiteFailure reports an answer that refused the request before
// anything was applied (see definiteCodes).
func definiteFailure(code string) bool {
	_, ok := definiteCodes[code]
	return ok
}

// answerOf renders what the client was told, for the history: the HTTP
// status and error code, "no connection" when the request never reached
// the node, or the transport error mid-request.
func answerOf(dialErr bool, err error, code string) string {
	var ae *apiError
	switch {
	case dialErr:
		return "no connection"
	case errors.As(err, &ae):
		if code == "" {
			code = ae.Code
		}
		return strings.TrimSpace(fmt.Sprintf("%d %s", ae.Status, code))
	case err != nil:
		return "transport error"
	case code != "":
		return "200 " + code
	}
	return "200"
}

// outcomeOf classifies a start or stop answer: the per-child result when
// there is one, otherwise the request-level error. It also returns the
// answer as recorded in the history.
func outcomeOf(dialErr bool, err error, body opBody) (checks.Outcome, apiResult, string) {
	var res apiResult
	code := body.Code
	if len(body.Results) == 1 {
		res = body.Results[0]
		code = res.Code
	}
	answer := answerOf(dialErr, err, code)
	if dialErr {
		return checks.OutcomeFailed, apiResult{}, answer // never reached the node
	}
	var ae *apiError
	if err != nil && !errors.As(err, &ae) {
		return checks.OutcomeUnknown, res, answer // transport error mid-request
	}
	if ae != nil && code == "" {
		code = ae.Code
	}
	switch {
	case err == nil && code == "":
		return checks.OutcomeOK, res, answer
	case code == "already_started":
		return checks.OutcomeAlreadyStarted, res, answer
	case code == "not_found":
		return checks.OutcomeNotFound, res, answer
	case ae != nil && definiteFailure(code):
		return checks.OutcomeFailed, res, answer
	}
	return checks.OutcomeUnknown, res, answer // timeout, node_down, start_failed, shutting_down, 5xx
}

// bigParamBytes is the size of the big child's padding parameter: above
// the peer codec's 1 MiB string limit, far below the admin API's 64 MiB
// body limit. Such a spec must be refused at the entry or replicated, never
// accepted and then lost on the wire.
const bigParamBytes = 3 << 19

func (w *workload) start(n *node, client int, child string) {
	w.startWith(n, client, child, nil)
}

// startBig starts one child whose spec carries a 1.5 MiB parameter (the
// exec kind ignores it).
func (w *workload) startBig(n *node, client int, child string) {
	w.startWith(n, client, child, map[string]string{"pad": strings.Repeat("x", bigParamBytes)})
}

func (w *workload) startWith(n *node, client int, child string, extra map[string]string) {
	params := map[string]string{"command": "sleep", "args": childSleep, "env." + runEnvName: w.c.marker}
	maps.Copy(params, extra)
	body := startBody{Await: true, Timeout: w.await.String(), SkipCheck: true, Specs: []apiSpec{{ID: child, Kind: "exec", Params: params}}}
	op := checks.Op{Client: client, Node: n.name, Child: child, Kind: checks.OpStart, Call: w.now()}
	var resp opBody
	ctx, cancel := context.WithTimeout(context.Background(), 2*w.await)
	dialErr, err := n.call(ctx, "POST", "/v1/children", body, &resp)
	cancel()
	op.Return = w.now()
	var res apiResult
	op.Outcome, res, op.Answer = outcomeOf(dialErr, err, resp)
	if op.Outcome == checks.OutcomeOK {
		op.Nodes, op.Epoch = res.Nodes, res.Epoch
	}
	w.record(op)
}

func (w *workload) stop(n *node, client int, child string) {
	body := stopBody{IDs: []string{child}, Await: true, Timeout: w.await.String()}
	op := checks.Op{Client: client, Node: n.name, Child: child, Kind: checks.OpStop, Call: w.now()}
	var resp opBody
	ctx, cancel := context.WithTimeout(context.Background(), 2*w.await)
	dialErr, err := n.call(ctx, "DELETE", "/v1/children", body, &resp)
	cancel()
	op.Return = w.now()
	op.Outcome, _, op.Answer = outcomeOf(dialErr, err, resp)
	w.record(op)
}

// lookup asks the child's owner (read-your-writes) through node n.
func (w *workload) lookup(n *node, client int, child string) {
	op := checks.Op{Client: client, Node: n.name, Child: child, Kind: checks.OpLookup, Call: w.now()}
	var e entryBody
	ctx, cancel := context.WithTimeout(context.Background(), 2*w.await)
	dialErr, err := n.call(ctx, "GET", "/v1/children/"+child+"?consistency=owner", nil, &e)
	cancel()
	op.Return = w.now()
	op.Answer = answerOf(dialErr, err, "")
	var ae *apiError
	switch {
	case err == nil:
		op.Outcome, op.Epoch = checks.OutcomeOK, e.Epoch
		for _, r := range e.Replicas {
			op.Nodes = append(op.Nodes, r.Node)
		}
	case dialErr:
		op.Outcome = checks.OutcomeFailed
	case errors.As(err, &ae) && ae.Code == "not_found":
		op.Outcome = checks.OutcomeNotFound
	case errors.As(err, &ae) && definiteFailure(ae.Code):
		op.Outcome = checks.OutcomeFailed
	default:
		op.Outcome = checks.OutcomeUnknown
	}
	w.record(op)
}
