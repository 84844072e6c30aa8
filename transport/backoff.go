package transport

import (
	"math/rand/v2"
	"time"
)

// backoff yields exponentially growing, jittered delays between failed
// dials: attempt n waits a random duration in [d/2, d] where
// d = min(max, min*2^n).
type backoff struct {
	min, max time.Duration
	cur      time.Duration
}

// next returns the delay before the next attempt and doubles the base.
func (b *backoff) next() time.Duration {
	if b.cur < b.min {
		b.cur = b.min
	}
	d := b.cur
	if b.cur < b.max {
		b.cur = min(2*b.cur, b.max)
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// reset starts over from min after a success.
func (b *backoff) reset() { b.cur = 0 }
