package softphone_test

import (
	"context"
	"testing"

	"example.com/cutover/harness/sipreg"
)

// BenchmarkRegisterCycle: one whole softphone registration per op (dial,
// TLS handshake, 407, REGISTER with token, 200, Expires: 0, 200).
func BenchmarkRegisterCycle(b *testing.B) {
	f := newFixture(b, nil)
	c := f.client()
	reg := f.reg("alice", sipreg.CSF, f.token("alice"))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Register(context.Background(), reg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
}
