package admin

import (
	"github.com/phub/phub/cmd/phubd/internal/adminapi"
	"net/http"
	"testing"
)

// POST /v1/nodes/{node}/cordon moves the node's children away and shows
// it cordoned in /v1/members; uncordon undoes it; errors are named.
func TestCordonUncordon(t *testing.T) {
	nodes := newCluster(t, 2, nil)
	a, b := nodes[0], nodes[1]
	st, body := call(t, a, "POST", "/v1/children", `{"specs":[{"id":"k1","kind":"counter"},{"id":"k2","kind":"counter"},{"id":"k3","kind":"counter"},{"id":"k4","kind":"counter"},{"id":"k5","kind":"counter"},{"id":"k6","kind":"counter"}],"await":true}`)
	expect(t, st, body, 200, `"ok": true`)

	st, body = call(t, a, "POST", "/v1/nodes/n2/cordon", "")
	expect(t, st, body, 200, `"ok": true`)
	waitFor(t, "n2 runs nothing", func() bool {
		st, body := call(t, b, "GET", "/v1/which", "")
		return st == 200 && len(decodeAs[adminapi.WhichResponse](t, body).Nodes[0].Children) == 0
	})
	waitFor(t, "n1 runs all six", func() bool {
		st, body := call(t, a, "GET", "/v1/which", "")
		return st == 200 && len(decodeAs[adminapi.WhichResponse](t, body).Nodes[0].Children) == 6
	})
	waitFor(t, "n1 lists n2 as cordoned", func() bool {
		_, body := call(t, a, "GET", "/v1/members", "")
		for _, m := range decodeAs[adminapi.MembersResponse](t, body).Members {
			if m.Name == "n2" {
				return m.Cordoned
			}
		}
		return false
	})
	st, body = call(t, b, "POST", "/v1/nodes/n1/cordon", "")
	expect(t, st, body, http.StatusConflict, "no_uncordoned_node")
	st, body = call(t, a, "POST", "/v1/nodes/n9/cordon", "")
	expect(t, st, body, http.StatusBadRequest, "unknown_node")

	st, body = call(t, b, "POST", "/v1/nodes/n2/uncordon", "")
	expect(t, st, body, 200, `"ok": true`)
	waitFor(t, "n2 runs children again", func() bool {
		st, body := call(t, b, "GET", "/v1/which", "")
		return st == 200 && len(decodeAs[adminapi.WhichResponse](t, body).Nodes[0].Children) > 0
	})
}
