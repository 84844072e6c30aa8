package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phub/phub/e2e/internal/loadwait"
)

// Tombstone timing of TestTombstoneLifetimeOnProcesses: README's bounded
// metadata promise is that a tombstone expires between TombstoneTTL and
// TombstoneTTL + Sync.Interval + one tick after its stop.
const (
	tombTTL  = 3 * time.Second
	tombSync = 500 * time.Millisecond
	tombTick = 10 * time.Millisecond // the e2e cluster's --tick-interval
)

// TestTombstoneLifetimeOnProcesses is README's bounded-metadata and
// fencing-epoch promises on three in-memory phubd (--durable=false, tombstone
// TTL 3 s, anti-entropy 500 ms; TestDurableEpochFloorAcrossRestart covers
// durable mode, phubd's default): an awaited stop's tombstone is on every node when
// the stop is answered (phub_registry_tombstones 1 on each, and a local
// lookup says not_found); no node drops it before TTL after the stop was
// sent (every scrape that ended before then shows it); every node has
// collected it by TTL + Sync.Interval + a tick after the answer (plus a
// slack of 250 ms × the load factor for scheduling and the scrape); and a
// start of the same child after the collection gets an epoch above its
// tombstone's (the epoch floor, core/epochfloor.go). The control runs the
// same with PHUBD_TEST_BROKEN=zero-stopped-at,no-epoch-floor (tombstones
// written without their stop time, no epoch floor) and must see both an
// early collection and an epoch that went back, which shows the test can
// fail.
func TestTombstoneLifetimeOnProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: starts real processes")
	}
	bin := buildPhubd(t)
	for _, broken := range []bool{false, true} {
		t.Run(fmt.Sprintf("broken=%v", broken), func(t *testing.T) {
			v := tombstoneLifetime(t, bin, broken)
			for _, l := range v.log {
				t.Log(l)
			}
			switch {
			case !broken && len(v.violations) > 0:
				t.Fatalf("%d violations, first: %s", len(v.violations), strings.Join(v.violations, "\n"))
			case broken && (!v.early || !v.epochBack):
				t.Fatalf("control: with zero-stopped-at,no-epoch-floor the test saw early collection %v, epoch gone back %v: it cannot fail (violations: %v)", v.early, v.epochBack, v.violations)
			}
		})
	}
}

// tombstoneVerdict is what one run of the scenario saw.
type tombstoneVerdict struct {
	violations []string
	log        []string
	early      bool // a node dropped the tombstone before TTL
	epochBack  bool // the start after expiry was not above the tombstone's epoch
}

func tombstoneLifetime(t *testing.T, bin string, broken bool) tombstoneVerdict {
	await := loadwait.Scale(20 * time.Second)
	c := formThree(t, bin, "tb", await, append(loadScaledDetection(),
		"--durable=false", "--tombstone-ttl", tombTTL.String(), "--sync-interval", tombSync.String()),
		knobEnv(broken, "zero-stopped-at,no-epoch-floor")...)

	var v tombstoneVerdict
	const id = "tomb"
	var op opResponse
	job := startRequest{Specs: []spec{{ID: id, Kind: "counter", Params: map[string]string{"interval_ms": "1000"}}}, Await: true, Timeout: await.String()}
	if _, err := c.do(c.procs[0], "POST", "/v1/children", job, &op); err != nil || !op.OK || len(op.Results) != 1 {
		t.Fatalf("start: %v %+v", err, op)
	}
	tombEpoch := op.Results[0].Epoch + 1 // a stop writes its tombstone one epoch up

	sent := time.Now()
	var stop opResponse
	if _, err := c.do(c.procs[1], "DELETE", "/v1/children", map[string]any{"ids": []string{id}, "await": true, "timeout": await.String()}, &stop); err != nil || !stop.OK {
		t.Fatalf("awaited stop: %v %+v", err, stop)
	}
	acked := time.Now()
	earliest := sent.Add(tombTTL)
	latest := acked.Add(tombTTL + tombSync + tombTick + loadwait.Scale(250*time.Millisecond))

	// Right after the answer: the tombstone is on every node.
	for _, p := range c.procs {
		if _, code := c.lookupEpoch(p, id, "local"); code != "not_found" {
			v.violations = append(v.violations, fmt.Sprintf("%s: local lookup right after the stop's answer: %s, want not_found", p.name, code))
		}
	}
	// Scrape every node until each shows the tombstone gone. For each
	// node: the end of the last scrape that still showed it and the first
	// that did not.
	lastSeen := map[string]time.Time{}
	goneBy := map[string]time.Time{}
	c.poll(tombTTL+tombSync+15*time.Second, "every node collected the tombstone", func() error {
		pending := 0
		for _, p := range c.procs {
			if _, done := goneBy[p.name]; done {
				continue
			}
			begin := time.Now()
			m, err := c.metrics(p)
			end := time.Now()
			if err != nil {
				return err
			}
			n, ok := m["phub_registry_tombstones"]
			switch {
			case !ok:
				return fmt.Errorf("%s: no phub_registry_tombstones", p.name)
			case n >= 1:
				lastSeen[p.name] = begin
				pending++
			default:
				goneBy[p.name] = end
				if end.Before(earliest) {
					v.early = true
					v.violations = append(v.violations, fmt.Sprintf("%s: tombstone gone %v after the stop was sent, before its TTL %v", p.name, end.Sub(sent).Round(time.Millisecond), tombTTL))
				}
			}
		}
		if pending > 0 {
			return fmt.Errorf("%d nodes still hold the tombstone", pending)
		}
		return nil
	})
	for _, p := range c.procs {
		if last, ok := lastSeen[p.name]; ok && last.After(latest) {
			v.violations = append(v.violations, fmt.Sprintf("%s: tombstone still held %v after the stop's answer, past TTL + sync interval + tick + slack (%v)", p.name, last.Sub(acked).Round(time.Millisecond), latest.Sub(acked).Round(time.Millisecond)))
		}
		v.log = append(v.log, fmt.Sprintf("%s: tombstone last seen %v, gone by %v after the stop was sent (TTL %v, sync %v; answer after %v)",
			p.name, since(lastSeen[p.name], sent), since(goneBy[p.name], sent), tombTTL, tombSync, acked.Sub(sent).Round(time.Millisecond)))
	}

	// Start the child again after its tombstone expired everywhere: its
	// epoch goes on above the tombstone's.
	op = opResponse{}
	if _, err := c.do(c.procs[2], "POST", "/v1/children", job, &op); err != nil || !op.OK || len(op.Results) != 1 {
		t.Fatalf("start after expiry: %v %+v", err, op)
	}
	if e := op.Results[0].Epoch; e <= tombEpoch {
		v.epochBack = true
		v.violations = append(v.violations, fmt.Sprintf("start after the tombstone expired acknowledged at epoch %d, not above the tombstone's %d", e, tombEpoch))
	}
	v.log = append(v.log, fmt.Sprintf("tombstone epoch %d; start after expiry at epoch %d", tombEpoch, op.Results[0].Epoch))
	return v
}

// since is t − from rounded to a millisecond, or "never" for a zero t.
func since(t, from time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Sub(from).Round(time.Millisecond).String()
}
