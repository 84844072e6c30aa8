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

// definiteFailure reports an answer that refused the request before
// anything was applied: a lost quorum, a node shutting down, or a 4xx
// input or limit error (too large, bad request, too many pending). 422
// start_failed is not one: the child may have been registered.
func definiteFailure(status int, code string) bool {
	switch code {
	case "partitioned", "shutting_down":
		return true
	case "start_failed":
		return false
	}
	return status >= 400 && status < 500
}

// outcomeOf classifies a start or stop answer: the per-child result when
// there is one, otherwise the request-level error.
func outcomeOf(dialErr bool, err error, body opBody) (checks.Outcome, apiResult) {
	if dialErr {
		return checks.OutcomeFailed, apiResult{} // never reached the node
	}
	var res apiResult
	code := body.Code
	if len(body.Results) == 1 {
		res = body.Results[0]
		code = res.Code
	}
	var ae *apiError
	if err != nil && !errors.As(err, &ae) {
		return checks.OutcomeUnknown, res // transport error mid-request
	}
	if ae != nil && code == "" {
		code = ae.Code
	}
	switch {
	case err == nil && code == "":
		return checks.OutcomeOK, res
	case code == "already_started":
		return checks.OutcomeAlreadyStarted, res
	case code == "not_found":
		return checks.OutcomeNotFound, res
	case ae != nil && definiteFailure(ae.Status, code):
		return checks.OutcomeFailed, res
	}
	return checks.OutcomeUnknown, res // timeout, node_down, start_failed, 5xx
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
	params := map[string]string{"command": "sleep", "args": childSleep, "env." + runEnvName: runMarker()}
	maps.Copy(params, extra)
	body := startBody{Await: true, Timeout: w.await.String(), SkipCheck: true, Specs: []apiSpec{{ID: child, Kind: "exec", Params: params}}}
	op := checks.Op{Client: client, Node: n.name, Child: child, Kind: checks.OpStart, Call: w.now()}
	var resp opBody
	ctx, cancel := context.WithTimeout(context.Background(), 2*w.await)
	dialErr, err := n.call(ctx, "POST", "/v1/children", body, &resp)
	cancel()
	op.Return = w.now()
	var res apiResult
	op.Outcome, res = outcomeOf(dialErr, err, resp)
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
	op.Outcome, _ = outcomeOf(dialErr, err, resp)
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
	case errors.As(err, &ae) && definiteFailure(ae.Status, ae.Code):
		op.Outcome = checks.OutcomeFailed
	default:
		op.Outcome = checks.OutcomeUnknown
	}
	w.record(op)
}
