package discovery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"example.com/cutover/harness/discovery"
	"example.com/cutover/harness/embedded"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/target"
)

// The guide's own example, spaces around '&' included, parses; Problems
// says what the clients would make of a wrong one.
func ExampleParseConfigURL() {
	c, err := discovery.ParseConfigURL("ciscojabber://provision?ServicesDomain=example.com &VoiceServicesDomain=emea.example.com&ServiceDiscoveryExcludedServices=CUCM,CUP &ServicesDomainSsoEmailPrompt=OFF")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.ServicesDomain, c.VoiceServicesDomain, c.Excluded, c.SSOEmailPrompt)
	fmt.Println("excludes CUCM:", c.Excludes("CUCM"), "excludes all:", c.ExcludesAll(), "problems:", len(c.Problems()))

	c, _ = discovery.ParseConfigURL("ciscojabber://provision?VoiceServiceDomain=example.com&ServiceDiscoveryExcludedServices=VOICEMAIL")
	for _, p := range c.Problems() {
		fmt.Println("problem:", p)
	}

	_, err = discovery.ParseConfigURL("https://provision?ServicesDomain=example.com")
	fmt.Println(err, errors.Is(err, discovery.ErrConfigURL))
	// Output:
	// example.com emea.example.com [CUCM CUP] OFF
	// excludes CUCM: true excludes all: false problems: 0
	// problem: ServicesDomain is missing (mandatory)
	// problem: ServiceDiscoveryExcludedServices has "VOICEMAIL" (allowed: WEBEX, CUCM, CUP)
	// problem: "VoiceServiceDomain" is not a parameter (the guide's typo): use VoiceServicesDomain
	// discovery: config url: want scheme ciscojabber://, got "https://provision?ServicesDomain=example.com" true
}

// Alice's client discovers UCM from inside and MRA from outside the
// embedded site; with the two highest-priority UCM nodes down it gives up,
// although a third node would answer.
func ExampleClient_Discover() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	site, err := embedded.Start(ctx, fakesite.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer site.Close()
	alice := site.Site.Users[0]
	in := discovery.Input{Email: alice.Email, Username: alice.Username, Password: alice.Password}

	for _, where := range []target.Where{target.Inside, target.Outside} {
		c := &discovery.Client{Resolver: site.From(where), Budget: site.Site.Discovery.Budget.D(), TopN: site.Site.Discovery.TopN}
		res, err := c.Discover(ctx, in)
		if err != nil {
			fmt.Println(err)
			return
		}
		switch res.Mode {
		case discovery.ModeUDS:
			fmt.Printf("%s: %s via %s, UDS %s, home cluster %s, %d devices\n", where, res.Mode, res.Source, res.UDS, res.HomeCluster, len(res.Devices))
		case discovery.ModeMRA:
			fmt.Printf("%s: %s via %s, edge %s, %d services\n", where, res.Mode, res.Source, res.Edge, len(res.EdgeConfig.Services))
		}
	}

	broken, err := embedded.Start(ctx, fakesite.Options{Faults: []string{"uds-top2-dead"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer broken.Close()
	c := &discovery.Client{Resolver: broken.From(target.Inside), Budget: 5 * time.Second}
	res, err := c.Discover(ctx, in)
	fmt.Println("top 2 dead:", errors.Is(err, discovery.ErrNoUDS), "ucm3 tried:", strings.Contains(strings.Join(res.Trace, "\n"), "ucm3.example.com:8443/cucm-uds/version"))
	// Output:
	// inside: uds via email, UDS https://ucm1.example.com:8443, home cluster ucm1.example.com, 4 devices
	// outside: mra via email, edge https://expe1.example.com:8443, 2 services
	// top 2 dead: true ucm3 tried: false
}

// PeerCertificates fetches the chain a server sends, trusted or not;
// VerifyChain then gives the verdict with its reason.
func Example_verifyChain() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	site, err := embedded.Start(ctx, fakesite.Options{Faults: []string{"ucm-cert-untrusted"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer site.Close()
	for _, host := range []string{"ucm1.example.com", "ucm3.example.com"} {
		chain, err := pki.PeerCertificates(ctx, site.DialContext(target.Inside), host+":8443", host, site.Timeout())
		if err != nil {
			fmt.Println(err)
			return
		}
		err = pki.VerifyChain(chain, site.Site.Roots, host, time.Now())
		fmt.Printf("%s: %v\n", host, err)
		// The right name is part of the verdict too.
		if err == nil {
			fmt.Printf("as ucm9.example.com: %v\n", pki.VerifyChain(chain, site.Site.Roots, "ucm9.example.com", time.Now()))
		}
	}
	// Output:
	// ucm1.example.com: <nil>
	// as ucm9.example.com: pki: certificate of ucm9.example.com (issuer "cutover test CA"): x509: certificate is valid for ucm1.example.com, not ucm9.example.com
	// ucm3.example.com: pki: certificate of ucm3.example.com (issuer "rogue CA (not trusted)"): x509: certificate signed by unknown authority
}
