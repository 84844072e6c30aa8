package admin

import (
	"net/http"

	"github.com/phub/phub/core"
	"github.com/phub/phub/kinds"
)

// CounterInfo answers GET /v1/counters/{id}: the latest instance on this
// node of a counter child (the demo kind whose state, its count, is
// handed over under hot swap), so a client outside the process can see
// whether a moved counter continued from its old instance's count.
type CounterInfo struct {
	ID string `json:"id"`
	// Count is the instance's current count (its final one once it has
	// stopped).
	Count int64 `json:"count"`
	// From is the count the instance took from a handover (0 without
	// one); Handover says whether it received one.
	From     int64  `json:"from"`
	Handover bool   `json:"handover"`
	Epoch    uint64 `json:"epoch"`
	Instance uint64 `json:"instance"`
	// Running is false once the instance has returned.
	Running bool `json:"running"`
}

// counter serves GET /v1/counters/{id}: 200 with CounterInfo, 404
// not_found if no counter instance of id ever ran on this node (or the
// server was built without Options.Counter).
func (s *Server) counter(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.checkID(id); err != nil {
		s.fail(w, err)
		return
	}
	var info kinds.CounterInfo
	ok := false
	if s.counterInfo != nil {
		info, ok = s.counterInfo(core.ChildID(id))
	}
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no counter instance of "+id+" ran on this node")
		return
	}
	writeJSON(w, http.StatusOK, CounterInfo{ID: id, Count: info.Count, From: info.From, Handover: info.Handover,
		Epoch: info.Epoch, Instance: info.Instance, Running: info.Running})
}
