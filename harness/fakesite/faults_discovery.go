package fakesite

import (
	"fmt"
	"net/http"
	"time"

	"example.com/cutover/harness/target"
)

// discoveryFaults break DNS, UDS, Expressway-E and the configuration URL.
func discoveryFaults() []Fault {
	const (
		uds      = "_cisco-uds._tcp.example.com."
		udsEMEA  = "_cisco-uds._tcp.emea.example.com."
		edge     = "_collab-edge._tls.example.com."
		edgeEMEA = "_collab-edge._tls.emea.example.com."
		cup      = "_cuplogin._tcp.example.com."
		expe     = "expe1.example.com"
		ucm3     = "ucm3.example.com"
	)
	return []Fault{
		{Name: "uds-srv-missing", Kills: []string{"DISC-01", "DISC-05", "DISC-06", "DISC-08", "DISC-16", "DISC-20"},
			Description: "inside DNS has no _cisco-uds._tcp record for the sign-in domain",
			apply:       drop(ZoneInside, uds)},
		{Name: "uds-srv-wrong-port", Kills: []string{"DISC-01", "DISC-05", "DISC-06", "DISC-08", "DISC-16", "DISC-20"},
			Description: "_cisco-uds._tcp points at port 8080 instead of 8443",
			apply:       replace(ZoneInside, uds, " 8443 ", " 8080 ")},
		{Name: "uds-srv-target-not-fqdn", Kills: []string{"DISC-01"},
			Description: "one _cisco-uds target is a single-label name (ucm3.) instead of an FQDN",
			apply:       replace(ZoneInside, uds, "ucm3.example.com.", "ucm3.")},
		{Name: "uds-srv-servfail", Kills: []string{"DISC-01", "DISC-05", "DISC-06", "DISC-08", "DISC-16", "DISC-20"},
			Description: "the inside DNS answers SERVFAIL for _cisco-uds._tcp (a broken zone or forwarder)",
			apply: inView(ZoneInside, func(d *DNSSettings) error {
				d.Rcodes = map[string]string{uds: "SERVFAIL"}
				return nil
			})},
		{Name: "edge-srv-inside-only", Kills: []string{"DISC-02", "DISC-09", "DISC-10", "DISC-17", "DISC-18", "DISC-19"},
			Description: "_collab-edge._tls is published in the inside DNS only, not in public DNS",
			apply:       all(copyRecords(ZoneOutside, ZoneInside, edge), drop(ZoneOutside, edge))},
		{Name: "edge-srv-wrong-port", Kills: []string{"DISC-02", "DISC-09", "DISC-10", "DISC-17", "DISC-18", "DISC-19"},
			Description: "_collab-edge._tls points at port 443 instead of 8443",
			apply:       replace(ZoneOutside, edge, " 8443 ", " 443 ")},
		{Name: "uds-srv-visible-outside", Kills: []string{"DISC-03", "DISC-17"},
			Description: "_cisco-uds._tcp is resolvable from the public DNS (split DNS broken)",
			apply:       copyRecords(ZoneInside, ZoneOutside, uds)},
		{Name: "edge-target-ip", Kills: []string{"DISC-02", "DISC-04", "DISC-09", "DISC-10", "DISC-17", "DISC-18", "DISC-19"},
			Description: "the _collab-edge target is an IP address written as a name (127.0.2.1.)",
			apply: func(p *Plan) error {
				h, err := p.Host(expe)
				if err != nil {
					return err
				}
				return all(replace(ZoneOutside, edge, expe+".", h.Address+"."),
					inView(ZoneOutside, func(d *DNSSettings) error {
						d.Records = append(d.Records, fmt.Sprintf("%s. 300 IN A %s", h.Address, h.Address))
						return nil
					}))(p)
			}},
		{Name: "edge-target-unresolvable", Kills: []string{"DISC-04", "DISC-09", "DISC-10", "DISC-17", "DISC-18", "DISC-19"},
			Description: "the _collab-edge target name has no A/AAAA record in public DNS",
			apply:       replace(ZoneOutside, edge, expe+".", "expe9.example.com.")},
		{Name: "uds-top2-dead", Kills: []string{"DISC-05", "DISC-06", "DISC-07", "DISC-08", "DISC-12", "DISC-16", "DISC-20", "SSO-01", "SSO-02", "SSO-03", "SSO-04", "SSO-05", "SSO-06", "SSO-07", "SSO-10", "SSO-11", "SSO-13", "SSO-14"},
			Description: "the two highest-priority _cisco-uds nodes are down; only the third answers",
			apply:       down("ucm1.example.com", "ucm2.example.com")},
		{Name: "uds-user-hidden", Kills: []string{"DISC-06", "DISC-16", "DISC-20"},
			Description: "UDS answers found=\"false\" for test user alice (not synced from LDAP)",
			apply:       forUser(KindUDS, "alice", func(u *UDSSettings) { u.HideUsers = append(u.HideUsers, "alice") })},
		{Name: "uds-unknown-user-401", Kills: []string{"DISC-06"},
			Description: "clusterUser answers 401 instead of found=\"false\" for an unknown user",
			apply:       every(KindUDS, func(u *UDSSettings) { u.UnknownUserStatus = http.StatusUnauthorized })},
		{Name: "uds-node-dead", Kills: []string{"DISC-07", "DISC-12", "SSO-14"},
			Description: "ucm3, listed by /cucm-uds/servers, does not answer",
			apply:       down(ucm3)},
		{Name: "uds-servers-foreign-node", Kills: []string{"DISC-07", "DISC-16", "DISC-20"},
			Description: "/cucm-uds/servers lists a node outside the site (the IP address 198.51.100.7): clients would connect to it",
			apply:       every(KindUDS, func(u *UDSSettings) { u.ExtraNodes = append(u.ExtraNodes, "198.51.100.7") })},
		{Name: "uds-devices-open", Kills: []string{"DISC-08", "SSO-05"},
			Description: "/cucm-uds/user/U/devices answers without authentication",
			apply:       every(KindUDS, func(u *UDSSettings) { u.DevicesOpen = true })},
		{Name: "uds-wrong-realm", Kills: []string{"DISC-08"},
			Description: "UDS challenges with a realm other than \"Cisco Web Services Realm\"",
			apply:       every(KindUDS, func(u *UDSSettings) { u.Realm = "Tomcat" })},
		{Name: "edge-accepts-any-credentials", Kills: []string{"DISC-09"},
			Description: "Expressway-E answers get_edge_config for bad credentials",
			apply:       every(KindEdge, func(e *EdgeSettings) { e.AcceptAnyCredentials = true })},
		{Name: "edge-padded-path-only", Kills: []string{"DISC-09", "DISC-17", "DISC-19", "SSO-03"},
			Description: "Expressway-E only serves the '='-padded base64 domain path",
			apply:       every(KindEdge, func(e *EdgeSettings) { e.PaddedPathOnly = true })},
		{Name: "edge-config-missing-uds", Kills: []string{"DISC-09", "DISC-19"},
			Description: "get_edge_config has NameError for _cisco-uds (Expressway-C cannot resolve UCM)",
			apply:       every(KindEdge, func(e *EdgeSettings) { e.OmitServices = append(e.OmitServices, "_cisco-uds") })},
		{Name: "edge-san-missing-domain", Kills: []string{"DISC-10"},
			Description: "the Expressway-E certificate has no SAN form for emea.example.com",
			apply:       certOf(expe, func(c *CertSpec) { c.SRVNames = nil })},
		{Name: "profile-vsd-records-missing", Kills: []string{"DISC-11", "DISC-17", "DISC-20"},
			Description: "the UC Manager Profile domain emea.example.com has no _cisco-uds inside nor _collab-edge outside",
			apply:       all(drop(ZoneInside, udsEMEA), drop(ZoneOutside, edgeEMEA))},
		{Name: "ucm-cert-untrusted", Kills: []string{"DISC-07", "DISC-12", "SSO-14"},
			Description: "ucm3's Tomcat certificate is issued by a CA the clients do not trust",
			apply:       certOf(ucm3, func(c *CertSpec) { c.Issuer = IssuerRogue })},
		{Name: "ucm-cert-expired", Kills: []string{"DISC-07", "DISC-12", "SSO-14"},
			Description: "ucm3's Tomcat certificate has expired",
			apply:       certOf(ucm3, func(c *CertSpec) { c.Validity = ValidityExpired })},
		{Name: "config-url-no-services-domain", Kills: []string{"DISC-13", "DISC-17", "DISC-20"},
			Description: "the configuration URL handed to users lacks ServicesDomain",
			apply: func(p *Plan) error {
				p.Site.Discovery.ConfigURL = "ciscojabber://provision?VoiceServicesDomain=example.com"
				return nil
			}},
		{Name: "config-url-bad-exclusion", Kills: []string{"DISC-13", "DISC-17", "DISC-20"},
			Description: "the configuration URL excludes an unknown service (CUCM,VOICEMAIL)",
			apply: func(p *Plan) error {
				p.Site.Discovery.ConfigURL = "ciscojabber://provision?ServicesDomain=example.com&ServiceDiscoveryExcludedServices=CUCM,VOICEMAIL"
				return nil
			}},
		{Name: "cuplogin-srv-missing", Kills: []string{"DISC-14"},
			Description: "inside DNS has no _cuplogin._tcp record",
			apply:       drop(ZoneInside, cup)},
		{Name: "dns-tcp-refused", Kills: []string{"DISC-15"},
			Description: "the inside DNS does not answer over TCP (firewall blocks 53/tcp)",
			apply:       inView(ZoneInside, func(d *DNSSettings) error { d.NoTCP = true; return nil })},
		{Name: "dns-outside-silent", Errors: []string{"DISC-02", "DISC-03", "DISC-04", "DISC-09", "DISC-10", "DISC-11", "DISC-15", "DISC-17", "DISC-18", "DISC-19",
			"XFED-01", "XFED-02", "XFED-03", "XFED-04", "XFED-05", "XFED-06", "XFED-07", "XFED-08", "XFED-09", "XFED-10", "XFED-11", "XFED-12",
			"SSO-03"},
			Description: "the outside resolver never answers (the suite's path to it is cut): every outside check could not test, none fails (the suite's timeout is 300 ms here, to keep the selftest short)",
			apply: inView(ZoneOutside, func(d *DNSSettings) error {
				d.DropEvery = 1
				return nil
			}), dnsTimeout: 300 * time.Millisecond},
		{Name: "dns-inside-slow", Errors: []string{"DISC-01", "DISC-05", "DISC-06", "DISC-07", "DISC-08", "DISC-11", "DISC-12", "DISC-14", "DISC-15", "DISC-16", "DISC-20",
			"HYB-01", "HYB-02", "HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-07", "HYB-08", "HYB-10", "HYB-12", "HYB-16",
			"SSO-01", "SSO-02", "SSO-03", "SSO-04", "SSO-05", "SSO-06", "SSO-07", "SSO-09", "SSO-10", "SSO-11", "SSO-13", "SSO-14"},
			Description: "the inside resolver answers only after the suite's timeout (a congested or distant resolver): every inside check could not test, none fails (timeout 300 ms here)",
			apply: inView(ZoneInside, func(d *DNSSettings) error {
				d.Delay = target.Duration(time.Second)
				return nil
			}), dnsTimeout: 300 * time.Millisecond},
		{Name: "dns-inside-garbage", Kills: []string{"DISC-01", "DISC-05", "DISC-06", "DISC-07", "DISC-08", "DISC-11", "DISC-12", "DISC-14", "DISC-15", "DISC-16", "DISC-20",
			"HYB-01", "HYB-02", "HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-07", "HYB-08", "HYB-10", "HYB-12", "HYB-16",
			"SSO-01", "SSO-02", "SSO-03", "SSO-04", "SSO-05", "SSO-06", "SSO-07", "SSO-09", "SSO-10", "SSO-11", "SSO-13", "SSO-14"},
			Description: "the inside resolver answers every query with bytes that are not DNS (a broken middlebox on port 53)",
			apply:       inView(ZoneInside, func(d *DNSSettings) error { d.Garbage = true; return nil })},
		{Name: "edge-refuses-test-password", Errors: []string{"DISC-09", "DISC-17", "DISC-19"},
			Description: "Expressway-E refuses the test users' passwords (wrong in the target, or changed on the site): the checks that need them could not test, and no password is sent twice",
			apply:       every(KindEdge, func(e *EdgeSettings) { e.RefuseUsers = true })},
		{Name: "dns-no-truncation", Kills: []string{"DISC-15"},
			Description: "the inside DNS sends a 30-target _cisco-uds answer over UDP whole (over 512 bytes, no TC bit)",
			apply: inView(ZoneInside, func(d *DNSSettings) error {
				d.NoTruncate = true
				for i := 0; i < 30; i++ {
					d.Records = append(d.Records, fmt.Sprintf("%s 300 IN SRV %d 50 8443 %s.", uds, 40+i, ucm3))
				}
				return nil
			})},
		{Name: "uds-wrong-home-cluster", Kills: []string{"DISC-16", "DISC-20"},
			Description: "clusterUser names ucmb1 as every user's home cluster (ILS misconfigured)",
			apply:       every(KindUDS, func(u *UDSSettings) { u.WrongHomeCluster = "ucmb1.example.com" })},
		{Name: "edge-down", Kills: []string{"DISC-09", "DISC-17", "DISC-19", "SSO-03"},
			Description: "Expressway-E answers 503 to every MRA request",
			apply:       every(KindEdge, func(e *EdgeSettings) { e.Status = http.StatusServiceUnavailable })},
		{Name: "edge-cert-expired", Kills: []string{"DISC-09", "DISC-17", "DISC-18", "DISC-19", "SSO-03"},
			Description: "the Expressway-E certificate has expired",
			apply:       certOf(expe, func(c *CertSpec) { c.Validity = ValidityExpired })},
		{Name: "edge-config-missing-cuplogin", Kills: []string{"DISC-19"},
			Description: "get_edge_config has NameError for _cuplogin (IM&P not resolvable by Expressway-C)",
			apply:       every(KindEdge, func(e *EdgeSettings) { e.OmitServices = append(e.OmitServices, "_cuplogin") })},
		{Name: "uds-devices-missing", Kills: []string{"DISC-20"},
			Description: "alice has no devices in UCM",
			apply:       forUser(KindUDS, "alice", func(u *UDSSettings) { u.HideDevicesOf = append(u.HideDevicesOf, "alice") })},
	}
}
