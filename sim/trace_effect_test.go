package sim

import (
	"testing"

	"github.com/phub/phub/core"
)

// TestTraceEffectIsTracefsLine: traceEffect writes, hashes and records
// byte for byte the line tracef gives an effect with "%s %d %s #%d e%d"
// (the format it replaced), so every seed's trace hash is unchanged.
func TestTraceEffectIsTracefsLine(t *testing.T) {
	sn := &simNode{name: "n2"}
	for _, e := range []core.Effect{
		{Kind: core.EffectKind(1), ID: "child-1", Instance: 7, Epoch: 3},
		{Kind: core.EffectKind(4), ID: "", Instance: 0, Epoch: 18446744073709551615},
		{Kind: core.EffectKind(255), ID: "ü id with spaces", Instance: 1 << 40, Epoch: 0},
	} {
		a := New(Options{Seed: 1, Record: true})
		b := New(Options{Seed: 1, Record: true})
		a.tracef(TraceEvent{Kind: "effect", Node: string(sn.name)}, "%s %d %s #%d e%d", sn.name, e.Kind, e.ID, e.Instance, e.Epoch)
		b.traceEffect(sn, e)
		if string(a.lineBuf) != string(b.lineBuf) || a.TraceHash() != b.TraceHash() || a.recorded[0] != b.recorded[0] {
			t.Fatalf("effect %+v: traceEffect wrote %q (hash %x), tracef %q (hash %x)", e, b.lineBuf, b.TraceHash(), a.lineBuf, a.TraceHash())
		}
	}
}
