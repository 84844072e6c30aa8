package sim

import (
	"fmt"
	"testing"

	"github.com/phub/phub/core"
)

// BenchmarkScaleFormSwim measures what forming a SWIM cluster costs the
// simulator: booting N nodes at once and simulating the first 10 s
// (Scale.Form), the phase `phubd bench --nodes` reports as cpu/10s sim.
// cpu-ms/op is the process's CPU time per formation, a figure load
// inflates far less than wall time; msgs/op and MB/op are the messages
// and encoded bytes all nodes sent, which load does not change.
func BenchmarkScaleFormSwim(b *testing.B) {
	for _, n := range benchScaleNodes {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			cpu0 := processCPU()
			var msgs, bytes int
			for i := 0; i < b.N; i++ {
				sc := NewScaleDetector(n, 1, core.Swim)
				if _, err := sc.Form(); err != nil {
					b.Fatal(err)
				}
				msgs, bytes = sc.Sim.Traffic()
			}
			if cpu := processCPU() - cpu0; cpu0 >= 0 && cpu > 0 {
				b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/op")
			}
			b.ReportMetric(float64(msgs), "msgs/op")
			b.ReportMetric(float64(bytes)/1e6, "MB/op")
		})
	}
}

// benchScaleNodes are the cluster sizes BenchmarkScaleFormSwim forms.
var benchScaleNodes = []int{50, 100, 200, 400}
