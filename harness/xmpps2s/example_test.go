package xmpps2s_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"time"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/dnsfake"
	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/xmpps2s"
)

// Resolve merges _xmpps-server and _xmpp-server by priority; the weights
// of one priority are drawn over both (XEP-0368 §3), here with a seed.
func ExampleResolve() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dns, err := dnsfake.Start(ctx, dnsfake.WithZoneText(`$ORIGIN example.com.
_xmpps-server._tcp 300 IN SRV 5 0 5270 edge1
_xmpp-server._tcp  300 IN SRV 10 0 5269 edge1
_xmpp-server._tcp  300 IN SRV 20 0 5269 imp1
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer dns.Close()
	res, err := xmpps2s.Resolve(ctx, dnsclient.New(dns.Addr()), "example.com", rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Candidates {
		fmt.Println(c)
	}
	// Output:
	// edge1.example.com:5270 direct-tls (_xmpps-server._tcp priority 5 weight 0)
	// edge1.example.com:5269 starttls (_xmpp-server._tcp priority 10 weight 0)
	// imp1.example.com:5269 starttls (_xmpp-server._tcp priority 20 weight 0)
}

// A partner (example.net) sends a 1:1 message to a site user
// (alice@example.com) and waits for her echo, which the site sends back
// over its own stream to example.net: the proof of delivery.
func ExampleServer_Probe() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ca, _ := pki.NewCA("Example Test Root")
	siteCert, _ := ca.Issue("example.com", pki.WithDNSNames("example.com"))
	partnerCert, _ := ca.Issue("example.net", pki.WithDNSNames("example.net"))
	siteLn, _ := net.Listen("tcp", "127.0.0.1:0")
	partnerLn, _ := net.Listen("tcp", "127.0.0.1:0")
	dns, err := dnsfake.Start(ctx, dnsfake.WithZoneText(fmt.Sprintf(`
_xmpp-server._tcp.example.com. 300 IN SRV 10 0 %d xmpp.example.com.
xmpp.example.com.              300 IN A   127.0.0.1
_xmpp-server._tcp.example.net. 300 IN SRV 10 0 %d xmpp.example.net.
xmpp.example.net.              300 IN A   127.0.0.1
`, siteLn.Addr().(*net.TCPAddr).Port, partnerLn.Addr().(*net.TCPAddr).Port)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer dns.Close()
	resolver := dnsclient.New(dns.Addr())
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		ips, _, err := resolver.LookupHost(ctx, host)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort(ips[0].String(), port))
	}
	site, err := xmpps2s.Start(ctx, xmpps2s.WithDomains("example.com"), xmpps2s.WithListener(siteLn),
		xmpps2s.WithCertificate(siteCert), xmpps2s.WithRoots(ca.Pool()), xmpps2s.WithEcho("alice"),
		xmpps2s.RefuseGroupchat(), xmpps2s.WithDialer(dial), xmpps2s.WithResolver(resolver))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer site.Close()
	partner, err := xmpps2s.Start(ctx, xmpps2s.WithDomains("example.net"), xmpps2s.WithListener(partnerLn),
		xmpps2s.WithCertificate(partnerCert), xmpps2s.WithRoots(ca.Pool()), xmpps2s.WithUsers("bob"),
		xmpps2s.WithDialer(dial), xmpps2s.WithResolver(resolver))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer partner.Close()

	r, err := partner.Probe(ctx, xmpps2s.ProbeMessage{From: "bob@example.net", To: "alice@example.com", Body: "hello"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("tls:", r.TLS, "identity:", r.Identity, "auth:", r.Auth)
	fmt.Println("reply:", r.Reply.From, r.Reply.Body)

	_, err = partner.Probe(ctx, xmpps2s.ProbeMessage{From: "bob@example.net", To: "alice@example.com", Type: "groupchat"})
	fmt.Println("groupchat:", err)
	// Output:
	// tls: starttls identity: DNS-ID example.com auth: external
	// reply: alice@example.com echo: hello
	// groupchat: xmpps2s: probe bob@example.net → alice@example.com: xmpps2s: stanza error <service-unavailable/> type cancel: groupchat is not supported here, 1:1 chat only
}
