package dnsclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/dnsfake"
)

const zone = `$ORIGIN example.com.
$TTL 300
@               IN SOA ns1 hostmaster 1 3600 600 86400 60
_cisco-uds._tcp IN SRV 10 50 8443 ucm1
_cisco-uds._tcp IN SRV 20 50 8443 ucm2
_xmpp-server._tcp IN SRV 0 0 0 .
_collab-edge._tls IN TXT "not an srv"
ucm1            IN A    192.0.2.10
ucm1            IN AAAA 2001:db8::10
ucm2            IN A    192.0.2.11
alias           IN CNAME www
www             IN CNAME web
web             IN A    192.0.2.80
web             IN AAAA 2001:db8::80
v6only          IN AAAA 2001:db8::6
_sip._tls       IN CNAME _sips._tcp
_sips._tcp      IN SRV 5 0 5061 sip1
`

func bigSRV(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "_big._tcp.example.com. 300 IN SRV 10 10 5061 sip-node-%02d.long-subdomain-name.example.com.\n", i)
	}
	return b.String()
}

func start(t *testing.T, opts ...dnsfake.Option) *dnsfake.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := dnsfake.Start(ctx, opts...)
	if err != nil {
		t.Fatalf("dnsfake.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("dnsfake Close: %v", err)
		}
	})
	return s
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestLookupSRV(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(zone), dnsfake.WithZoneText(bigSRV(20)),
		dnsfake.WithRcode("_broken._tcp.example.com.", dns.RcodeServerFailure),
		dnsfake.WithRcode("_refused._tcp.example.com.", dns.RcodeRefused))
	c := dnsclient.New(s.Addr(), dnsclient.WithTimeout(2*time.Second))
	tests := []struct {
		name      string
		owner     string
		want      int
		wantErr   error
		rcode     int // for *RcodeError
		errText   string
		truncated bool
	}{
		{name: "two targets", owner: "_cisco-uds._tcp.example.com", want: 2},
		{name: "trailing dot", owner: "_cisco-uds._tcp.example.com.", want: 2},
		{name: "srv behind cname", owner: "_sip._tls.example.com", want: 1},
		{name: "nxdomain", owner: "_cisco-uds._tcp.example.org", wantErr: dnsclient.ErrNXDomain, errText: "_cisco-uds._tcp.example.org. SRV: name does not exist (NXDOMAIN) from " + s.Addr()},
		{name: "nodata", owner: "_collab-edge._tls.example.com", wantErr: dnsclient.ErrNoData},
		{name: "dot target", owner: "_xmpp-server._tcp.example.com", want: 1, wantErr: dnsclient.ErrServiceAbsent},
		{name: "servfail", owner: "_broken._tcp.example.com", rcode: dns.RcodeServerFailure, errText: "dnsclient: _broken._tcp.example.com. SRV: SERVFAIL from " + s.Addr()},
		{name: "refused", owner: "_refused._tcp.example.com", rcode: dns.RcodeRefused, errText: "REFUSED"},
		{name: "truncated then tcp", owner: "_big._tcp.example.com", want: 20, truncated: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srvs, a, err := c.LookupSRV(ctx(t), tc.owner)
			if a == nil {
				t.Fatalf("LookupSRV(%q): no Answer (err %v)", tc.owner, err)
			}
			switch {
			case tc.rcode != 0:
				var re *dnsclient.RcodeError
				if !errors.As(err, &re) || re.Rcode != tc.rcode || re.Server != s.Addr() {
					t.Fatalf("LookupSRV(%q): err %v, want RcodeError %s", tc.owner, err, dns.RcodeToString[tc.rcode])
				}
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("LookupSRV(%q): err %v, want %v", tc.owner, err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("LookupSRV(%q): %v\n%s", tc.owner, err, a)
			}
			if tc.errText != "" && !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("LookupSRV(%q): error %q, want it to contain %q", tc.owner, err, tc.errText)
			}
			if len(srvs) != tc.want {
				t.Errorf("LookupSRV(%q): %d records, want %d:\n%s", tc.owner, len(srvs), tc.want, a)
			}
			if a.TruncatedUDP != tc.truncated {
				t.Errorf("LookupSRV(%q): TruncatedUDP = %v, want %v", tc.owner, a.TruncatedUDP, tc.truncated)
			}
			if wantT := map[bool]string{false: "udp", true: "tcp"}[tc.truncated]; a.Transport != wantT {
				t.Errorf("LookupSRV(%q): Transport = %q, want %q", tc.owner, a.Transport, wantT)
			}
		})
	}
}

func TestTruncationUsesTCPOnlyWhenNeeded(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(bigSRV(20)))
	for _, tc := range []struct {
		name    string
		udpSize uint16
		want    []string // transports the server saw
	}{
		{"no edns0 retries over tcp", 0, []string{"udp", "tcp"}},
		{"edns0 4096 fits in udp", 4096, []string{"udp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.Received())
			c := dnsclient.New(s.Addr(), dnsclient.WithUDPSize(tc.udpSize))
			srvs, _, err := c.LookupSRV(ctx(t), "_big._tcp.example.com")
			if err != nil || len(srvs) != 20 {
				t.Fatalf("LookupSRV: %d records, err %v; want 20", len(srvs), err)
			}
			var got []string
			for _, q := range s.Received()[before:] {
				got = append(got, q.Transport)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("server saw %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	const owner = "_big._tcp.example.com"
	short := 200 * time.Millisecond
	tests := []struct {
		name    string
		opts    []dnsfake.Option
		is      error
		errText string
	}{
		{"NoTCP after truncation", []dnsfake.Option{dnsfake.NoTCP()}, nil, "udp reply truncated, tcp retry failed"},
		{"DropEvery(1) times out", []dnsfake.Option{dnsfake.DropEvery(1)}, os.ErrDeadlineExceeded, "udp exchange with"},
		{"WithDelay times out", []dnsfake.Option{dnsfake.WithDelay(time.Hour)}, os.ErrDeadlineExceeded, ""},
		{"Garbage is a parse error", []dnsfake.Option{dnsfake.Garbage()}, dnsclient.ErrBadReply, "udp reply from "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, append(tc.opts, dnsfake.WithZoneText(bigSRV(20)))...)
			c := dnsclient.New(s.Addr(), dnsclient.WithTimeout(short))
			_, _, err := c.LookupSRV(ctx(t), owner)
			if err == nil {
				t.Fatalf("LookupSRV on %s: want error", tc.name)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err %v, want errors.Is %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.errText) || !strings.Contains(err.Error(), s.Addr()) {
				t.Errorf("err %q, want it to contain %q and the server %s", err, tc.errText, s.Addr())
			}
			if !strings.HasPrefix(err.Error(), "dnsclient: ") {
				t.Errorf("err %q lacks the dnsclient: prefix", err)
			}
		})
	}
}

func TestGarbageOverTCP(t *testing.T) {
	s := start(t, dnsfake.Garbage())
	_, err := dnsclient.New(s.Addr(), dnsclient.WithTimeout(time.Second)).ExchangeTCP(ctx(t), "a.example.com", dns.TypeA)
	if !errors.Is(err, dnsclient.ErrBadReply) || !strings.Contains(err.Error(), s.Addr()) {
		t.Fatalf("ExchangeTCP: err %v, want ErrBadReply naming %s", err, s.Addr())
	}
}

func TestCtxDeadlineShorterThanTimeout(t *testing.T) {
	s := start(t, dnsfake.DropEvery(1))
	c := dnsclient.New(s.Addr(), dnsclient.WithTimeout(time.Hour))
	cx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Exchange(cx, "a.example.com", dns.TypeA)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Exchange: err %v, want context.DeadlineExceeded", err)
	}
}

func TestExchangeTCP(t *testing.T) {
	t.Run("healthy", func(t *testing.T) {
		s := start(t, dnsfake.WithZoneText(bigSRV(20)))
		a, err := dnsclient.New(s.Addr()).ExchangeTCP(ctx(t), "_big._tcp.example.com", dns.TypeSRV)
		if err != nil || a.Transport != "tcp" || len(a.Msg.Answer) != 20 || a.Msg.Truncated {
			t.Fatalf("ExchangeTCP: %v, err %v", a, err)
		}
	})
	t.Run("NoTCP", func(t *testing.T) {
		s := start(t, dnsfake.NoTCP())
		_, err := dnsclient.New(s.Addr(), dnsclient.WithTimeout(time.Second)).ExchangeTCP(ctx(t), "a.example.com", dns.TypeA)
		if err == nil || !strings.Contains(err.Error(), "tcp") {
			t.Fatalf("ExchangeTCP: err %v, want a tcp error", err)
		}
	})
}

func TestLookupHost(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(zone))
	c := dnsclient.New(s.Addr(), dnsclient.WithTimeout(2*time.Second))
	tests := []struct {
		host    string
		addrs   []string
		cnames  []string
		wantErr error
	}{
		{"ucm1.example.com", []string{"192.0.2.10", "2001:db8::10"}, nil, nil},
		{"UCM2.Example.com.", []string{"192.0.2.11"}, nil, nil},
		{"v6only.example.com", []string{"2001:db8::6"}, nil, nil},
		{"alias.example.com", []string{"192.0.2.80", "2001:db8::80"}, []string{"www.example.com.", "web.example.com."}, nil},
		{"missing.example.com", nil, nil, dnsclient.ErrNXDomain},
		{"_cisco-uds._tcp.example.com", nil, nil, dnsclient.ErrNoData},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			addrs, cnames, err := c.LookupHost(ctx(t), tc.host)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("LookupHost(%q): err %v, want %v", tc.host, err, tc.wantErr)
			}
			var got []string
			for _, a := range addrs {
				got = append(got, a.String())
			}
			if !slices.Equal(got, tc.addrs) {
				t.Errorf("LookupHost(%q): addrs %v, want %v", tc.host, got, tc.addrs)
			}
			if !slices.Equal(cnames, tc.cnames) {
				t.Errorf("LookupHost(%q): cnames %v, want %v", tc.host, cnames, tc.cnames)
			}
		})
	}
}

// A CNAME pointing out of the fake's data forces a further query.
func TestLookupHostFollowsCNAMEWithFurtherQueries(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(`a.example.com. 300 IN CNAME b.example.net.
b.example.net. 300 IN CNAME c.example.org.
c.example.org. 300 IN A 192.0.2.7
loop1.example.org. 300 IN CNAME loop2.example.org.
loop2.example.org. 300 IN CNAME loop1.example.org.
`))
	c := dnsclient.New(s.Addr())
	addrs, cnames, err := c.LookupHost(ctx(t), "a.example.com")
	if err != nil || !slices.Equal(addrs, []netip.Addr{netip.MustParseAddr("192.0.2.7")}) {
		t.Fatalf("LookupHost: %v, %v", addrs, err)
	}
	if want := []string{"b.example.net.", "c.example.org."}; !slices.Equal(cnames, want) {
		t.Errorf("cnames %v, want %v", cnames, want)
	}
	if _, _, err := c.LookupHost(ctx(t), "loop1.example.org"); err == nil {
		t.Error("LookupHost on a CNAME loop: want error")
	}
}

func TestResolver(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(zone))
	r := dnsclient.New(s.Addr(), dnsclient.WithTimeout(2*time.Second)).Resolver()
	addrs, err := r.LookupNetIP(ctx(t), "ip4", "ucm1.example.com.")
	if err != nil || len(addrs) != 1 || addrs[0] != netip.MustParseAddr("192.0.2.10") {
		t.Fatalf("LookupNetIP: %v, %v", addrs, err)
	}
	_, srvs, err := r.LookupSRV(ctx(t), "", "", "_cisco-uds._tcp.example.com.")
	if err != nil || len(srvs) != 2 {
		t.Fatalf("LookupSRV: %v, %v", srvs, err)
	}
	if _, err := r.LookupHost(ctx(t), "missing.example.com."); err == nil {
		t.Fatal("LookupHost(missing): want error")
	} else if dnsErr := (*net.DNSError)(nil); !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("LookupHost(missing): %v, want not found", err)
	}
}

func TestAnswerString(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(zone))
	_, a, err := dnsclient.New(s.Addr()).LookupSRV(ctx(t), "_cisco-uds._tcp.example.com")
	if err != nil {
		t.Fatal(err)
	}
	got := a.String()
	for _, want := range []string{
		";; SERVER: " + s.Addr() + " (udp)",
		"status: NOERROR",
		"flags: qr aa rd;",
		"ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 3",
		";; QUESTION: _cisco-uds._tcp.example.com. IN SRV",
		"_cisco-uds._tcp.example.com.\t300\tIN\tSRV\t10 50 8443 ucm1.example.com.",
		";; ADDITIONAL:\nucm1.example.com.\t300\tIN\tA\t192.0.2.10",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("String() lacks %q:\n%s", want, got)
		}
	}
	if got := (*dnsclient.Answer)(nil).String(); got != ";; no reply" {
		t.Errorf("nil String() = %q", got)
	}
}

func TestRcodeErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  *dnsclient.RcodeError
		want string
	}{
		{&dnsclient.RcodeError{Name: "_cisco-uds._tcp.example.com.", Type: dns.TypeSRV, Rcode: dns.RcodeServerFailure, Server: "127.0.0.1:5300"}, "dnsclient: _cisco-uds._tcp.example.com. SRV: SERVFAIL from 127.0.0.1:5300"},
		{&dnsclient.RcodeError{Name: "a.example.com.", Rcode: 15, Server: "127.0.0.1:53"}, "dnsclient: a.example.com.: RCODE15 from 127.0.0.1:53"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestConcurrentLookups(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(zone), dnsfake.WithZoneText(bigSRV(20)))
	c := dnsclient.New(s.Addr())
	errs := make(chan error, 32)
	for i := range 32 {
		go func() {
			owner := []string{"_big._tcp.example.com", "_cisco-uds._tcp.example.com"}[i%2]
			_, _, err := c.LookupSRV(context.Background(), owner)
			errs <- err
		}()
	}
	for range 32 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
