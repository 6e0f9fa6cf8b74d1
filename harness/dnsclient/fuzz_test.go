package dnsclient

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// FuzzParseReply feeds arbitrary bytes to the path LookupSRV takes from a
// wire reply to records. Seeds: testdata/fuzz/FuzzParseReply plus the
// replies built below. It must never panic, and every outcome is records or
// an error, never both empty without an error.
func FuzzParseReply(f *testing.F) {
	for _, m := range seedReplies() {
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		srvs, err := parseSRVReply(b)
		if err == nil && len(srvs) == 0 {
			t.Fatalf("parseSRVReply(%q): no records and no error", b)
		}
		if errors.Is(err, ErrServiceAbsent) && (len(srvs) != 1 || srvs[0].Target != ".") {
			t.Fatalf("parseSRVReply(%q): ErrServiceAbsent with %v", b, srvs)
		}
	})
}

func seedReplies() []*dns.Msg {
	reply := func(rcode int, rrs ...string) *dns.Msg {
		q := new(dns.Msg)
		q.SetQuestion("_cisco-uds._tcp.example.com.", dns.TypeSRV)
		m := new(dns.Msg)
		m.SetRcode(q, rcode)
		for _, s := range rrs {
			rr, err := dns.NewRR(s)
			if err != nil {
				panic(err)
			}
			m.Answer = append(m.Answer, rr)
		}
		return m
	}
	return []*dns.Msg{
		reply(dns.RcodeSuccess, "_cisco-uds._tcp.example.com. 300 IN SRV 10 50 8443 ucm1.example.com.", "_cisco-uds._tcp.example.com. 300 IN SRV 20 50 8443 ucm2.example.com."),
		reply(dns.RcodeSuccess, "_cisco-uds._tcp.example.com. 300 IN SRV 0 0 0 ."),
		reply(dns.RcodeSuccess),
		reply(dns.RcodeNameError),
		reply(dns.RcodeServerFailure),
		reply(dns.RcodeSuccess, "_cisco-uds._tcp.example.com. 300 IN CNAME _x._tcp.example.com.", "_x._tcp.example.com. 300 IN SRV 1 1 8443 ucm1.example.com."),
	}
}

// FuzzCheckTarget checks that CheckTarget never panics, that every refusal
// wraps one of the target sentinels, and that it never accepts an IP
// literal or a single label.
func FuzzCheckTarget(f *testing.F) {
	for _, s := range []string{"ucm1.example.com.", ".", "", "192.0.2.1", "2001:db8::1.", "ucm1.", "a_b.example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckTarget(s)
		if err != nil {
			if !errors.Is(err, ErrTargetIsIP) && !errors.Is(err, ErrTargetNotFQDN) && !errors.Is(err, ErrTargetInvalid) && !errors.Is(err, ErrServiceAbsent) {
				t.Fatalf("CheckTarget(%q): error %v wraps no target sentinel", s, err)
			}
			return
		}
		h := strings.TrimSuffix(s, ".")
		if _, perr := netip.ParseAddr(h); perr == nil {
			t.Fatalf("CheckTarget(%q) accepted an IP", s)
		}
		if !strings.Contains(h, ".") {
			t.Fatalf("CheckTarget(%q) accepted a single label", s)
		}
	})
}
