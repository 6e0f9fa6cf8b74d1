package fakesite

import "fmt"

// xmppFaults break the org's federation records, Webex's federation host
// and a partner's server.
func xmppFaults() []Fault {
	const (
		xmppSRV  = "_xmpp-server._tcp.example.com."
		xmppsSRV = "_xmpps-server._tcp.example.com."
		webex    = "fed1.webex.example.net"
		partner  = "partner.example.org"
	)
	webexS2S := func(f func(*S2SSettings)) func(*Plan) error {
		return func(p *Plan) error {
			s, err := SettingsOf[S2SSettings](p, webex, KindS2S)
			if err != nil {
				return err
			}
			f(s)
			return nil
		}
	}
	addRecord := func(view, rr string) func(*Plan) error {
		return inView(view, func(d *DNSSettings) error {
			d.Records = append(d.Records, rr)
			return nil
		})
	}
	return []Fault{
		{Name: "xmpp-srv-wrong-port", Kills: []string{"XFED-01", "XFED-05", "XFED-12"},
			Description: "_xmpp-server._tcp points at port 5222 (the client port) instead of 5269",
			apply:       replace(ZoneOutside, xmppSRV, " 5269 ", " 5222 ")},
		{Name: "xmpp-srv-stale", Kills: []string{"XFED-02", "XFED-07"},
			Description: "after the cutover _xmpp-server._tcp still points at the Expressway-E that federated for IM&P (and no _xmpps-server): partners land on IM&P, which takes group chat",
			apply:       all(replace(ZoneOutside, xmppSRV, webex+".", "expe1.example.com."), drop(ZoneOutside, xmppsSRV))},
		{Name: "xmpp-srv-dot", Kills: []string{"XFED-01", "XFED-02", "XFED-03", "XFED-05", "XFED-06", "XFED-07", "XFED-10", "XFED-11", "XFED-12"}, Errors: []string{"XFED-08"},
			Description: `the org publishes a single "." target for _xmpp-server._tcp (federation declared absent) and no _xmpps-server`,
			apply: all(drop(ZoneOutside, xmppSRV), drop(ZoneOutside, xmppsSRV),
				addRecord(ZoneOutside, xmppSRV+" 300 IN SRV 0 0 0 ."))},
		{Name: "xmpps-srv-dead-port", Kills: []string{"XFED-05", "XFED-06"},
			Description: "the preferred _xmpps-server._tcp record names port 5271, where nothing listens: peers fall to the worse-priority _xmpp-server target",
			apply:       replace(ZoneOutside, xmppsSRV, " 5270 ", " 5271 ")},
		{Name: "xmpp-srv-second-domain", Kills: []string{"XFED-09"},
			Description: "emea.example.com publishes _xmpp-server._tcp too: a second federated domain",
			apply:       addRecord(ZoneOutside, fmt.Sprintf("_xmpp-server._tcp.emea.example.com. 300 IN SRV 10 50 5269 %s.", webex))},
		{Name: "webex-never-deliver", Kills: []string{"XFED-07", "XFED-10", "XFED-11"},
			Description: "Webex's federation host accepts partners' messages and never delivers them",
			apply:       webexS2S(func(s *S2SSettings) { s.NeverDeliver = true }), silent: true},
		{Name: "webex-accepts-groupchat", Kills: []string{"XFED-07"},
			Description: "Webex's federation host delivers type=groupchat messages from partners (1:1 only)",
			apply:       webexS2S(func(s *S2SSettings) { s.AcceptGroupchat = true })},
		{Name: "webex-block-list-missing", Kills: []string{"XFED-08"},
			Description: "the org's external block list was not carried to Webex: blocked.example.org federates",
			apply:       webexS2S(func(s *S2SSettings) { s.Block = nil })},
		{Name: "webex-cert-no-xmpp-domain", Kills: []string{"XFED-07", "XFED-10"},
			Description: "Webex's federation certificate names only its host (no DNS-ID or SRV-ID for example.com): a partner demanding authenticated TLS refuses it",
			apply:       certOf(webex, func(c *CertSpec) { c.SRVNames = nil })},
		{Name: "webex-no-dialback", Kills: []string{"XFED-07", "XFED-11"},
			Description: "Webex's federation host neither offers nor accepts server dialback (XEP-0220): a partner whose certificate does not name its XMPP domain cannot authenticate",
			apply:       webexS2S(func(s *S2SSettings) { s.NoDialback = true })},
		{Name: "webex-plaintext-s2s", Kills: []string{"XFED-12"},
			Description: "Webex's federation host offers no STARTTLS on 5269 and takes dialback in plaintext: partners may federate unencrypted",
			apply:       webexS2S(func(s *S2SSettings) { s.NoStartTLS = true })},
		{Name: "partner-s2s-moved", Kills: []string{"XFED-04", "XFED-07"},
			Description: "partner.example.org, which publishes no SRV, moved its s2s service to port 5299: RFC 6120's fallback to 5269 finds nothing",
			apply: editHosts(func(h *Host) error {
				for _, s := range h.Services {
					if s.Kind == KindS2S {
						s.Port = 5299
						return nil
					}
				}
				return fmt.Errorf("%w: host %s runs no %s service", ErrPlan, h.Name, KindS2S)
			}, partner), silent: true},
	}
}
