package fakesite_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/fakesite"
)

// The example site is data: hosts carrying services. A fault edits it and
// is recorded.
func Example() {
	p, err := fakesite.Example()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range p.Hosts {
		var kinds []string
		for _, s := range h.Services {
			kinds = append(kinds, fmt.Sprintf("%s:%d", s.Kind, s.Port))
		}
		fmt.Println(h.Name, h.Zones, kinds)
	}
	if err := p.Apply("uds-top2-dead", "cuplogin-srv-missing"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Faults)
	for _, h := range p.Hosts {
		if h.Down {
			fmt.Println("down:", h.Name)
		}
	}
	inside, _ := p.DNS(fakesite.ZoneInside)
	fmt.Println("inside records:", len(inside.Records))
	// Output:
	// dns-inside [inside dmz] [dns:53]
	// dns-outside [outside] [dns:53]
	// ucm1.example.com [inside] [uds:8443 oauth:8443 sip-oauth:5090 sip-mra:5091 devcfg:6970]
	// ucm2.example.com [inside] [uds:8443 oauth:8443 sip-oauth:5090 sip-mra:5091 devcfg:6970]
	// ucm3.example.com [inside] [uds:8443 oauth:8443 sip-oauth:5090 sip-mra:5091 devcfg:6970]
	// ucmb1.example.com [inside] [uds:8443 oauth:8443 sip-oauth:5090 sip-mra:5091 devcfg:6970]
	// imp1.example.com [inside] [imp-axl:8443 imp-c2s:5222 imp-connector-link:7400]
	// expe1.example.com [dmz outside] [edge:8443 xmpp-s2s:5269]
	// client-inside [inside dmz] [proxy:3128]
	// client-outside [outside] [proxy:3128]
	// idp.example.com [inside outside] [idp:443]
	// idbroker.example.com [inside outside] [webex-id:443]
	// registrar.example.com [inside] [sip-rfc8898:5061]
	// fed1.webex.example.net [outside] [xmpp-s2s:5269 xmpp-s2s:5270]
	// xmpp.example.org [outside] [xmpp-s2s:5269 xfed-agent:8443]
	// partner.example.org [outside] [xmpp-s2s:5269 xfed-agent:8443]
	// xmpp.legacy.example.org [outside] [xmpp-s2s:5269 xfed-agent:8443]
	// blocked.example.org [outside] [xmpp-s2s:5269 xfed-agent:8443]
	// webexapis.com [dmz outside] [webex:443]
	// expc1.example.com [inside dmz] [hybrid-connector:9443]
	// [uds-top2-dead cuplogin-srv-missing]
	// down: ucm1.example.com
	// down: ucm2.example.com
	// inside records: 5
}

// The catalogue answers both ways: what a fault must break, and which
// faults must break a check. A fault that names what the plan lacks is an
// error, never a silent no-op.
func ExampleFaultsFor() {
	f, _ := fakesite.Lookup("edge-san-missing-domain")
	fmt.Println(f.Name, f.Kills, "-", f.Description)
	fmt.Println("DISC-14:", fakesite.FaultsFor("DISC-14"))

	p, _ := fakesite.Example()
	fmt.Println(errors.Is(p.Apply("no-such-fault"), fakesite.ErrUnknownFault))
	h, _ := p.Host("ucm3.example.com")
	h.Name = "ucm9.example.com" // the site no longer has ucm3
	fmt.Println(p.Apply("uds-node-dead"))
	// Output:
	// edge-san-missing-domain [DISC-10] - the Expressway-E certificate has no SAN form for emea.example.com
	// DISC-14: [cuplogin-srv-missing dns-inside-garbage]
	// true
	// fakesite: fault uds-node-dead: fakesite: plan: no host "ucm3.example.com" in the plan
}

// A Bundle carries the plan and its key material through JSON (as a
// container gets it); StartHost starts one host's services from it.
func ExampleStartHost() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, reg, err := fakesite.Prepare("example", fakesite.Options{Faults: []string{"uds-srv-visible-outside", "ucm-cert-expired"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := fakesite.NewBundle(p, reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := b.Marshal()
	if err != nil {
		fmt.Println(err)
		return
	}
	if b, err = fakesite.UnmarshalBundle(data, reg); err != nil {
		fmt.Println(err)
		return
	}
	_, ok := b.Certs["ucm1.example.com"]
	fmt.Println("ucm1 has its certificate:", ok, "faults:", b.Plan.Faults)

	loopback := fakesite.HostOptions{Bind: func(int) string { return "127.0.0.1:0" }}
	outside, err := fakesite.StartHost(ctx, reg, b, "dns-outside", loopback)
	if err != nil {
		fmt.Println(err)
	}
	defer outside.Close()
	srvs, _, err := dnsclient.New(outside.Addrs[53]).LookupSRV(ctx, "_cisco-uds._tcp.example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range srvs {
		fmt.Println("seen from outside:", s.Priority, s.Target)
	}

	// A host that is down by plan is never started: its address stays dead.
	h, _ := b.Plan.Host("ucm2.example.com")
	h.Down = true
	_, err = fakesite.StartHost(ctx, reg, b, "ucm2.example.com", loopback)
	fmt.Println(err)
	// Output:
	// ucm1 has its certificate: true faults: [uds-srv-visible-outside ucm-cert-expired]
	// seen from outside: 10 ucm1.example.com.
	// seen from outside: 20 ucm2.example.com.
	// seen from outside: 30 ucm3.example.com.
	// fakesite: host ucm2.example.com is down by plan
}
