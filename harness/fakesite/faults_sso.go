package fakesite

import (
	"fmt"
	"time"

	"example.com/cutover/harness/target"
)

// signIn are the checks that need a UCM sign-in through the IdP: a site
// whose IdP or UCM refuses the sign-in fails them all.
var ssoSignIn = []string{"SSO-01", "SSO-03", "SSO-04", "SSO-05", "SSO-06", "SSO-07", "SSO-13", "SSO-14"}

// ssoFaults are the faults of SSO reuse and OAuth.
func ssoFaults() []Fault {
	const (
		idpHost  = "idp.example.com"
		idp2Host = "idp2.example.com"
		ucm2     = "ucm2.example.com"
	)
	with := func(ids ...string) []string { return append(append([]string{}, ssoSignIn...), ids...) }
	return []Fault{
		{Name: "ucm-refresh-flow-disabled", Kills: []string{"SSO-03", "SSO-04", "SSO-06", "SSO-07", "SSO-13"},
			Description: "\"OAuth with Refresh Login Flow\" is Disabled on UCM (the product default) while Expressway-C authorizes by OAuth token with refresh: only the implicit grant, no refresh token",
			apply:       every(KindOAuth, func(o *OAuthSettings) { o.RefreshDisabled = true })},
		{Name: "edge-oauth-refresh-off", Kills: []string{"SSO-03"},
			Description: "\"Authorize by OAuth token with refresh\" is Off on Expressway: UCM access tokens are refused over MRA",
			apply:       every(KindEdge, func(e *EdgeSettings) { e.OAuthRefreshOff = true })},
		{Name: "ucm-not-sso", Kills: []string{"SSO-01", "SSO-02", "SSO-10", "SSO-11"},
			Description: "UCM is not enabled for SAML SSO: its own login form asks for the password again after the Webex sign-in",
			apply:       every(KindOAuth, func(o *OAuthSettings) { o.SSODisabled = true })},
		{Name: "webex-other-idp", Kills: []string{"SSO-01", "SSO-02"},
			Description: "the Webex organisation signs in through another IdP (idp2.example.com) than UCM: two prompts",
			apply: func(p *Plan) error {
				if _, err := p.Host(idpHost); err != nil {
					return err
				}
				p.Keys = append(p.Keys, KeySpec{Name: idp2Host + "/" + PurposeSAMLSigning, Purpose: PurposeSAMLSigning})
				p.Hosts = append(p.Hosts, &Host{Name: idp2Host, Address: "127.0.3.3", Zones: []string{ZoneInside, ZoneOutside},
					Services: []*Service{{Kind: KindIdP, Port: 443, Settings: &IdPSettings{}}}})
				return every(KindWebexID, func(w *WebexIDSettings) { w.IdP = idp2Host })(p)
			}},
		{Name: "idp-no-session-reuse", Kills: []string{"SSO-01"},
			Description: "the IdP does not honour its session for a second service provider: UCM's sign-in prompts again after Webex's",
			apply:       every(KindIdP, func(s *IdPSettings) { s.NoSessionReuse = true })},
		{Name: "idp-wrong-audience", Kills: with("SSO-10", "SSO-11"),
			Description: "the IdP's assertions name another audience than the SP's entity ID: UCM refuses them",
			apply:       every(KindIdP, func(s *IdPSettings) { s.WrongAudience = true })},
		{Name: "idp-clock-skew", Kills: with("SSO-10", "SSO-11"),
			Description: "the IdP's clock is 10 minutes fast: its assertions are not yet valid for UCM",
			apply:       every(KindIdP, func(s *IdPSettings) { s.ClockSkew = target.Duration(10 * time.Minute) })},
		{Name: "idp-wrong-name-id", Kills: with("SSO-11"),
			Description: "the IdP sends an employee number as NameID and uid (emp-alice), neither the email nor the UCM user ID",
			apply:       every(KindIdP, func(s *IdPSettings) { s.WrongNameID = true })},
		{Name: "idp-cert-expiring", Kills: []string{"SSO-09"},
			Description: "the IdP's signing certificate expires in 10 days (inside the 30-day warning window)",
			apply:       keyValidity(idpHost+"/"+PurposeSAMLSigning, ValidityExpiring)},
		{Name: "idp-refuses-test-password", Errors: with("SSO-02", "SSO-10", "SSO-11"),
			Description: "the IdP refuses the test users' passwords (wrong in the target, or changed at the IdP): the sign-in checks could not test, and no password is sent there twice",
			apply:       every(KindIdP, func(s *IdPSettings) { s.RefuseUsers = true })},
		{Name: "ucm-accepts-expired-tokens", Kills: []string{"SSO-05"},
			Description: "UCM accepts access tokens after they expire",
			apply:       every(KindOAuth, func(o *OAuthSettings) { o.AcceptExpired = true })},
		{Name: "ucm-ignores-revocation", Kills: []string{"SSO-06"},
			Description: "UCM's revoke API answers success but the user's refresh token keeps working",
			apply:       every(KindOAuth, func(o *OAuthSettings) { o.IgnoreRevocation = true })},
		{Name: "ucm-token-lifetime-out-of-range", Kills: []string{"SSO-07"},
			Description: "the access token lives 2000 minutes, beyond UCM's 1–1440 minute range (a hand-edited configuration)",
			apply: every(KindOAuth, func(o *OAuthSettings) {
				o.AccessLifetime, o.UncheckedLifetimes = target.Duration(2000*time.Minute), true
			})},
		{Name: "ucm-node-own-keys", Kills: []string{"SSO-14"},
			Description: "ucm2 has OAuth keys of its own (regenerated on that node alone): it refuses the tokens the rest of its cluster issues",
			apply: func(p *Plan) error {
				o, err := SettingsOf[OAuthSettings](p, ucm2, KindOAuth)
				if err != nil {
					return err
				}
				o.Key = ucm2 + "/" + PurposeJWTSigning
				p.Keys = append(p.Keys, KeySpec{Name: o.Key, Purpose: PurposeJWTSigning})
				return nil
			}},
	}
}

// keyValidity sets the validity of the plan's key named name.
func keyValidity(name, validity string) func(*Plan) error {
	return func(p *Plan) error {
		for i := range p.Keys {
			if p.Keys[i].Name == name {
				p.Keys[i].Cert.Validity = validity
				return nil
			}
		}
		return fmt.Errorf("%w: no key %q in the plan", ErrPlan, name)
	}
}
