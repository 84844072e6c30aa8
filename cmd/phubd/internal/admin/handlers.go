package admin

import (
	"context"
	"errors"
	"fmt"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"net/http"
	"slices"
	"time"

	"github.com/phub/phub"
	"github.com/phub/phub/core"
)

// margin is added to a request's own timeout for the HTTP call, so the
// hub's answer (per-child timeouts) arrives before the call gives up.
const margin = 5 * time.Second

func (s *Server) requestTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return s.core.Timing.RequestTimeout
	}
	return d
}

func (s *Server) start(w http.ResponseWriter, r *http.Request) {
	var req adminapi.StartRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, err)
		return
	}
	if len(req.Specs) == 0 {
		s.fail(w, badf("specs: empty list: at least one child spec is required"))
		return
	}
	specs := make([]core.ChildSpec, len(req.Specs))
	seen := make(map[string]bool, len(req.Specs))
	for i, sp := range req.Specs {
		if err := s.checkID(sp.ID); err != nil {
			s.fail(w, inField(fmt.Sprintf("specs[%d].id", i), err))
			return
		}
		if seen[sp.ID] {
			s.fail(w, badf("specs[%d].id: duplicate id %q in one request", i, sp.ID))
			return
		}
		seen[sp.ID] = true
		if sp.Kind == "" {
			s.fail(w, badf("specs[%d].kind: required (e.g. counter or exec)", i))
			return
		}
		pol, err := core.ParseRestartPolicy(sp.Restart)
		if err != nil {
			s.fail(w, badf("specs[%d].restart: want permanent, transient or temporary, got %q", i, sp.Restart))
			return
		}
		specs[i] = core.ChildSpec{ID: core.ChildID(sp.ID), Kind: sp.Kind, Params: sp.Params, Restart: pol}
	}
	timeout, err := parseTimeout("timeout", req.Timeout)
	if err != nil {
		s.fail(w, err)
		return
	}
	if req.Rollback && !req.Await {
		s.fail(w, badf("rollback: requires await"))
		return
	}
	if timeout != 0 && !req.Await {
		s.fail(w, badf("timeout: requires await"))
		return
	}
	var opts []phub.StartOption
	d := s.requestTimeout(timeout)
	if req.Await {
		opts = append(opts, phub.Await(), phub.Timeout(d))
	}
	if req.SkipCheck {
		opts = append(opts, phub.SkipCheckExisting())
	}
	if req.Rollback {
		opts = append(opts, phub.Rollback())
	}
	if len(req.Metadata) > 0 {
		opts = append(opts, phub.WithMetadata(core.Metadata(req.Metadata)))
	}
	if req.Mapping != nil {
		m := make(map[core.ChildID][]core.NodeID, len(req.Mapping))
		for id, nodes := range req.Mapping {
			ns := make([]core.NodeID, len(nodes))
			for i, n := range nodes {
				ns[i] = core.NodeID(n)
			}
			m[core.ChildID(id)] = ns
		}
		opts = append(opts, phub.ChildMapping(m))
	}
	ctx, cancel := context.WithTimeout(r.Context(), d+margin)
	defer cancel()
	res, err := s.hub.StartChildren(ctx, specs, opts...)
	s.writeOp(w, res.Initiated, res.RolledBack, res.Results, err)
}

func (s *Server) stop(w http.ResponseWriter, r *http.Request) {
	var req adminapi.StopRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, err)
		return
	}
	ids, err := s.checkIDs("ids", req.IDs)
	if err != nil {
		s.fail(w, err)
		return
	}
	timeout, err := parseTimeout("timeout", req.Timeout)
	if err != nil {
		s.fail(w, err)
		return
	}
	if timeout != 0 && !req.Await {
		s.fail(w, badf("timeout: requires await"))
		return
	}
	d := s.requestTimeout(timeout)
	var opts []phub.StopOption
	if req.Await {
		opts = append(opts, phub.Await(), phub.Timeout(d))
	}
	ctx, cancel := context.WithTimeout(r.Context(), d+margin)
	defer cancel()
	res, err := s.hub.StopChildren(ctx, ids, opts...)
	s.writeOp(w, res.Initiated, false, res.Results, err)
}

// writeOp answers a distributor operation. A request-level error sets
// the status (see errStatus); otherwise 200 (202 when only initiated),
// or, when every child failed with the same error, that error's status.
func (s *Server) writeOp(w http.ResponseWriter, initiated, rolledBack bool, rs phub.Results, err error) {
	resp := adminapi.OpResponse{OK: err == nil && rs.OK(), Initiated: initiated, RolledBack: rolledBack}
	for _, r := range rs {
		out := adminapi.Result{ID: string(r.ID), Epoch: r.Epoch, Metadata: r.Metadata}
		for _, n := range r.Nodes {
			out.Nodes = append(out.Nodes, string(n))
		}
		if r.Err != nil {
			out.Code = string(core.Code(r.Err))
			out.Error = r.Err.Error()
		}
		resp.Results = append(resp.Results, out)
	}
	status := http.StatusOK
	if initiated && len(rs) == 0 && err == nil {
		status = http.StatusAccepted
	}
	switch {
	case err != nil:
		if errors.Is(err, context.DeadlineExceeded) {
			err = errors.Join(err, errDeadline)
		}
		status, resp.Code = errStatus(err)
		resp.Error = err.Error()
	case len(rs) > 0 && len(rs.Failed()) == len(rs):
		same := true
		for _, r := range resp.Results {
			same = same && r.Code == resp.Results[0].Code
		}
		if same {
			status, resp.Code = errStatus(rs[0].Err)
			resp.Error = rs[0].Err.Error()
		}
	}
	writeJSON(w, status, resp)
}

func (s *Server) terminate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.checkID(id); err != nil {
		s.fail(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.core.Timing.RequestTimeout+margin)
	defer cancel()
	res, err := s.hub.TerminateChildResult(ctx, core.ChildID(id))
	if err != nil {
		s.fail(w, err)
		return
	}
	s.writeOp(w, false, false, phub.Results{res}, nil)
}

func (s *Server) redistribute(w http.ResponseWriter, r *http.Request) {
	var req adminapi.RedistributeRequest
	if err := s.decode(w, r, &req); err != nil {
		s.fail(w, err)
		return
	}
	ids, err := s.checkIDs("ids", req.IDs)
	if err != nil {
		s.fail(w, err)
		return
	}
	if req.Node == "" {
		s.fail(w, badf("node: required"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.core.Timing.RequestTimeout+margin)
	defer cancel()
	if err := s.hub.Redistribute(ctx, ids, core.NodeID(req.Node)); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, adminapi.OpResponse{OK: true, Initiated: true})
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.checkID(id); err != nil {
		s.fail(w, err)
		return
	}
	cons := core.Local
	name := r.URL.Query().Get("consistency")
	switch name {
	case "", "local":
		name = "local"
	case "owner":
		cons = core.Owner
	default:
		s.fail(w, badf("consistency: want local or owner, got %q", name))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.core.Timing.RequestTimeout+margin)
	defer cancel()
	e, err := s.hub.Lookup(ctx, core.ChildID(id), cons)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := entryJSON(e)
	out.Consistency = name
	writeJSON(w, http.StatusOK, out)
}

func entryJSON(e *core.Entry) adminapi.Entry {
	out := adminapi.Entry{ID: string(e.Spec.ID), Kind: e.Spec.Kind, Params: e.Spec.Params, Restart: e.Spec.Restart.String(),
		Metadata: e.Metadata, Epoch: e.Epoch, Holder: string(e.Holder), Replicas: []adminapi.Replica{}}
	for _, p := range e.Pinned {
		out.Pinned = append(out.Pinned, string(p))
	}
	for _, rp := range e.Replicas {
		out.Replicas = append(out.Replicas, adminapi.Replica{Node: string(rp.Node), Epoch: rp.Epoch, Active: rp.Active})
	}
	return out
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tag, byTag := q.Get("tag"), q.Has("tag")
	for k := range q {
		if k != "tag" {
			s.fail(w, badf("unknown query parameter %q (only tag)", k))
			return
		}
	}
	out := adminapi.ListResponse{Node: string(s.hub.Name()), Children: []adminapi.Entry{}}
	for _, e := range s.hub.List() {
		if byTag && e.Metadata["tag"] != tag {
			continue
		}
		je := entryJSON(e)
		je.Consistency = "local"
		out.Children = append(out.Children, je)
	}
	out.Count = len(out.Children)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) which(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	timeout, err := parseTimeout("timeout", q.Get("timeout"))
	if err != nil {
		s.fail(w, err)
		return
	}
	switch scope := q.Get("scope"); scope {
	case "", "local":
		writeJSON(w, http.StatusOK, adminapi.WhichResponse{Scope: "local", Nodes: []core.NodeChildren{nonNil(s.hub.WhichChildrenLocal())}})
	case "global":
		ctx, cancel := context.WithTimeout(r.Context(), s.requestTimeout(timeout))
		defer cancel()
		nodes, unreachable, err := s.hub.WhichChildrenGlobal(ctx)
		if err != nil && len(nodes) == 0 {
			s.fail(w, err)
			return
		}
		out := adminapi.WhichResponse{Scope: "global", Nodes: []core.NodeChildren{}}
		for _, n := range nodes {
			out.Nodes = append(out.Nodes, nonNil(n))
		}
		for _, u := range unreachable {
			out.Unreachable = append(out.Unreachable, string(u))
		}
		writeJSON(w, http.StatusOK, out)
	default:
		s.fail(w, badf("scope: want local or global, got %q", scope))
	}
}

func nonNil(nc core.NodeChildren) core.NodeChildren {
	if nc.Children == nil {
		nc.Children = []core.LocalChild{}
	}
	return nc
}

func (s *Server) members(w http.ResponseWriter, r *http.Request) {
	out := adminapi.MembersResponse{Node: string(s.hub.Name()), Partitioned: s.hub.Partitioned(), Members: []adminapi.Member{}}
	for _, m := range s.hub.Members() {
		out.Members = append(out.Members, adminapi.Member{Name: string(m.Name), Status: m.Status.String(),
			Incarnation: m.Incarnation, Addr: m.Addr, Self: m.Name == s.hub.Name(), Cordoned: m.Cordoned})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) ring(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if err := s.checkID(id); err != nil {
		s.fail(w, badf("id: %v", err))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.core.Timing.RequestTimeout)
	defer cancel()
	out, err := s.ringAnswer(ctx, id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// ringAnswer explains where child id is and why, as this node sees it
// (GET /v1/ring and the dashboard's child page).
func (s *Server) ringAnswer(ctx context.Context, id string) (adminapi.RingResponse, error) {
	placement, err := s.hub.Placement(ctx, core.ChildID(id))
	if err != nil {
		return adminapi.RingResponse{ID: id, Node: string(s.hub.Name())}, err
	}
	view := s.hub.Alive()
	out := adminapi.RingResponse{ID: id, Node: string(s.hub.Name()), View: strs(view), Placement: strs(placement),
		Preference: strs(preference(view, s.core.Distribution.VirtualNodes, core.ChildID(id)))}
	out.Factor = s.core.Redundancy.Factor
	if out.Factor == core.ClusterSize {
		out.Factor = len(view)
	}
	if len(placement) > 0 {
		out.Owner = string(placement[0])
	}
	if e, err := s.hub.Lookup(ctx, core.ChildID(id), core.Local); err == nil {
		out.Registered = true
		out.Epoch = e.Epoch
		out.Holder = string(e.Holder)
		out.Pinned = strs(e.Pinned)
		var running []string
		for _, rp := range e.Replicas {
			out.RunningOn = append(out.RunningOn, adminapi.Replica{Node: string(rp.Node), Epoch: rp.Epoch, Active: rp.Active})
			running = append(running, string(rp.Node))
		}
		want := slices.Clone(out.Placement)
		slices.Sort(want)
		slices.Sort(running)
		out.OnPlacement = slices.Equal(want, running)
	}
	return out, nil
}

func strs(ns []core.NodeID) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = string(n)
	}
	return out
}
