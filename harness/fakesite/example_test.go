package fakesite_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/fakesite"
)

// The healthy plan is plain data; a fault edits it and is recorded.
func Example() {
	p := fakesite.Default()
	for _, r := range p.Roles {
		fmt.Println(r.Kind, r.Name, r.Zones)
	}
	if err := p.Apply("uds-top2-dead", "cuplogin-srv-missing"); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Faults)
	for _, r := range p.RolesOf(fakesite.KindUCM) {
		if r.Down {
			fmt.Println("down:", r.Name)
		}
	}
	fmt.Println("inside records:", len(p.DNSView("inside").Records))
	// Output:
	// dns dns-inside [inside]
	// dns dns-outside [outside]
	// ucm ucm1.example.com [inside]
	// ucm ucm2.example.com [inside]
	// ucm ucm3.example.com [inside]
	// ucm ucmb1.example.com [inside]
	// edge expe1.example.com [dmz outside]
	// proxy client-inside [inside dmz]
	// proxy client-outside [outside]
	// [uds-top2-dead cuplogin-srv-missing]
	// down: ucm1.example.com
	// down: ucm2.example.com
	// inside records: 5
}

// The catalogue answers both ways: what a fault must break, and which
// faults must break a check.
func ExampleFaultsFor() {
	f, _ := fakesite.Lookup("edge-san-missing-domain")
	fmt.Println(f.Name, f.Kills, "-", f.Description)
	fmt.Println("DISC-10:", fakesite.FaultsFor("DISC-10"))
	fmt.Println("DISC-14:", fakesite.FaultsFor("DISC-14"))

	err := fakesite.Default().Apply("no-such-fault")
	fmt.Println(errors.Is(err, fakesite.ErrUnknownFault))
	// Output:
	// edge-san-missing-domain [DISC-10] - the Expressway-E certificate has no SAN form for emea.example.com
	// DISC-10: [edge-san-missing-domain edge-srv-inside-only edge-srv-wrong-port edge-target-unresolvable]
	// DISC-14: [cuplogin-srv-missing]
	// true
}

// A Bundle carries the plan and its key material through JSON (as a
// container gets it); StartRole starts one role from it.
func ExampleBundle_StartRole() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p := fakesite.Default()
	if err := p.Apply("uds-srv-visible-outside", "ucm-cert-expired"); err != nil {
		fmt.Println(err)
		return
	}
	b, err := fakesite.NewBundle(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := b.Marshal()
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err = fakesite.UnmarshalBundle(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("certificates:", len(b.Certs), "faults:", b.Plan.Faults)

	outside, err := b.StartRole(ctx, "dns-outside", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer outside.Close()
	srvs, _, err := dnsclient.New(outside.Addr()).LookupSRV(ctx, "_cisco-uds._tcp.example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range srvs {
		fmt.Println("seen from outside:", s.Priority, s.Target)
	}

	// A role that is down by plan is never started: its address stays dead.
	b.Plan.Role("ucm2.example.com").Down = true
	_, err = b.StartRole(ctx, "ucm2.example.com", "127.0.0.1:0")
	fmt.Println(err)
	// Output:
	// certificates: 5 faults: [uds-srv-visible-outside ucm-cert-expired]
	// seen from outside: 10 ucm1.example.com.
	// seen from outside: 20 ucm2.example.com.
	// seen from outside: 30 ucm3.example.com.
	// fakesite: role ucm2.example.com is down by plan
}

// Build is what the embedded and containers targets share: the plan with
// its faults and settings, and the key material to start it.
func ExampleBuild() {
	plan, bundle, err := fakesite.Build("embedded", fakesite.Settings{Faults: []string{"dns-tcp-refused"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Site.Name)
	fmt.Println("trusted roots:", plan.Site.Roots != nil, "certificates:", len(bundle.Certs))
	// Output:
	// embedded+dns-tcp-refused
	// trusted roots: true certificates: 5
}
