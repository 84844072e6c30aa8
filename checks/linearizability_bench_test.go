package checks

import "testing"

// BenchmarkCheckLinearizable checks a generated linearizable 10k-op history
// over 100 children and 20 clients, 1% unknown outcomes.
func BenchmarkCheckLinearizable(b *testing.B) {
	h := genHistory(genConfig{Ops: 10000, Children: 100, Clients: 20, UnknownFrac: 0.01, Seed: 42})
	b.ReportAllocs()
	for b.Loop() {
		if res := CheckLinearizableHarness(h); res.Status != LinOk {
			b.Fatal(res)
		}
	}
}

// BenchmarkCheckLinearizableIllegal refutes the same history with two
// sequential acknowledged stops of one child appended.
func BenchmarkCheckLinearizableIllegal(b *testing.B) {
	h := genHistory(genConfig{Ops: 10000, Children: 100, Clients: 20, UnknownFrac: 0.01, Seed: 42})
	h.Add(op(99, OpStop, "c000", 1<<40, 1<<40+1, OutcomeOK, 0))
	h.Add(op(99, OpStop, "c000", 1<<41, 1<<41+1, OutcomeOK, 0))
	b.ReportAllocs()
	for b.Loop() {
		if res := CheckLinearizableHarness(h); res.Status != LinIllegal {
			b.Fatal(res)
		}
	}
}
