package target

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/time/rate"

	"example.com/cutover/harness/dnsfake"
	"example.com/cutover/harness/pki"
)

// rogueEdge is an Expressway-E on loopback that refuses every credential
// with 401 and counts the ones it received, by user.
type rogueEdge struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen map[string]int
}

func newRogueEdge(t *testing.T, ca *pki.CA) *rogueEdge {
	t.Helper()
	cert, err := ca.Issue("expe1.example.com", pki.WithDNSNames("expe1.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	r := &rogueEdge{seen: map[string]int{}}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if u, _, ok := req.BasicAuth(); ok {
			r.mu.Lock()
			r.seen[u]++
			r.mu.Unlock()
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="Cisco-Edge"`)
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	r.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	r.srv.StartTLS()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rogueEdge) count(user string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[user]
}

// rogueSite is a lab site whose Expressway-E is the rogue, reached by
// name through a loopback DNS fake and connect_to.
func rogueSite(t *testing.T, edge *rogueEdge, ca *pki.CA) *Site {
	t.Helper()
	rr, err := dns.NewRR("expe1.example.com. 300 IN A 127.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := dnsfake.Start(context.Background(), dnsfake.WithRecords(rr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return &Site{
		Name:       "rogue",
		Kind:       KindLab,
		Domains:    Domains{Services: "example.com", VoiceServices: []string{"example.com"}},
		Vantage:    Vantages{Inside: Vantage{Resolver: d.Addr()}, Outside: Vantage{Resolver: d.Addr()}},
		Expressway: Expressway{Edge: []string{"expe1.example.com"}},
		Users:      []User{{Username: "alice", Email: "alice@example.com", Password: "alice-s3cret"}},
		ConnectTo:  []ConnectTo{{From: "127.0.2.1:8443", To: edge.srv.Listener.Addr().String()}},
		Roots:      ca.Pool(),
		Limits:     Limits{MaxAuthFailures: 2, Timeout: Duration(5e9)},
	}
}

func basicGet(ctx context.Context, t *Target, url, user, pw string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(user, pw)
	resp, err := t.HTTPClient(Outside).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// TestRefusedCredentialSentOnce: an Expressway-E that refuses the test
// user's password receives it once per process; every later use is
// ErrCredentialRefused (a check that could not test), across repeats.
func TestRefusedCredentialSentOnce(t *testing.T) {
	ca, _ := pki.NewCA("test")
	edge := newRogueEdge(t, ca)
	tg := New(rogueSite(t, edge, ca))
	ctx := context.Background()
	const url = "https://expe1.example.com:8443/ZXhhbXBsZS5jb20/get_edge_config"
	if err := basicGet(ctx, tg, url, "alice", "alice-s3cret"); !errors.Is(err, ErrCredentialRefused) || !strings.Contains(err.Error(), "answered 401") {
		t.Fatalf("first use: want the refusal reported as ErrCredentialRefused, got %v", err)
	}
	for i := 0; i < 5; i++ { // the other checks, and repeats
		err := basicGet(ctx, tg, url, "alice", "alice-s3cret")
		if !errors.Is(err, ErrCredentialRefused) || !errors.Is(err, ErrNotTested) {
			t.Fatalf("use %d after the refusal: want ErrCredentialRefused, got %v", i+2, err)
		}
	}
	if n := edge.count("alice"); n != 1 {
		t.Fatalf("the edge received alice's password %d times, want 1", n)
	}
}

// TestRefusedCredentialSideBySide: checks side by side cannot send a
// credential again before the first refusal is known, nor pass
// max_auth_failures together: eight sends of alice's password at once
// reach the edge once, five users' at once reach it max_auth_failures (2)
// times, and every other send could not test.
func TestRefusedCredentialSideBySide(t *testing.T) {
	ca, _ := pki.NewCA("test")
	edge := newRogueEdge(t, ca)
	tg := New(rogueSite(t, edge, ca))
	ctx := context.Background()
	const url = "https://expe1.example.com:8443/ZXhhbXBsZS5jb20/get_edge_config"
	side := func(users ...string) []error {
		errs := make([]error, len(users))
		var wg sync.WaitGroup
		for i, u := range users {
			wg.Go(func() { errs[i] = basicGet(ctx, tg, url, u, u+"-s3cret") })
		}
		wg.Wait()
		return errs
	}
	for i, err := range side("alice", "alice", "alice", "alice", "alice", "alice", "alice", "alice") {
		if !errors.Is(err, ErrCredentialRefused) {
			t.Fatalf("send %d of alice's password: %v, want ErrCredentialRefused", i+1, err)
		}
	}
	if n := edge.count("alice"); n != 1 {
		t.Fatalf("the edge received alice's password %d times, want 1", n)
	}
	for i, err := range side("bob", "carol", "dave", "erin", "frank") {
		if !errors.Is(err, ErrNotTested) {
			t.Fatalf("send %d: %v, want a reason the suite could not test", i+1, err)
		}
	}
	total := 0
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin", "frank"} {
		total += edge.count(u)
	}
	if total != 2 {
		t.Fatalf("the edge saw %d refused credentials in all, want max_auth_failures (2)", total)
	}
}

// TestCredentialUse: a credential the host accepted goes out side by
// side without waiting; one not yet accepted waits for the one in flight,
// unless the same sender holds it; a wait ends with the context.
func TestCredentialUse(t *testing.T) {
	g := newAuthGuard(Limits{MaxAuthFailures: 1}, "", time.Now)
	ctx := context.Background()
	first, err := g.use(ctx, "ucm1.example.com", "alice")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.use(short, "ucm1.example.com:8443", "bob"); !errors.Is(err, ErrNotTested) || !errors.Is(err, context.Canceled) {
		t.Fatalf("bob while alice's first send is in flight (max 1): %v, want a wait that ends with the context", err)
	}
	first.Accepted()
	first.Refused("later") // settled once: nothing more
	if g.failuresLocked("ucm1.example.com") != 0 {
		t.Fatal("a second settle of one use counted")
	}
	a1, err := g.use(ctx, "UCM1.example.com.", "alice")
	if err != nil {
		t.Fatal(err)
	}
	a2, err := g.use(ctx, "ucm1.example.com", "alice")
	if err != nil {
		t.Fatalf("an accepted credential side by side: %v", err)
	}
	a1.Done()
	a2.Done()
	s := new(int)
	held, err := g.use(WithSender(ctx, s), "idp.example.com", "alice")
	if err != nil {
		t.Fatal(err)
	}
	own, err := g.use(WithSender(ctx, s), "idp.example.com", "webex-client")
	if err != nil {
		t.Fatalf("a sender's own request waited for its own send in flight: %v", err)
	}
	own.Accepted()
	held.Refused("login form came back")
	if _, err := g.use(ctx, "idp.example.com", "bob"); !errors.Is(err, ErrSafetyLimit) {
		t.Fatalf("past max_auth_failures: %v, want ErrSafetyLimit", err)
	}

	// Two sign-ins side by side hold the two places (max 2) on one host
	// and a failure lands there: each one's own next request goes on
	// under its place instead of waiting for the other's.
	g = newAuthGuard(Limits{MaxAuthFailures: 3}, "", time.Now)
	sa, sb := new(int), new(int)
	pa, err := g.use(WithSender(ctx, sa), "ucm1.example.com", "alice")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := g.use(WithSender(ctx, sb), "ucm1.example.com", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.probe(ctx, "ucm1.example.com"); err != nil {
		t.Fatalf("a probe within the budget (0 failures + 2 in flight + 1 < 3): %v", err)
	}
	for _, s := range []*int{sa, sb} {
		u, err := g.use(WithSender(short, s), "ucm1.example.com", "client-id")
		if err != nil {
			t.Fatalf("a sign-in's own request while both places are held: %v", err)
		}
		u.Accepted()
	}
	// A probe waits for the sends in flight that stand in its way (1
	// failure + 2 in flight + 1 > 3).
	if err := g.probe(short, "ucm1.example.com"); !errors.Is(err, ErrNotTested) || !errors.Is(err, context.Canceled) {
		t.Fatalf("a probe past the budget with sends in flight: %v, want a wait that ends with the context", err)
	}
	pa.Accepted()
	pb.Accepted()
	if err := g.probe(ctx, "ucm1.example.com"); err != nil {
		t.Fatalf("a probe once the sends are answered (1 failure + 1 <= 3): %v", err)
	}

	// Under a sender's place its own send is still on the wire: another
	// sender waits for its answer rather than send the same credential.
	g = newAuthGuard(Limits{MaxAuthFailures: 3}, "", time.Now)
	pa, _ = g.use(WithSender(ctx, sa), "ucm1.example.com", "alice")
	pb, _ = g.use(WithSender(ctx, sb), "ucm1.example.com", "bob")
	ca, err := g.use(WithSender(ctx, sa), "ucm1.example.com", "client-id")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.use(WithSender(short, sb), "ucm1.example.com", "client-id"); !errors.Is(err, context.Canceled) {
		t.Fatalf("the same credential from another sender while one is on the wire: %v, want a wait", err)
	}
	ca.Refused("401")
	if _, err := g.use(WithSender(ctx, sb), "ucm1.example.com", "client-id"); !errors.Is(err, ErrCredentialRefused) {
		t.Fatalf("after its refusal: %v, want ErrCredentialRefused", err)
	}
	pa.Done()
	pb.Done()
}

// TestProbeRetriedAfterACutWait: a probe whose wait for the sends in
// flight was cut short by its caller's context is not kept as the probe's
// answer: the next caller sends it.
func TestProbeRetriedAfterACutWait(t *testing.T) {
	tg := New(&Site{Limits: Limits{MaxAuthFailures: 1, Timeout: Duration(5e9)}})
	ctx := context.Background()
	held, err := tg.UseCredential(ctx, "expe1.example.com", "alice")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithCancel(ctx)
	cancel()
	sent := 0
	probe := func(ctx context.Context) (int, error) {
		return Probe(ctx, tg, "expe1.example.com", "bad user", func(context.Context) (int, error) { sent++; return sent, nil })
	}
	if _, err := probe(short); !errors.Is(err, ErrNotTested) {
		t.Fatalf("a probe while alice's send takes the only place: %v, want a wait cut short", err)
	}
	held.Accepted()
	if n, err := probe(ctx); err != nil || n != 1 {
		t.Fatalf("the probe once the send is answered: %d, %v; want it sent once", n, err)
	}
	if n, err := probe(ctx); err != nil || n != 1 || sent != 1 {
		t.Fatalf("a repeat: %d, %v (sent %d); want the first answer again", n, err, sent)
	}
}

// TestProbesAcrossProcesses: six processes in a row (six Targets sharing
// the state file) send at most max_auth_failures probes in the window.
func TestProbesAcrossProcesses(t *testing.T) {
	ca, _ := pki.NewCA("test")
	edge := newRogueEdge(t, ca)
	site := rogueSite(t, edge, ca)
	dir := t.TempDir()
	var refused atomic.Int32
	for run := 0; run < 6; run++ {
		tg := New(site, WithAuthState(dir))
		_, err := Probe(context.Background(), tg, "expe1.example.com", "bad credentials", func(ctx context.Context) (struct{}, error) {
			return struct{}{}, basicGet(ctx, tg, "https://expe1.example.com:8443/x/get_edge_config", "cutover-no-such-user", "wrong")
		})
		if errors.Is(err, ErrSafetyLimit) {
			refused.Add(1)
		} else if err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
	}
	if n := edge.count("cutover-no-such-user"); n != 2 {
		t.Fatalf("six runs sent %d probes, want max_auth_failures = 2", n)
	}
	if refused.Load() != 4 {
		t.Fatalf("%d runs were refused the probe, want 4", refused.Load())
	}
	if err := ResetAuthState(dir, site); err != nil {
		t.Fatal(err)
	}
	if _, err := Probe(context.Background(), New(site, WithAuthState(dir)), "expe1.example.com", "bad credentials",
		func(context.Context) (struct{}, error) { return struct{}{}, nil }); err != nil {
		t.Fatalf("after --reset-auth-budget: %v", err)
	}
}

// TestSiteBoundary: an IP literal or a foreign name is never dialled, and
// credentials go only over TLS to hosts the target names.
func TestSiteBoundary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	var rrs []dns.RR
	for _, r := range []string{"ucm1.example.com. 300 IN A 127.0.1.1", "ucm9.example.com. 300 IN A 127.0.1.9"} {
		rr, _ := dns.NewRR(r)
		rrs = append(rrs, rr)
	}
	d, err := dnsfake.Start(context.Background(), dnsfake.WithRecords(rrs...))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tg := New(&Site{Domains: Domains{Services: "example.com"}, UCM: []Cluster{{Name: "a", Nodes: []string{"ucm1.example.com"}}},
		Vantage: Vantages{Inside: Vantage{Resolver: d.Addr()}}, Limits: Limits{Timeout: Duration(2e9)}})
	ctx := context.Background()
	for _, addr := range []string{ln.Addr().String(), "203.0.113.7:8443", "ucm1.example.net:8443", "[::1]:8443"} {
		_, err := tg.DialContext(Inside)(ctx, "tcp", addr)
		if !errors.Is(err, ErrOutsideSite) {
			t.Errorf("dial %s: want ErrOutsideSite, got %v", addr, err)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("the loopback listener saw %d connections", n)
	}
	for _, tc := range []struct{ url, want string }{
		{"http://ucm1.example.com:8080/cucm-uds/user/alice", "only over verified TLS"},
		{"https://ucm9.example.com:8443/cucm-uds/user/alice", "not named in the target"},
	} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, tc.url, nil)
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("alice:pw")))
		_, err := tg.HTTPClient(Inside).Do(req)
		if !errors.Is(err, ErrCredentialPolicy) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("GET %s with credentials: want ErrCredentialPolicy (%s), got %v", tc.url, tc.want, err)
		}
	}
}

// TestRateLimitCountsPackets: every datagram counts (A and AAAA apart, the
// TCP retry too): each packet the DNS server sees went through the rate
// limit, whose rate is limits.rps with bursts of 1, per host and in all,
// so no second holds more than limits.rps of them. Counted, not timed:
// the server's arrival times carry the scheduler's jitter (a packet late
// by a millisecond moves the next second's into this one), which a test
// must not judge; the limiter's spacing is golang.org/x/time/rate's.
func TestRateLimitCountsPackets(t *testing.T) {
	var rrs []dns.RR
	for i := 0; i < 40; i++ { // large enough to be truncated over UDP
		rr, _ := dns.NewRR("_cisco-uds._tcp.example.com. 300 IN SRV 10 50 8443 ucm" + strings.Repeat("x", 30) + ".example.com.")
		rrs = append(rrs, rr)
	}
	a, _ := dns.NewRR("ucm1.example.com. 300 IN A 127.0.1.1")
	d, err := dnsfake.Start(context.Background(), dnsfake.WithRecords(append(rrs, a)...))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const rps = 4
	tg := New(&Site{Vantage: Vantages{Inside: Vantage{Resolver: d.Addr()}}, Limits: Limits{RPS: rps, Timeout: Duration(5e9)}})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, _, err := tg.LookupHost(ctx, Inside, "ucm1.example.com"); err != nil { // A and AAAA
			t.Fatal(err)
		}
		if _, _, err := tg.LookupSRV(ctx, Inside, "_cisco-uds._tcp.example.com"); err != nil { // UDP, then TCP
			t.Fatal(err)
		}
	}
	if got := len(d.Received()); got != 12 {
		t.Fatalf("the server saw %d queries, want 12 (each datagram and connection)", got)
	}
	paced := 0
	for _, c := range tg.Contacts() {
		paced += c.Sent
	}
	if paced != 12 {
		t.Fatalf("the rate limit paced %d packets, the server saw 12: some went around it", paced)
	}
	l := tg.limit
	l.mu.Lock()
	defer l.mu.Unlock()
	limiters := []*rate.Limiter{l.total}
	for _, h := range l.hosts {
		limiters = append(limiters, h.rate)
	}
	for _, r := range limiters {
		if r == nil || r.Limit() != rps || r.Burst() != 1 {
			t.Fatalf("a rate limiter of %v, want limits.rps (%d) with bursts of 1", r, rps)
		}
	}
}

// TestCredentialToOtherProtocols: a check speaking SIP or XMPP itself asks
// CredentialTo before a token goes out: only over TLS schemes, only to a
// host the target names.
func TestCredentialToOtherProtocols(t *testing.T) {
	s := &Site{
		Domains: Domains{Services: "example.com"},
		UCM:     []Cluster{{Name: "a", Nodes: []string{"ucm1.example.com"}}},
	}
	tg := New(s)
	for _, tc := range []struct {
		scheme, host string
		ok           bool
	}{
		{"sips", "ucm1.example.com", true},
		{"xmpps", "UCM1.example.com.", true},
		{"https", "ucm1.example.com", true},
		{"sip", "ucm1.example.com", false},  // plain SIP
		{"xmpp", "ucm1.example.com", false}, // before STARTTLS
		{"sips", "ucm9.example.com", false}, // under the domain, not named
		{"sips", "192.0.2.10", false},       // an address the site handed over
		{"sips", "sip.example.net", false},  // foreign
	} {
		err := tg.CredentialTo(tc.scheme, tc.host)
		if (err == nil) != tc.ok || err != nil && !errors.Is(err, ErrCredentialPolicy) {
			t.Errorf("CredentialTo(%s, %s) = %v, want ok=%v", tc.scheme, tc.host, err, tc.ok)
		}
	}
}

// TestPaceSharesTheBudget: Pace draws on the same per-host budget as the
// Target's own DNS and HTTP: with rps 1, the second message to a host
// waits, and a context that cannot wait that long gets an error.
func TestPaceSharesTheBudget(t *testing.T) {
	tg := New(&Site{Limits: Limits{RPS: 1, Timeout: Duration(5e9)}})
	ctx := context.Background()
	if err := tg.Pace(ctx, "ucm1.example.com"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithCancel(ctx)
	cancel()
	if err := tg.Pace(short, "ucm1.example.com"); err == nil {
		t.Fatal("a second message within the second went out at once")
	}
}

// TestInsecureSendsNoCredential: with TLS verification turned off, no
// credential goes anywhere, over any protocol, and the target says so.
func TestInsecureSendsNoCredential(t *testing.T) {
	a, _ := dns.NewRR("ucm1.example.com. 300 IN A 127.0.1.1")
	d, err := dnsfake.Start(context.Background(), dnsfake.WithRecords(a))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s := &Site{Domains: Domains{Services: "example.com"}, UCM: []Cluster{{Name: "a", Nodes: []string{"ucm1.example.com"}}},
		TLS: TLS{InsecureSkipVerify: true}, Vantage: Vantages{Inside: Vantage{Resolver: d.Addr()}}, Limits: Limits{Timeout: Duration(5e9)}}
	tg := New(s)
	if err := tg.CredentialTo("https", "ucm1.example.com"); !errors.Is(err, ErrCredentialPolicy) || !strings.Contains(err.Error(), "TLS verification is off") {
		t.Errorf("credential over unverified TLS: %v", err)
	}
	if !tg.TLSConfig("ucm1.example.com").InsecureSkipVerify || !strings.HasPrefix(tg.TLSVerification(), "OFF") {
		t.Error("the opt-out does not reach the TLS configuration or the reports")
	}
	req, _ := http.NewRequest(http.MethodGet, "https://ucm1.example.com:8443/cucm-uds/user/alice/devices", nil)
	req.SetBasicAuth("alice", "pw")
	if _, err := tg.HTTPClient(Inside).Do(req); !errors.Is(err, ErrCredentialPolicy) {
		t.Errorf("HTTP with a credential over unverified TLS: %v", err)
	}
}

// TestRequestBudgetPerHost: past limits.max_requests_per_host nothing more
// goes to that host (the check could not test, ErrSafetyLimit), other
// hosts keep theirs, and Contacts records what went where.
func TestRequestBudgetPerHost(t *testing.T) {
	tg := New(&Site{Limits: Limits{MaxRequestsPerHost: 3, MaxAuthFailures: 2, Timeout: Duration(5e9)}})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := tg.Pace(ctx, "ucm1.example.com"); err != nil {
			t.Fatal(err)
		}
	}
	err := tg.Pace(ctx, "UCM1.example.com.")
	if !errors.Is(err, ErrSafetyLimit) || !errors.Is(err, ErrNotTested) {
		t.Fatalf("the 4th packet to ucm1: %v, want ErrSafetyLimit", err)
	}
	if err := tg.Pace(ctx, "ucm2.example.com"); err != nil {
		t.Fatalf("another host: %v", err)
	}
	if _, err := tg.UseCredential(ctx, "ucm2.example.com", "alice"); err != nil {
		t.Fatal(err)
	}
	want := []Contact{{Host: "ucm1.example.com", Sent: 3}, {Host: "ucm2.example.com", Sent: 1, Credentials: 1}}
	if got := tg.Contacts(); !slices.Equal(got, want) {
		t.Fatalf("contacts %+v, want %+v", got, want)
	}
}
