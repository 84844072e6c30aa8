package admin

import (
	"context"
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"net/http"

	"github.com/phub/phub/core"
)

// cordon serves POST /v1/nodes/{node}/cordon and .../uncordon: the node
// (any alive member) takes no new children and its children move away,
// or it is put back on the ring. 200 once the node applied it; 400
// unknown_node, 409 no_uncordoned_node, 503 partitioned.
func (s *Server) cordon(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		node := r.PathValue("node")
		if node == "" {
			s.fail(w, badf("node: required"))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.core.Timing.RequestTimeout+margin)
		defer cancel()
		var err error
		if on {
			err = s.hub.Cordon(ctx, core.NodeID(node))
		} else {
			err = s.hub.Uncordon(ctx, core.NodeID(node))
		}
		if err != nil {
			s.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, adminapi.OpResponse{OK: true, Results: []adminapi.Result{{ID: node}}})
	}
}
