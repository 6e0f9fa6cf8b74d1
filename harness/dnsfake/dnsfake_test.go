package dnsfake_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"example.com/cutover/harness/dnsfake"
)

// testZone is the data most tests serve.
const testZone = `$ORIGIN example.com.
$TTL 300
@            IN SOA ns1 hostmaster 1 3600 600 86400 60
@            IN NS  ns1
ns1          IN A   192.0.2.53
_cisco-uds._tcp IN SRV 10 50 8443 ucm1
_cisco-uds._tcp IN SRV 20 50 8443 ucm2
ucm1         IN A    192.0.2.10
ucm1         IN AAAA 2001:db8::10
ucm2         IN A    192.0.2.11
alias        IN CNAME www
www          IN CNAME web
web          IN A    192.0.2.80
dangling     IN CNAME missing
`

// bigSRV returns n SRV records for _big._tcp.example.com., enough to
// overflow 512 bytes at n = 20.
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
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

type query struct {
	name  string
	qtype uint16
	net   string // "udp" or "tcp"
	edns  uint16 // 0 = no OPT
}

func exchange(t *testing.T, addr string, q query, timeout time.Duration) (*dns.Msg, error) {
	t.Helper()
	c := &dns.Client{Net: q.net, Timeout: timeout, UDPSize: dns.MaxMsgSize}
	m := new(dns.Msg)
	m.SetQuestion(q.name, q.qtype)
	m.RecursionDesired = false
	if q.edns > 0 {
		m.SetEdns0(q.edns, false)
	}
	r, _, err := c.Exchange(m, addr)
	return r, err
}

func mustExchange(t *testing.T, addr string, q query) *dns.Msg {
	t.Helper()
	r, err := exchange(t, addr, q, 5*time.Second)
	if err != nil {
		t.Fatalf("%s %s over %s: %v", q.name, dns.TypeToString[q.qtype], q.net, err)
	}
	return r
}

func TestAnswers(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(testZone), dnsfake.WithZoneText(bigSRV(20)))
	tests := []struct {
		name      string
		q         query
		rcode     int
		answers   int
		extra     int // excluding OPT
		ns        int
		truncated bool
	}{
		{"srv with additional", query{"_cisco-uds._tcp.example.com.", dns.TypeSRV, "udp", 0}, dns.RcodeSuccess, 2, 3, 0, false},
		{"case-insensitive", query{"_CISCO-UDS._TCP.Example.COM.", dns.TypeSRV, "udp", 0}, dns.RcodeSuccess, 2, 3, 0, false},
		{"nodata", query{"ucm2.example.com.", dns.TypeAAAA, "udp", 0}, dns.RcodeSuccess, 0, 0, 1, false},
		{"nxdomain", query{"nope.example.com.", dns.TypeA, "udp", 0}, dns.RcodeNameError, 0, 0, 1, false},
		{"nxdomain outside any zone", query{"nope.example.net.", dns.TypeA, "udp", 0}, dns.RcodeNameError, 0, 0, 0, false},
		{"cname chased", query{"alias.example.com.", dns.TypeA, "udp", 0}, dns.RcodeSuccess, 3, 0, 0, false},
		{"cname asked for", query{"alias.example.com.", dns.TypeCNAME, "udp", 0}, dns.RcodeSuccess, 1, 0, 0, false},
		{"cname to missing name", query{"dangling.example.com.", dns.TypeA, "udp", 0}, dns.RcodeNameError, 1, 0, 1, false},
		{"big srv truncated over udp", query{"_big._tcp.example.com.", dns.TypeSRV, "udp", 0}, dns.RcodeSuccess, -1, 0, 0, true},
		{"big srv fits edns0 4096", query{"_big._tcp.example.com.", dns.TypeSRV, "udp", 4096}, dns.RcodeSuccess, 20, 0, 0, false},
		{"big srv whole over tcp", query{"_big._tcp.example.com.", dns.TypeSRV, "tcp", 0}, dns.RcodeSuccess, 20, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustExchange(t, s.Addr(), tc.q)
			if r.Rcode != tc.rcode {
				t.Errorf("%s: rcode = %s, want %s", tc.q.name, dns.RcodeToString[r.Rcode], dns.RcodeToString[tc.rcode])
			}
			if !r.Authoritative {
				t.Errorf("%s: AA not set", tc.q.name)
			}
			if r.Truncated != tc.truncated {
				t.Errorf("%s: TC = %v, want %v", tc.q.name, r.Truncated, tc.truncated)
			}
			if tc.answers >= 0 && len(r.Answer) != tc.answers {
				t.Errorf("%s: %d answers, want %d:\n%v", tc.q.name, len(r.Answer), tc.answers, r)
			}
			if tc.truncated && len(r.Answer) >= 20 {
				t.Errorf("%s: truncated reply still has %d answers", tc.q.name, len(r.Answer))
			}
			extra := 0
			for _, rr := range r.Extra {
				if rr.Header().Rrtype != dns.TypeOPT {
					extra++
				}
			}
			if extra != tc.extra {
				t.Errorf("%s: %d additional, want %d:\n%v", tc.q.name, extra, tc.extra, r)
			}
			if len(r.Ns) != tc.ns {
				t.Errorf("%s: %d authority, want %d:\n%v", tc.q.name, len(r.Ns), tc.ns, r)
			}
			if (tc.q.edns > 0) != (r.IsEdns0() != nil) {
				t.Errorf("%s: OPT echoed = %v, want %v", tc.q.name, r.IsEdns0() != nil, tc.q.edns > 0)
			}
			if tc.q.net == "udp" && tc.q.edns == 0 {
				r.Compress = true // as the server sent it
				if b, err := r.Pack(); err == nil && len(b) > dns.MinMsgSize {
					t.Errorf("%s: udp reply is %d bytes, over 512", tc.q.name, len(b))
				}
			}
		})
	}
}

func TestReceivedRecordsTransportAndTruncation(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(bigSRV(20)))
	mustExchange(t, s.Addr(), query{"_big._tcp.example.com.", dns.TypeSRV, "udp", 0})
	mustExchange(t, s.Addr(), query{"_big._tcp.example.com.", dns.TypeSRV, "tcp", 0})
	want := []dnsfake.Query{
		{Name: "_big._tcp.example.com.", Type: dns.TypeSRV, Transport: "udp", Truncated: true},
		{Name: "_big._tcp.example.com.", Type: dns.TypeSRV, Transport: "tcp", Truncated: false},
	}
	got := s.Received()
	for i := range got {
		if got[i].At.IsZero() {
			t.Errorf("Received()[%d] has no arrival time", i)
		}
		got[i].At = time.Time{}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Received() = %+v, want %+v", got, want)
	}
}

func TestSameAddrForUDPAndTCP(t *testing.T) {
	s := start(t)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || strings.HasSuffix(s.Addr(), ":0") {
		t.Fatalf("Addr() = %q, want 127.0.0.1:<port>", s.Addr())
	}
	for _, n := range []string{"udp", "tcp"} {
		r := mustExchange(t, s.Addr(), query{"x.example.com.", dns.TypeA, n, 0})
		if r.Rcode != dns.RcodeNameError {
			t.Errorf("%s: rcode %s, want NXDOMAIN", n, dns.RcodeToString[r.Rcode])
		}
	}
}

func TestSetRecordsRepoints(t *testing.T) {
	s := start(t, dnsfake.WithZoneText("_xmpp-server._tcp.example.com. 300 IN SRV 5 0 5269 imp.example.com.\n"))
	q := query{"_xmpp-server._tcp.example.com.", dns.TypeSRV, "udp", 0}
	if got := mustExchange(t, s.Addr(), q).Answer[0].(*dns.SRV).Target; got != "imp.example.com." {
		t.Fatalf("before: target %q", got)
	}
	rrs, err := dnsfake.ParseZone("_xmpp-server._tcp.example.com. 300 IN SRV 5 0 5269 webex.example.net.\n")
	if err != nil {
		t.Fatal(err)
	}
	s.SetRecords(rrs)
	if got := mustExchange(t, s.Addr(), q).Answer[0].(*dns.SRV).Target; got != "webex.example.net." {
		t.Fatalf("after: target %q", got)
	}
}

func TestFaults(t *testing.T) {
	const zone = "a.example.com. 300 IN A 192.0.2.1\n"
	short := 200 * time.Millisecond
	t.Run("NoTCP", func(t *testing.T) {
		s := start(t, dnsfake.WithZoneText(zone), dnsfake.NoTCP())
		if _, err := exchange(t, s.Addr(), query{"a.example.com.", dns.TypeA, "tcp", 0}, short); err == nil {
			t.Error("tcp: want error, got reply")
		}
		mustExchange(t, s.Addr(), query{"a.example.com.", dns.TypeA, "udp", 0})
	})
	t.Run("WithDelay", func(t *testing.T) {
		s := start(t, dnsfake.WithZoneText(zone), dnsfake.WithDelay(time.Hour))
		if _, err := exchange(t, s.Addr(), query{"a.example.com.", dns.TypeA, "udp", 0}, short); err == nil {
			t.Error("want timeout, got reply")
		}
		// Close must cancel the pending hour-long delay.
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Run("DropEvery", func(t *testing.T) {
		s := start(t, dnsfake.WithZoneText(zone), dnsfake.DropEvery(2))
		for i, wantReply := range []bool{true, false, true, false} {
			_, err := exchange(t, s.Addr(), query{"a.example.com.", dns.TypeA, "udp", 0}, short)
			if (err == nil) != wantReply {
				t.Errorf("query %d: err = %v, want reply %v", i+1, err, wantReply)
			}
		}
		if n := len(s.Received()); n != 4 {
			t.Errorf("Received() has %d queries, want 4", n)
		}
	})
	t.Run("WithRcode", func(t *testing.T) {
		s := start(t, dnsfake.WithZoneText(zone), dnsfake.WithRcode("A.example.com", dns.RcodeServerFailure))
		for _, qt := range []uint16{dns.TypeA, dns.TypeSRV} {
			r := mustExchange(t, s.Addr(), query{"a.example.com.", qt, "udp", 0})
			if r.Rcode != dns.RcodeServerFailure || len(r.Answer) != 0 {
				t.Errorf("%s: rcode %s with %d answers, want SERVFAIL and none", dns.TypeToString[qt], dns.RcodeToString[r.Rcode], len(r.Answer))
			}
		}
	})
	t.Run("Garbage", func(t *testing.T) {
		s := start(t, dnsfake.WithZoneText(zone), dnsfake.Garbage())
		for _, n := range []string{"udp", "tcp"} {
			if _, err := exchange(t, s.Addr(), query{"a.example.com.", dns.TypeA, n, 0}, short); err == nil {
				t.Errorf("%s: want unpack error, got a message", n)
			}
		}
		var m dns.Msg
		if err := m.Unpack([]byte(dnsfake.GarbageReply)); err == nil {
			t.Error("GarbageReply unpacks as a DNS message")
		}
	})
	t.Run("NoTruncate", func(t *testing.T) {
		s := start(t, dnsfake.WithZoneText(bigSRV(20)), dnsfake.NoTruncate())
		r := mustExchange(t, s.Addr(), query{"_big._tcp.example.com.", dns.TypeSRV, "udp", 0})
		if r.Truncated || len(r.Answer) != 20 {
			t.Errorf("TC = %v with %d answers, want whole 20-answer reply", r.Truncated, len(r.Answer))
		}
	})
}

func TestOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opt  dnsfake.Option
		want string
	}{
		{"bad zone text names line", dnsfake.WithZoneText("a.example.com. 300 IN A 192.0.2.1\nb.example.com. 300 IN A not-an-ip\n"), "line: 2"},
		{"drop every zero", dnsfake.DropEvery(0), "n must be >= 1"},
		{"negative delay", dnsfake.WithDelay(-time.Second), "negative delay"},
		{"rcode out of range", dnsfake.WithRcode("a.example.com.", 16), "outside 0..15"},
		{"empty addr", dnsfake.WithAddr(""), "empty address"},
		{"bad addr", dnsfake.WithAddr("nonsense"), "listen"},
		{"nil record", dnsfake.WithRecords(nil), "nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := dnsfake.Start(context.Background(), tc.opt)
			if err == nil {
				s.Close()
				t.Fatalf("Start: want error containing %q, got nil", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "dnsfake: ") {
				t.Errorf("Start: error %q, want dnsfake: ... %q", err, tc.want)
			}
		})
	}
}

func TestWithAddrFixedPort(t *testing.T) {
	a := start(t)
	// The port is taken for both transports: a second server must fail.
	if s, err := dnsfake.Start(context.Background(), dnsfake.WithAddr(a.Addr())); err == nil {
		s.Close()
		t.Fatalf("second Start on %s succeeded", a.Addr())
	}
}

func TestCloseIdempotentAndLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, opts := range [][]dnsfake.Option{nil, {dnsfake.NoTCP()}, {dnsfake.WithDelay(time.Hour)}} {
		s, err := dnsfake.Start(context.Background(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		// Leave a delayed query pending in the server.
		exchange(t, s.Addr(), query{"a.example.com.", dns.TypeA, "udp", 0}, 50*time.Millisecond)
		for i := range 3 {
			if err := s.Close(); err != nil {
				t.Errorf("Close #%d: %v", i+1, err)
			}
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

func TestConcurrentQueries(t *testing.T) {
	s := start(t, dnsfake.WithZoneText(testZone), dnsfake.WithZoneText(bigSRV(20)))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			n := []string{"udp", "tcp"}[i%2]
			r, err := exchange(t, s.Addr(), query{"_big._tcp.example.com.", dns.TypeSRV, n, 0}, 5*time.Second)
			if err != nil {
				errs <- err
				return
			}
			if n == "tcp" && len(r.Answer) != 20 {
				errs <- fmt.Errorf("tcp: %d answers", len(r.Answer))
			}
			if i%8 == 0 {
				rrs, _ := dnsfake.ParseZone(bigSRV(20))
				s.SetRecords(rrs)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(s.Received()); n != 64 {
		t.Errorf("Received() has %d queries, want 64", n)
	}
}

// TestREADMEListsOptions keeps README.md in step with the options.
func TestREADMEListsOptions(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"WithAddr(", "WithRecords(", "WithZoneText(", "NoTCP()", "WithDelay(", "DropEvery(", "WithRcode(", "Garbage()", "NoTruncate()"} {
		if !strings.Contains(string(b), name) {
			t.Errorf("README.md does not mention %s", name)
		}
	}
}
