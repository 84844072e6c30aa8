package core

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// swimForming boots size SWIM nodes at once (each seeded with the nodes
// added before it), runs them until every node is ready and sees them
// all, and returns the bytes all nodes sent (MessageBytes) and the member
// records the acks to pings carried.
func swimForming(t *testing.T, size int) (bytes, ackRecords int) {
	t.Helper()
	e := newTestEnv()
	e.tune = func(c *Config) { c.Membership.Detector = Swim }
	for i := 1; i <= size; i++ {
		if err := e.addNode(NodeID(fmt.Sprintf("n%02d", i)), 1); err != nil {
			t.Fatal(err)
		}
	}
	tickWatching(t, e, func(time.Duration) bool { return e.formed() }, 20*time.Second, fmt.Sprintf("%d swim nodes did not form and get ready", size), func(env Envelope) {
		bytes += MessageBytes(&env.Msg)
		if env.Msg.Kind == MsgPingAck {
			ackRecords += len(env.Msg.Members)
		}
	})
	return bytes, ackRecords
}

// Forming a SWIM cluster sends each node about one whole member table in
// acks (what its welcoming seed learned after the welcome, pulled at the
// first probe: swim_join.go), not a table per probe while it waits for
// its peers' stamps: stamps travel as agreement bits (swim_vouch.go).
// Pulling whole tables made the bytes grow as N² log N (×3.6 from 16 to
// 32 nodes here, 7.9 and 9.4 records per node and member in acks); now
// at most ×2.5 per doubling and 4 records per node and member (×2.05;
// 1.5 and 1.2 read).
func TestSwimFormingPullsNoWholeTables(t *testing.T) {
	const small, large = 16, 32
	bs, rs := swimForming(t, small)
	bl, rl := swimForming(t, large)
	if r := float64(bl) / float64(bs); r > 2.5 {
		t.Errorf("forming %d swim nodes sent %d bytes, %d nodes %d: ×%.2f, want at most ×2.5", large, bl, small, bs, r)
	}
	for _, c := range []struct{ size, records int }{{small, rs}, {large, rl}} {
		if per := float64(c.records) / float64(c.size*c.size); per > 4 {
			t.Errorf("forming %d swim nodes: acks carried %d member records, %.1f per node and member, want at most 4 (about one table per node)", c.size, c.records, per)
		}
	}
	t.Logf("forming: %d nodes %d bytes (%d records in acks), %d nodes %d bytes (%d records in acks)", small, bs, rs, large, bl, rl)
}

// vouchNode returns a SWIM node n01 that knows peers n02 and n03 alive,
// neither of which stated a stamp it holds.
func vouchNode(t *testing.T) *Node {
	t.Helper()
	cfg := DefaultConfig("n01")
	cfg.Incarnation, cfg.Membership.Detector, cfg.Seeds = 1, Swim, []NodeID{"n02"}
	n, err := NewNode(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []NodeID{"n02", "n03"} {
		if tr, ok := n.members.heard(p, 1, nil, 1); ok {
			n.onMemberTransition(tr)
		}
	}
	n.Ready()
	return n
}

// A peer whose stamp a bitmap vouched for agrees as if its record said
// so, while this node's table and registry hash the same; a bitmap for
// another hash, of the wrong length or with bits past the members counts
// for nothing, and a peer whose latest stamp says it claims children
// does not agree on a vouch.
func TestSwimAgreementByVouchedBits(t *testing.T) {
	n := vouchNode(t)
	h := n.agreeHash()
	n03 := byte(1 << 2) // n01, n02, n03: bit 2
	for _, bad := range []struct {
		name string
		bm   []byte
		h    uint64
	}{
		{"another hash", []byte{n03}, h ^ 1},
		{"too long", []byte{n03, 0}, h},
		{"empty", []byte{}, h},
		{"a bit past the members", []byte{n03 | 1<<3}, h},
	} {
		n.takeBitmap(bad.bm, bad.h)
		if n.agrees("n03") {
			t.Fatalf("n03 agrees after a bitmap with %s", bad.name)
		}
	}
	n.takeBitmap([]byte{n03 | 1}, h) // and a bit for this node itself
	if !n.agrees("n03") || n.agrees("n02") {
		t.Fatalf("after a bitmap vouching for n03: n03 agrees %v (want true), n02 %v (want false)", n.agrees("n03"), n.agrees("n02"))
	}
	if got := n.agreeBitmap(h); len(got) != 1 || got[0] != n03 {
		t.Errorf("this node's bitmap for its hash = %08b, want %08b (the vouched n03; it stated no stamp itself yet)", got, []byte{n03})
	}
	n.members.noteStamp(Member{Name: "n03", Incarnation: 1, Status: StatusAlive, SyncStamp: 5 << stampHashBits}) // claims children now
	if n.agrees("n03") {
		t.Error("n03 agrees on a vouch although its latest stamp says it claims children")
	}
	n = vouchNode(t)
	n.takeBitmap([]byte{n03}, n.agreeHash())
	n.reg.put(&Entry{Spec: ChildSpec{ID: "c1"}, Epoch: 1, Holder: "n02", By: "n02"})
	if n.agrees("n03") {
		t.Error("n03 agrees on a vouch for a registry that changed since")
	}
}

// takeBitmap vouches for exactly the members whose bits are set, bit i
// being the i-th member of inAgreeList's order (alive or left, by name),
// whether every member has a bit (set bits only are visited) or some
// are held down (the table is walked), and never for this node itself.
func TestTakeBitmapVouchesForTheSetBits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := DefaultConfig("n05")
		cfg.Incarnation, cfg.Membership.Detector = 1, Swim
		n, err := NewNode(cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		for i := rapid.IntRange(1, 20).Draw(t, "peers"); i > 0; i-- {
			p := NodeID(fmt.Sprintf("n%02d", i+5*btoi(i >= 5)))
			n.members.heard(p, 1, nil, 1)
			switch rapid.IntRange(0, 3).Draw(t, "status") {
			case 0:
				n.members.markGone(p, StatusDown, 1)
			case 1:
				n.members.markGone(p, StatusLeft, 1)
			}
		}
		var list []*memberState
		for _, s := range n.members.table() {
			if inAgreeList(s) {
				list = append(list, s)
			}
		}
		bm := make([]byte, (len(list)+7)/8)
		for i := range list {
			if rapid.Bool().Draw(t, "bit") {
				bm[i/8] |= 1 << (i % 8)
			}
		}
		h := n.agreeHash()
		n.takeBitmap(bm, h)
		for i, s := range list {
			want := bm[i/8]&(1<<(i%8)) != 0 && s.Name != n.cfg.Name
			if got := s.vouchedFor == h; got != want {
				t.Fatalf("%s (bit %d of %08b) vouched for: %v, want %v", s.Name, i, bm, got, want)
			}
		}
	})
}
