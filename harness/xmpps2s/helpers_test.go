package xmpps2s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/dnsfake"
	"example.com/cutover/harness/pki"
)

// testTimeout bounds every test operation; tests never sleep.
const testTimeout = 10 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func newCA(t testing.TB, name string) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func issue(t testing.TB, ca *pki.CA, domain string) tls.Certificate {
	t.Helper()
	cert, err := ca.Issue(domain, pki.WithDNSNames(domain))
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// dnsWorld is a dnsfake serving the zone text and a client for it.
type dnsWorld struct {
	fake   *dnsfake.Server
	client *dnsclient.Client
}

func startDNS(t testing.TB, zone string) *dnsWorld {
	t.Helper()
	f, err := dnsfake.Start(testCtx(t), dnsfake.WithZoneText(zone))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &dnsWorld{fake: f, client: dnsclient.New(f.Addr(), dnsclient.WithTimeout(2*time.Second))}
}

// dialer resolves host names through the client and dials loopback
// addresses only.
func (w *dnsWorld) dialer() Dialer {
	return loopbackDialer(w.client)
}

func loopbackDialer(r Resolver) Dialer {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, p, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ip, err := netip.ParseAddr(host)
		if err != nil {
			addrs, _, err := r.LookupHost(ctx, host)
			if err != nil {
				return nil, err
			}
			ip = addrs[0]
		}
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("test dialer: %s is not loopback", ip)
		}
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(ip.String(), p))
	}
}

// srvZone publishes domain → 127.0.0.1:port as _xmpp-server._tcp.
func srvZone(domain string, port int) string {
	return fmt.Sprintf("_xmpp-server._tcp.%s. 300 IN SRV 10 0 %d xmpp.%s.\nxmpp.%s. 300 IN A 127.0.0.1\n", domain, port, domain, domain)
}

func start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := Start(testCtx(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pair is a site (example.com, echo user alice) and a partner
// (example.net, user bob) that find each other through one dnsfake.
type pair struct {
	site, partner *Server
	dns           *dnsWorld
}

func newPair(t testing.TB, siteOpts, partnerOpts []Option) *pair {
	return newPairZone(t, nil, siteOpts, partnerOpts)
}

// newPairZone lets zone write the records (nil: srvZone for both); direct
// is the site's direct TLS port when siteOpts start one through the
// listener given to zone.
func newPairZone(t testing.TB, zone func(site, partner, siteDirect int) string, siteOpts, partnerOpts []Option) *pair {
	t.Helper()
	lnSite, lnPartner, lnDirect := listen(t), listen(t), listen(t)
	z := srvZone("example.com", port(lnSite)) + srvZone("example.net", port(lnPartner))
	if zone != nil {
		z = zone(port(lnSite), port(lnPartner), port(lnDirect))
		siteOpts = append([]Option{WithDirectTLSListener(lnDirect)}, siteOpts...)
	}
	w := startDNS(t, z)
	p := &pair{dns: w}
	p.site = start(t, append([]Option{WithDomains("example.com"), WithListener(lnSite), WithEcho("alice"),
		WithDialer(w.dialer()), WithResolver(w.client), WithTimeout(5 * time.Second)}, siteOpts...)...)
	p.partner = start(t, append([]Option{WithDomains("example.net"), WithListener(lnPartner), WithUsers("bob"),
		WithDialer(w.dialer()), WithResolver(w.client), WithTimeout(5 * time.Second)}, partnerOpts...)...)
	return p
}

func trustedPair(t testing.TB, siteOpts, partnerOpts []Option) *pair {
	ca := newCA(t, "Example Test Root")
	return newPair(t,
		append([]Option{WithCertificate(issue(t, ca, "example.com")), WithRoots(ca.Pool())}, siteOpts...),
		append([]Option{WithCertificate(issue(t, ca, "example.net")), WithRoots(ca.Pool())}, partnerOpts...))
}

// untrustedPair: each side trusts a root the other's certificate does not
// chain to, so only dialback can authenticate.
func untrustedPair(t testing.TB, siteOpts, partnerOpts []Option) *pair {
	siteCA, partnerCA, other := newCA(t, "Site Root"), newCA(t, "Partner Root"), newCA(t, "Unrelated Root")
	return newPair(t,
		append([]Option{WithCertificate(issue(t, siteCA, "example.com")), WithRoots(other.Pool())}, siteOpts...),
		append([]Option{WithCertificate(issue(t, partnerCA, "example.net")), WithRoots(other.Pool())}, partnerOpts...))
}

func (p *pair) probe(t testing.TB, body string) (*Result, error) {
	t.Helper()
	return p.partner.Probe(testCtx(t), ProbeMessage{From: "bob@example.net", To: "alice@example.com", Body: body})
}

// mapResolver answers from tables, for resolution unit tests.
type mapResolver struct {
	mu    sync.Mutex
	srv   map[string][]dnsclient.SRV
	srvEr map[string]error
	hosts map[string][]netip.Addr
	asked []string
}

func (m *mapResolver) LookupSRV(_ context.Context, name string) ([]dnsclient.SRV, *dnsclient.Answer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = strings.TrimSuffix(name, ".")
	m.asked = append(m.asked, "SRV "+name)
	if err := m.srvEr[name]; err != nil {
		return m.srv[name], nil, err
	}
	if rs, ok := m.srv[name]; ok {
		if len(rs) == 1 && rs[0].Target == "." {
			return rs, nil, fmt.Errorf("%s: %w", name, dnsclient.ErrServiceAbsent)
		}
		return rs, nil, nil
	}
	return nil, nil, fmt.Errorf("%s: %w", name, dnsclient.ErrNXDomain)
}

func (m *mapResolver) LookupHost(_ context.Context, host string) ([]netip.Addr, []string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	host = strings.TrimSuffix(host, ".")
	m.asked = append(m.asked, "A/AAAA "+host)
	if a, ok := m.hosts[host]; ok {
		return a, nil, nil
	}
	return nil, nil, fmt.Errorf("%s: %w", host, dnsclient.ErrNXDomain)
}

func pemCert(c tls.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})
}

func pemKey(t testing.TB, c tls.Certificate) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func utf8Valid(s string) bool { return utf8.ValidString(s) }
