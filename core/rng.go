package core

// rng is a small deterministic PRNG (splitmix64) private to a node. core
// never uses math/rand's global source.
type rng struct{ s uint64 }

func newRng(seed uint64) rng { return rng{s: seed} }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a value in [0, n).
func (r *rng) intn(n int) int {
	if n <= 0 {
		return 0
	}
	return int(r.next() % uint64(n))
}

// pick returns up to k distinct elements of xs in random order; xs is not
// modified.
func pickN[T any](r *rng, xs []T, k int) []T {
	c := append([]T(nil), xs...)
	for i := len(c) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		c[i], c[j] = c[j], c[i]
	}
	if k < len(c) {
		c = c[:k]
	}
	return c
}
