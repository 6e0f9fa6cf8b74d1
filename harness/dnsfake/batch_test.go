package dnsfake_test

import (
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"

	"example.com/cutover/harness/dnsfake"
)

// udpRaw sends b as one datagram and returns the reply.
func udpRaw(t *testing.T, addr string, b []byte) *dns.Msg {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, dns.MaxMsgSize)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	if err := m.Unpack(buf[:n]); err != nil {
		t.Fatal(err)
	}
	return m
}

// A query the cache answers gets the same reply as the first, with its
// own ID, and is counted; a query of exactly 4096 bytes is answered, a
// longer datagram gets FORMERR with its ID instead of an answer to its
// cut start.
func TestUDPCacheAndOversizedQuery(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(testZone))
	q := new(dns.Msg)
	q.SetQuestion("_cisco-uds._tcp.example.com.", dns.TypeSRV)
	for i, id := range []uint16{7, 8, 9} {
		q.Id = id
		b, _ := q.Pack()
		r := udpRaw(t, s.Addr(), b)
		if r.Id != id || r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
			t.Fatalf("query %d: id %d rcode %d answers %d", i, r.Id, r.Rcode, len(r.Answer))
		}
	}
	q.Id = 11
	q.SetEdns0(4096, false)
	b, _ := q.Pack()
	opt := q.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_PADDING{Padding: make([]byte, 4096-len(b)-4)})
	b, _ = q.Pack()
	if len(b) != 4096 {
		t.Fatalf("padded query is %d bytes", len(b))
	}
	if r := udpRaw(t, s.Addr(), b); r.Id != 11 || r.Rcode != dns.RcodeSuccess {
		t.Errorf("4096 bytes: id %d rcode %d, want 11 NOERROR", r.Id, r.Rcode)
	}
	q = new(dns.Msg)
	q.SetQuestion("_cisco-uds._tcp.example.com.", dns.TypeSRV)
	q.Id = 10
	b, _ = q.Pack()
	b = append(b, make([]byte, 5000)...)
	if r := udpRaw(t, s.Addr(), b); r.Id != 10 || r.Rcode != dns.RcodeFormatError {
		t.Errorf("oversized: id %d rcode %d, want 10 FORMERR", r.Id, r.Rcode)
	}
	if n := s.Count(); n != 4 {
		t.Errorf("Count %d, want 4 (the oversized datagram is not a query)", n)
	}
}
