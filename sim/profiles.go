package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/phub/phub/core"
)

// DefaultStart is the wall time a simulation's clock starts at unless
// Options.Start says otherwise: a realistic Unix time, as production
// nodes see, so that a zero timestamp looks ancient (as it does in
// production) rather than fresh.
var DefaultStart = core.Instant(time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC).UnixNano())

// Profile is a timing profile a seed draws: every protocol period and
// timeout, the anti-entropy interval, and how long an idle stretch the
// seed fast-forwards through so tombstone expiry and member forgetting
// run inside the seed.
type Profile struct {
	Name   string
	Timing core.Timing
	// SyncInterval is the anti-entropy interval (core.SyncConfig.Interval).
	SyncInterval time.Duration
	// Retention is hot swap's handover retention (core.MigrationConfig).
	Retention time.Duration
	// RestartWindow is the restart-intensity window.
	RestartWindow time.Duration
}

// Profiles lists the timing profiles a sweep draws from. "fast" is the
// simulator's historic timing with short expiry; "lazy-sync" keeps fast
// failure detection but anti-entropy at production's 15 s, so a broken
// push path cannot hide behind anti-entropy; "production" is
// core.DefaultConfig's timing; "wan" stretches everything (minutes of
// down detection tolerance, an hour of tombstones).
var Profiles = []Profile{
	{Name: "fast", Timing: fastExpiring(20*time.Second, 45*time.Second),
		SyncInterval: time.Second, Retention: time.Second, RestartWindow: 5 * time.Second},
	{Name: "lazy-sync", Timing: fastExpiring(30*time.Second, 40*time.Second),
		SyncInterval: 15 * time.Second, Retention: time.Second, RestartWindow: 5 * time.Second},
	{Name: "production", Timing: core.DefaultConfig("x").Timing,
		SyncInterval: 15 * time.Second, Retention: 5 * time.Second, RestartWindow: 5 * time.Second},
	{Name: "wan", Timing: core.Timing{TickInterval: 100 * time.Millisecond, HeartbeatInterval: time.Second, DownAfter: 8 * time.Second,
		RequestTimeout: 20 * time.Second, RetryInterval: 500 * time.Millisecond, TombstoneTTL: time.Hour, ForgetDownAfter: 90 * time.Minute},
		SyncInterval: 30 * time.Second, Retention: 5 * time.Second, RestartWindow: 20 * time.Second},
}

// fastExpiring is FastTiming with the given tombstone TTL and
// forget-down period.
func fastExpiring(tombstoneTTL, forgetDownAfter time.Duration) core.Timing {
	t := FastTiming()
	t.TombstoneTTL, t.ForgetDownAfter = tombstoneTTL, forgetDownAfter
	return t
}

// ProfileNamed returns the profile called name.
func ProfileNamed(name string) (Profile, error) {
	for _, p := range Profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("unknown timing profile %q", name)
}

// drawProfile picks a seed's profile: fast 40%, lazy-sync 25%,
// production 25%, wan 10% (the slow profiles cost more events per seed
// in their idle stretch).
func drawProfile(r *rand.Rand) Profile {
	x := r.IntN(20)
	switch {
	case x < 8:
		return Profiles[0]
	case x < 13:
		return Profiles[1]
	case x < 18:
		return Profiles[2]
	}
	return Profiles[3]
}

// scale is how much longer than the fast profile's the seed's fault
// windows and chaos phase are: failure detection (DownAfter) must fit
// inside them, or no crash or partition is ever noticed.
func (p Profile) scale() time.Duration {
	k := p.Timing.DownAfter / (300 * time.Millisecond)
	return min(max(k, 1), 6)
}

// apply sets the profile's timings on a node's config.
func (p Profile) apply(c *core.Config) {
	c.Timing = p.Timing
	c.Sync.Interval = p.SyncInterval
	c.Migration.Retention = p.Retention
	c.Restart.Window = p.RestartWindow
}

// idleTick is the tick interval while fast-forwarding: coarse, but
// heartbeats still arrive several times per DownAfter, so nobody is
// suspected and nothing but time passes.
func (p Profile) idleTick() time.Duration {
	return max(p.Timing.TickInterval, p.Timing.DownAfter/4)
}

// PropagationBound is how long after a change on a healthy network every
// connected live node holds it: push-based (pubsub, gossip) changes take
// a few message delays and ticks; anti-entropy is not counted, so a
// broken push path is caught whenever the sync interval exceeds this.
func (p Profile) PropagationBound(gossip bool, nodes int, maxDelay time.Duration) time.Duration {
	hop := 2*maxDelay + 2*p.Timing.TickInterval
	if gossip {
		// forwarded round by round: at most one hop per remaining node
		return time.Duration(max(nodes, 2)) * hop
	}
	return 2 * hop
}
