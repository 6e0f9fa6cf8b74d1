package dnsclient

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/miekg/dns"
)

// BenchmarkOrder is RFC 2782 selection over a realistic answer: 8 targets
// in 3 priorities with weights.
func BenchmarkOrder(b *testing.B) {
	var rs []SRV
	for i := range 8 {
		rs = append(rs, SRV{Target: fmt.Sprintf("ucm%d.example.com.", i), Port: 8443, Priority: uint16(10 * (i % 3)), Weight: uint16(10 + i*5)})
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	for b.Loop() {
		Order(rs, rnd)
	}
}

// BenchmarkParseSRVReply parses a packed answer of 20 SRV records.
func BenchmarkParseSRVReply(b *testing.B) {
	data := srvReply(b, 20)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseSRVReply(data); err != nil {
			b.Fatal(err)
		}
	}
}

// srvReply packs a reply with n SRV records for _cisco-uds._tcp.example.com.
func srvReply(b *testing.B, n int) []byte {
	m := new(dns.Msg)
	m.SetQuestion("_cisco-uds._tcp.example.com.", dns.TypeSRV)
	m.Response, m.Authoritative = true, true
	for i := range n {
		rr, err := dns.NewRR(fmt.Sprintf("_cisco-uds._tcp.example.com. 300 IN SRV %d 50 8443 ucm%d.example.com.", 10*(i%3), i))
		if err != nil {
			b.Fatal(err)
		}
		m.Answer = append(m.Answer, rr)
	}
	data, err := m.Pack()
	if err != nil {
		b.Fatal(err)
	}
	return data
}
