package dnsfake_test

import (
	"testing"
	"time"

	"github.com/miekg/dns"

	"example.com/cutover/harness/dnsfake"
)

// TestCachedRepliesAreExact: the second and later answers to a query come
// from the reply cache (UDP by the query's bytes, TCP by its question) and
// must be what the first was, with the query's own ID and the question's
// case as sent.
func TestCachedRepliesAreExact(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(testZone))
	for _, netw := range []string{"udp", "tcp"} {
		var first *dns.Msg
		for i, name := range []string{"_cisco-uds._tcp.example.com.", "_cisco-uds._tcp.example.com.", "_CISCO-uds._tcp.EXAMPLE.com."} {
			c := &dns.Client{Net: netw, Timeout: 5 * time.Second}
			m := new(dns.Msg)
			m.SetQuestion(name, dns.TypeSRV)
			m.Id = uint16(1000 + i)
			m.SetEdns0(1232, false)
			r, _, err := c.Exchange(m, s.Addr())
			if err != nil {
				t.Fatalf("%s %s: %v", netw, name, err)
			}
			if r.Id != m.Id || r.Question[0].Name != name {
				t.Fatalf("%s query %d: reply ID %d question %q, want %d %q", netw, i, r.Id, r.Question[0].Name, m.Id, name)
			}
			if first == nil {
				first = r
				continue
			}
			if len(r.Answer) != len(first.Answer) || len(r.Extra) != len(first.Extra) || r.Rcode != first.Rcode || !r.Authoritative {
				t.Errorf("%s query %d: cached reply differs: %v\nfirst: %v", netw, i, r, first)
			}
			for j := range r.Answer {
				if r.Answer[j].String() != first.Answer[j].String() {
					t.Errorf("%s query %d answer %d: %s, first %s", netw, i, j, r.Answer[j], first.Answer[j])
				}
			}
		}
	}
	if n := s.Count(); n != 6 || len(s.Received()) != 6 {
		t.Errorf("Count %d, Received %d: want every query counted and recorded, cached or not", n, len(s.Received()))
	}
}
