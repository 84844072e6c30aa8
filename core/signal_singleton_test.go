package core

import (
	"testing"
)

// TestSignalsOnlyWithReplicas: redundancy signals tell replicas which of
// them is active; a singleton child (Factor 1) has no replicas and gets
// no signal when it starts, whatever Signal says, while each replica of a
// replicated active/passive child is signalled its role at its start.
func TestSignalsOnlyWithReplicas(t *testing.T) {
	for _, factor := range []int{1, 2} {
		c := newLockstep(t, 2, func(cfg *Config) {
			fastTiming(cfg)
			cfg.Redundancy = RedundancyConfig{Factor: factor, Mode: ActivePassive, Signal: SignalAll}
		})
		c.request("n1", Request{ID: 1, Op: OpStart, Specs: []ChildSpec{{ID: "c"}}, Start: StartOptions{Await: true}})
		c.runFor(c.nodes["n1"].cfg.Timing.HeartbeatInterval)
		starts, signals, active := 0, 0, 0
		for _, name := range c.names {
			for _, e := range c.effects[name] {
				switch {
				case e.ID != "c":
				case e.Kind == EffectStart:
					starts++
				case e.Kind == EffectSignal:
					signals++
					if e.Active {
						active++
					}
				}
			}
		}
		if starts != factor {
			t.Fatalf("factor %d: %d starts", factor, starts)
		}
		if factor == 1 && signals != 0 {
			t.Errorf("factor 1: the singleton got %d signals, want none", signals)
		}
		if factor == 2 && (signals != 2 || active != 1) {
			t.Errorf("factor 2: %d signals (%d active), want one per replica, one active", signals, active)
		}
	}
}
