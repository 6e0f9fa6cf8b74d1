package dnsclient_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/dnsfake"
)

func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f, err := dnsfake.Start(ctx, dnsfake.WithZoneText(`$ORIGIN example.com.
_cisco-uds._tcp 300 IN SRV 10 50 8443 ucm1
_cisco-uds._tcp 300 IN SRV 10 50 8443 ucm2
_cisco-uds._tcp 300 IN SRV 20 0 8443 ucm3
_xmpp-server._tcp 300 IN SRV 0 0 0 .
ucm1 300 IN A 192.0.2.10
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()

	c := dnsclient.New(f.Addr(), dnsclient.WithTimeout(time.Second))
	srvs, _, err := c.LookupSRV(ctx, "_cisco-uds._tcp.example.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	// Jabber for Windows tries only the first two after RFC 2782 ordering.
	for _, s := range dnsclient.TopN(dnsclient.Order(srvs, rand.New(rand.NewPCG(1, 2))), 2) {
		fmt.Println(s.Priority, s.Port, s.Target, dnsclient.CheckTarget(s.Target))
	}

	_, _, err = c.LookupSRV(ctx, "_xmpp-server._tcp.example.com")
	fmt.Println(errors.Is(err, dnsclient.ErrServiceAbsent))
	_, _, err = c.LookupSRV(ctx, "_collab-edge._tls.example.com")
	fmt.Println(errors.Is(err, dnsclient.ErrNXDomain))

	addrs, _, err := c.LookupHost(ctx, "ucm1.example.com")
	fmt.Println(addrs, err)
	// Output:
	// 10 8443 ucm2.example.com. <nil>
	// 10 8443 ucm1.example.com. <nil>
	// true
	// true
	// [192.0.2.10] <nil>
}

func ExampleCheckTarget() {
	for _, t := range []string{"expe.example.com.", "192.0.2.10", "ucm1.", "."} {
		fmt.Println(dnsclient.CheckTarget(t))
	}
	// Output:
	// <nil>
	// dnsclient: target "192.0.2.10": srv target is an IP address, not a host name
	// dnsclient: target "ucm1.": srv target is a single label, not fully qualified
	// dnsclient: target ".": srv target is not a valid host name: service decidedly not available (SRV target ".")
}
