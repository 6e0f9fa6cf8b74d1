package dnsfake_test

import (
	"context"
	"fmt"
	"time"

	"github.com/miekg/dns"

	"example.com/cutover/harness/dnsfake"
)

func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f, err := dnsfake.Start(ctx, dnsfake.WithZoneText(`$ORIGIN example.com.
$TTL 300
@               IN SOA ns1 hostmaster 1 3600 600 86400 60
_cisco-uds._tcp IN SRV 10 50 8443 ucm1
ucm1            IN A   192.0.2.10
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()

	c := &dns.Client{Timeout: 2 * time.Second}
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"_cisco-uds._tcp.example.com.", dns.TypeSRV},
		{"ucm1.example.com.", dns.TypeAAAA},
		{"_collab-edge._tls.example.com.", dns.TypeSRV},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		r, _, err := c.Exchange(m, f.Addr())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s %s: %s aa=%v answer=%d additional=%d authority=%d\n",
			q.name, dns.TypeToString[q.qtype], dns.RcodeToString[r.Rcode], r.Authoritative, len(r.Answer), len(r.Extra), len(r.Ns))
	}
	for _, q := range f.Received() {
		fmt.Println(q.Transport, q.Name, dns.TypeToString[q.Type])
	}
	// Output:
	// _cisco-uds._tcp.example.com. SRV: NOERROR aa=true answer=1 additional=1 authority=0
	// ucm1.example.com. AAAA: NOERROR aa=true answer=0 additional=0 authority=1
	// _collab-edge._tls.example.com. SRV: NXDOMAIN aa=true answer=0 additional=0 authority=1
	// udp _cisco-uds._tcp.example.com. SRV
	// udp ucm1.example.com. AAAA
	// udp _collab-edge._tls.example.com. SRV
}

// A zone that grows past 512 bytes is truncated over UDP and whole over TCP.
func Example_truncation() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var rrs []dns.RR
	for i := range 20 {
		rr, _ := dns.NewRR(fmt.Sprintf("_sip._tls.example.com. 300 IN SRV 10 10 5061 sip-%02d.example.com.", i))
		rrs = append(rrs, rr)
	}
	f, err := dnsfake.Start(ctx, dnsfake.WithRecords(rrs...))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	for _, network := range []string{"udp", "tcp"} {
		c := &dns.Client{Net: network, Timeout: 2 * time.Second}
		m := new(dns.Msg)
		m.SetQuestion("_sip._tls.example.com.", dns.TypeSRV)
		if _, _, err := c.Exchange(m, f.Addr()); err != nil {
			fmt.Println(err)
			return
		}
	}
	for _, q := range f.Received() {
		fmt.Printf("%s truncated=%v\n", q.Transport, q.Truncated)
	}
	// Output:
	// udp truncated=true
	// tcp truncated=false
}
