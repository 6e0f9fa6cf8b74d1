package xmpps2s

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/dnsclient"
)

func srv(target string, port, prio, weight uint16) dnsclient.SRV {
	return dnsclient.SRV{Target: target, Port: port, Priority: prio, Weight: weight}
}

func seeded(n uint64) *rand.Rand { return rand.New(rand.NewPCG(n, n^0x5eed)) }

func cands(cs []Candidate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s/%s", c.Addr(), c.Mode()))
	}
	return out
}

func TestResolve(t *testing.T) {
	loop := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	servfail := &dnsclient.RcodeError{Rcode: 2}
	cases := []struct {
		name     string
		srv      map[string][]dnsclient.SRV
		srvErr   map[string]error
		hosts    map[string][]netip.Addr
		want     []string
		fallback bool
		err      error
	}{
		{
			name: "xmpp-server only",
			srv:  map[string][]dnsclient.SRV{"_xmpp-server._tcp.example.com": {srv("xmpp.example.com.", 5269, 10, 0)}},
			want: []string{"xmpp.example.com:5269/starttls"},
		},
		{
			name: "priorities of both services merged",
			srv: map[string][]dnsclient.SRV{
				"_xmpps-server._tcp.example.com": {srv("tls.example.com.", 5270, 20, 0), srv("tls0.example.com.", 5270, 5, 0)},
				"_xmpp-server._tcp.example.com":  {srv("a.example.com.", 5269, 10, 0), srv("b.example.com.", 5269, 30, 0)},
			},
			want: []string{"tls0.example.com:5270/direct-tls", "a.example.com:5269/starttls", "tls.example.com:5270/direct-tls", "b.example.com:5269/starttls"},
		},
		{
			name: "dot for xmpps-server, records for xmpp-server: those are used",
			srv: map[string][]dnsclient.SRV{
				"_xmpps-server._tcp.example.com": {srv(".", 0, 0, 0)},
				"_xmpp-server._tcp.example.com":  {srv("xmpp.example.com.", 5269, 10, 0)},
			},
			want: []string{"xmpp.example.com:5269/starttls"},
		},
		{
			name:  "dot for xmpp-server: no service, no fallback",
			srv:   map[string][]dnsclient.SRV{"_xmpp-server._tcp.example.com": {srv(".", 0, 0, 0)}},
			hosts: map[string][]netip.Addr{"example.com": loop},
			err:   ErrServiceAbsent,
		},
		{
			name:  "dot for xmpps-server, nothing else: no fallback (XEP-0368 §5)",
			srv:   map[string][]dnsclient.SRV{"_xmpps-server._tcp.example.com": {srv(".", 0, 0, 0)}},
			hosts: map[string][]netip.Addr{"example.com": loop},
			err:   ErrServiceAbsent,
		},
		{
			name:     "no SRV at all: A/AAAA on 5269",
			hosts:    map[string][]netip.Addr{"example.com": loop},
			want:     []string{"example.com:5269/starttls"},
			fallback: true,
		},
		{
			name:     "NODATA counts as no SRV",
			srvErr:   map[string]error{"_xmpp-server._tcp.example.com": dnsclient.ErrNoData},
			hosts:    map[string][]netip.Addr{"example.com": loop},
			want:     []string{"example.com:5269/starttls"},
			fallback: true,
		},
		{
			name: "no SRV and no address",
			err:  ErrNoAddress,
		},
		{
			name:   "SERVFAIL is not an absence: no fallback",
			srvErr: map[string]error{"_xmpp-server._tcp.example.com": servfail},
			hosts:  map[string][]netip.Addr{"example.com": loop},
			err:    ErrResolve,
		},
		{
			name:   "SERVFAIL on xmpps-server, records on xmpp-server: used",
			srv:    map[string][]dnsclient.SRV{"_xmpp-server._tcp.example.com": {srv("xmpp.example.com.", 5269, 10, 0)}},
			srvErr: map[string]error{"_xmpps-server._tcp.example.com": servfail},
			want:   []string{"xmpp.example.com:5269/starttls"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &mapResolver{srv: tc.srv, srvEr: tc.srvErr, hosts: tc.hosts}
			res, err := Resolve(context.Background(), r, "example.com", seeded(1))
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				if len(res.Candidates) != 0 || res.Fallback {
					t.Fatalf("candidates %v fallback %v with error", res.Candidates, res.Fallback)
				}
				if errors.Is(tc.err, ErrServiceAbsent) || errors.Is(tc.err, ErrResolve) {
					for _, q := range r.asked {
						if strings.HasPrefix(q, "A/AAAA") {
							t.Errorf("asked %s: no fallback lookup may be made", q)
						}
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v\n%s", err, res.Evidence())
			}
			if got := cands(res.Candidates); !slices.Equal(got, tc.want) {
				t.Errorf("candidates %v, want %v", got, tc.want)
			}
			if res.Fallback != tc.fallback {
				t.Errorf("fallback %v, want %v", res.Fallback, tc.fallback)
			}
			if !slices.Equal(r.asked[:2], []string{"SRV _xmpps-server._tcp.example.com", "SRV _xmpp-server._tcp.example.com"}) {
				t.Errorf("asked %v", r.asked)
			}
		})
	}
}

// TestResolveWeights checks that weights are drawn over both services
// together at one priority (XEP-0368 §3 rule 1) with dnsclient.Order's
// RFC 2782 draw: reproducible for a seed, and roughly proportional.
func TestResolveWeights(t *testing.T) {
	r := &mapResolver{srv: map[string][]dnsclient.SRV{
		"_xmpps-server._tcp.example.com": {srv("direct.example.com.", 5270, 10, 30)},
		"_xmpp-server._tcp.example.com":  {srv("heavy.example.com.", 5269, 10, 60), srv("light.example.com.", 5269, 10, 10), srv("backup.example.com.", 5269, 20, 100)},
	}}
	first := map[string]int{}
	rnd := seeded(7)
	for range 2000 {
		res, err := Resolve(context.Background(), r, "example.com", rnd)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(res.Candidates); n != 4 || res.Candidates[3].Host != "backup.example.com" {
			t.Fatalf("want 4 candidates with the priority-20 one last, got %v", cands(res.Candidates))
		}
		first[res.Candidates[0].Host]++
	}
	// Expected shares 60/100, 30/100, 10/100 of 2000, give or take.
	for host, want := range map[string]int{"heavy.example.com": 1200, "direct.example.com": 600, "light.example.com": 200} {
		if got := first[host]; got < want*7/10 || got > want*13/10 {
			t.Errorf("%s first %d times of 2000, want about %d", host, got, want)
		}
	}
	a, _ := Resolve(context.Background(), r, "example.com", seeded(42))
	b, _ := Resolve(context.Background(), r, "example.com", seeded(42))
	if !slices.Equal(cands(a.Candidates), cands(b.Candidates)) {
		t.Errorf("same seed, different order: %v vs %v", cands(a.Candidates), cands(b.Candidates))
	}
}

func TestResolveBadDomain(t *testing.T) {
	for _, d := range []string{"", "user@example.com", "example.com/res", "exa mple.com", "a@b@c"} {
		if _, err := Resolve(context.Background(), &mapResolver{}, d, nil); !errors.Is(err, ErrJID) {
			t.Errorf("Resolve(%q) = %v, want ErrJID", d, err)
		}
	}
}

// TestConnectNoFallback: when every SRV target fails, Connect reports
// each attempt and never dials the domain's own address.
func TestConnectNoFallback(t *testing.T) {
	dead := listen(t)
	deadAddr := dead.Addr().String()
	dead.Close() // nothing listens there any more
	_, deadPort, _ := net.SplitHostPort(deadAddr)
	var dialled []string
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialled = append(dialled, addr)
		host, _, _ := net.SplitHostPort(addr)
		if host == "example.com" {
			t.Errorf("dialled the domain itself: %s", addr)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, "127.0.0.1:"+deadPort)
	}
	r := &mapResolver{
		srv: map[string][]dnsclient.SRV{"_xmpp-server._tcp.example.com": {
			srv("a.example.com.", 5269, 10, 0), srv("b.example.com.", 5269, 20, 0), srv("ghost.example.com.", 5269, 30, 0)}},
		hosts: map[string][]netip.Addr{
			"a.example.com": {netip.MustParseAddr("127.0.0.1")}, "b.example.com": {netip.MustParseAddr("127.0.0.1")},
			"example.com": {netip.MustParseAddr("127.0.0.1")}},
	}
	res, err := Resolve(context.Background(), r, "example.com", seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	_, _, attempts, err := Connect(testCtx(t), dial, r, res, time.Second, func() time.Time { return now })
	if !errors.Is(err, ErrConnect) {
		t.Fatalf("err = %v, want ErrConnect", err)
	}
	if len(attempts) != 3 || !slices.Equal(dialled, []string{"a.example.com:5269", "b.example.com:5269"}) {
		t.Fatalf("attempts %v dialled %v", attempts, dialled)
	}
	if !strings.Contains(attempts[2].Err.Error(), "does not resolve") {
		t.Errorf("ghost target: %v", attempts[2].Err)
	}
}

func TestConnectFirstThatAnswers(t *testing.T) {
	live := listen(t)
	go func() {
		c, err := live.Accept()
		if err == nil {
			c.Close()
		}
	}()
	dead := listen(t)
	deadAddr := dead.Addr().String()
	dead.Close()
	loop := []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	r := &mapResolver{hosts: map[string][]netip.Addr{"a.example.com": loop, "b.example.com": loop}}
	res := &Resolution{Domain: "example.com", Candidates: []Candidate{{Host: "a.example.com", Port: 1}, {Host: "b.example.com", Port: 2}}}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		if strings.HasPrefix(addr, "a.") {
			return d.DialContext(ctx, network, deadAddr)
		}
		return d.DialContext(ctx, network, live.Addr().String())
	}
	c, cand, attempts, err := Connect(testCtx(t), dial, r, res, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if cand.Host != "b.example.com" || len(attempts) != 2 || attempts[0].Err == nil || attempts[1].Err != nil {
		t.Fatalf("connected %v attempts %v", cand, attempts)
	}
}
