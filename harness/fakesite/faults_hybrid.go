package fakesite

import (
	"fmt"
)

// hybridFaults break IM&P's directory (AXL), the Webex identities, the
// user exports and the declared connector topology.
func hybridFaults() []Fault {
	axl := func(f func(a *AXLSettings)) func(*Plan) error {
		return func(p *Plan) error {
			return Each(p, KindAXL, func(_ *Host, a *AXLSettings) error { f(a); return nil })
		}
	}
	uri := func(user, uri string) func(*Plan) error {
		return func(p *Plan) error {
			if _, err := p.User(user); err != nil {
				return err
			}
			return axl(func(a *AXLSettings) {
				if a.DirectoryURI == nil {
					a.DirectoryURI = map[string]string{}
				}
				a.DirectoryURI[user] = uri
			})(p)
		}
	}
	export := func(ucm bool, name string) func(*Plan) error {
		return func(p *Plan) error {
			e := &p.Site.Hybrid.Exports
			if e.ControlHub == "" || len(e.UCM) == 0 {
				return fmt.Errorf("%w: the site names no user exports", ErrPlan)
			}
			if ucm {
				e.UCM[0].File = name
			} else {
				e.ControlHub = name
			}
			return nil
		}
	}
	connector := func(f func(c *ConnectorSettings)) func(*Plan) error {
		return func(p *Plan) error {
			return Each(p, KindConnector, func(_ *Host, c *ConnectorSettings) error { f(c); return nil })
		}
	}
	return []Fault{
		{Name: "hybrid-directory-uri-mismatch", Kills: []string{"HYB-01", "HYB-03", "HYB-04", "HYB-05", "HYB-06"},
			Description: "alice's Directory URI in IM&P is alice.old@example.com, not her Webex email (LDAP mail not updated)",
			apply:       uri("alice", "alice.old@example.com")},
		{Name: "hybrid-user-without-email", Kills: []string{"HYB-02", "HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-07"},
			Description: "bob has no Directory URI in IM&P (no mail in LDAP): not routable",
			apply:       uri("bob", "")},
		{Name: "hybrid-duplicate-email", Kills: []string{"HYB-01", "HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-07", "HYB-10"},
			Description: "bob's Directory URI is alice@example.com: two IM&P users claim one email",
			apply:       uri("bob", "alice@example.com")},
		{Name: "hybrid-imp-disabled", Kills: []string{"HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-08"},
			Description: "alice is not enabled for IM and Presence (enabled in Control Hub only)",
			apply:       axl(func(a *AXLSettings) { a.IMPDisabled = append(a.IMPDisabled, "alice") }), silent: true},
		{Name: "hybrid-message-not-entitled", Kills: []string{"HYB-08", "HYB-15"},
			Description: "the Control Hub export shows bob without the Hybrid Message service (enabled in IM&P only)",
			apply:       export(false, "hybrid/controlhub-users-defects.csv")},
		{Name: "hybrid-user-missing-in-imp", Kills: []string{"HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-07", "HYB-12"},
			Description: "IM&P has no user for alice (not synced from UCM)",
			apply:       axl(func(a *AXLSettings) { a.Missing = append(a.Missing, "alice") }), silent: true},
		{Name: "hybrid-webex-identity-missing", Kills: []string{"HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-07", "HYB-12"},
			Description: "Webex knows bob only as bob.smith@example.com: no Webex identity has his email",
			apply: func(p *Plan) error {
				return Each(p, KindWebex, func(_ *Host, s *WebexSettings) error {
					s.Email = map[string]string{"bob": "bob.smith@example.com"}
					return nil
				})
			}, silent: true},
		{Name: "hybrid-webex-token-refused", Errors: []string{"HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-07", "HYB-12"},
			Description: "Webex refuses the test users' tokens (expired, or wrong in the target): the checks that need them could not test",
			apply: func(p *Plan) error {
				return Each(p, KindWebex, func(_ *Host, s *WebexSettings) error { s.RejectBearer = true; return nil })
			}},
		{Name: "hybrid-export-defects", Kills: []string{"HYB-15"},
			Description: "the UCM export has carol with Directory URI carol.old@example.com and dave with no email",
			apply:       export(true, "hybrid/ucm-a-users-defects.csv")},
		{Name: "hybrid-topology-oversized", Kills: []string{"HYB-09"},
			Description: "connector cluster expc1.example.com serves six IM&P clusters (at most five)",
			apply: func(p *Plan) error {
				h := &p.Site.Hybrid
				if len(h.Connectors) == 0 {
					return fmt.Errorf("%w: the site declares no connector cluster", ErrPlan)
				}
				c := &h.Connectors[0]
				for i := len(c.IMPClusters); i < 6; i++ {
					c.IMPClusters = append(c.IMPClusters, fmt.Sprintf("imp%d.example.com", 100+i))
				}
				return nil
			}},
		{Name: "hybrid-connector-down", Kills: []string{"HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-07"},
			Description: "the Hybrid Message connector (expc1.example.com) is down: nothing is bridged",
			apply: func(p *Plan) error {
				if err := Each(p, KindConnector, func(h *Host, _ *ConnectorSettings) error { h.Down = true; return nil }); err != nil {
					return err
				}
				return nil
			}, silent: true},
		{Name: "hybrid-connector-jid-as-email", Kills: []string{"HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-07"},
			Description: "the connector routes to the JID as if it were the email, ignoring the Directory URI (bob's JID bsmith@example.com is no Webex identity)",
			apply:       connector(func(c *ConnectorSettings) { c.JIDAsEmail = true }), silent: true},
		{Name: "hybrid-connector-one-way", Kills: []string{"HYB-03", "HYB-04"},
			Description: "the connector bridges Jabber to Webex only: Webex replies never reach Jabber",
			apply:       connector(func(c *ConnectorSettings) { c.OneWay = true }), silent: true},
		{Name: "hybrid-connector-drops-silently", Kills: []string{"HYB-06"},
			Description: "the connector drops group chat, files and rich text without telling the sender",
			apply: connector(func(c *ConnectorSettings) {
				c.GroupChatSilently, c.FilesSilently, c.RichTextSilently = true, true, true
			}), silent: true},
		{Name: "hybrid-connector-pushes-presence", Kills: []string{"HYB-07"},
			Description: "the connector pushes Jabber presence into Webex (dnd becomes Webex DoNotDisturb)",
			apply:       connector(func(c *ConnectorSettings) { c.PushPresence = true })},
		{Name: "hybrid-presence-poll-slow", Kills: []string{"HYB-07"},
			Description: "the connector's Webex presence poll is stalled (every 30 days, not 10 minutes)",
			apply:       connector(func(c *ConnectorSettings) { c.PresencePoll = "720h" })},
		{Name: "hybrid-connector-sync-stalled", Kills: []string{"HYB-05"},
			Description: "the connector's directory sync is stalled (every 30 days): an email change is never seen",
			apply:       connector(func(c *ConnectorSettings) { c.SyncInterval = "720h" }), silent: true},
		{Name: "hybrid-c2s-refuses-test-password", Errors: []string{"HYB-03", "HYB-04", "HYB-05", "HYB-06", "HYB-07"},
			Description: "IM&P refuses the test users' passwords over XMPP (wrong in the target, or changed on the site): the checks that sign in to Jabber could not test, and no password is sent twice",
			apply: func(p *Plan) error {
				return Each(p, KindC2S, func(_ *Host, c *C2SSettings) error { c.RefusePasswords = true; return nil })
			}},
		{Name: "hybrid-axl-open", Kills: []string{"HYB-16"},
			Description: "IM&P's AXL answers listUser without authentication",
			apply:       axl(func(a *AXLSettings) { a.Open = true })},
	}
}
