package fakesite

import (
	"fmt"
	"slices"
)

// sipFaults break UCM's SIP OAuth and MRA OAuth ports, the device
// configuration files and the RFC 8898 registrar.
func sipFaults() []Fault {
	const (
		ucm1 = "ucm1.example.com"
		ucm2 = "ucm2.example.com"
		ucm3 = "ucm3.example.com"
	)
	return []Fault{
		{Name: "sip-oauth-wrong-realm", Kills: []string{"SIPO-01", "SIPO-06"},
			Description: `ucm3 challenges with Bearer realm "cucm" instead of "ccmsipline" (on its OAuth and MRA ports)`,
			apply:       onHost(ucm3, KindSIPOAuth, func(s *SIPOAuthSettings) { s.WrongRealm = "cucm" })},
		{Name: "sip-oauth-port-closed", Kills: []string{"SIPO-01", "SIPO-02", "SIPO-03", "SIPO-05", "SIPO-10"},
			Description: "ucm3 does not listen on its SIP OAuth port (5090 configured, Cisco CallManager not restarted)",
			apply:       dropService(ucm3, KindSIPOAuth)},
		{Name: "sip-profile-without-oauth", Kills: []string{"SIPO-02", "SIPO-03"},
			Description: "BOTALICE's SIP security profile lacks \"Enable OAuth Authentication\": 403 port mismatch on the OAuth port",
			apply: every(KindSIPOAuth, func(s *SIPOAuthSettings) {
				s.ProfileWithoutOAuth = append(s.ProfileWithoutOAuth, "BOTALICE")
			})},
		{Name: "sip-oauth-mode-off", Kills: []string{"SIPO-05"},
			Description: "cluster SIP OAuth mode is off: every device configuration file says <sipOAuthMode>0",
			apply:       every(KindDevCfg, func(s *DevCfgSettings) { s.OAuthModeOff = true })},
		{Name: "sip-config-no-mra-port", Kills: []string{"SIPO-05"},
			Description: "the device configuration files give ucm2 no <sipMRAOAuthPort>",
			apply: every(KindDevCfg, func(s *DevCfgSettings) {
				s.OmitMRAOAuthPort = append(s.OmitMRAOAuthPort, ucm2)
			})},
		{Name: "sip-mra-signer-untrusted", Kills: []string{"SIPO-06"},
			Description: "ucm1's trust store lacks the CA that signed Expressway-C's certificate: mutual TLS on 5091 fails (unknown CA)",
			apply:       onHost(ucm1, KindSIPMRA, func(s *SIPMRASettings) { s.UntrustedExpresswaySigner = true })},
		{Name: "sip-mra-any-client-cert", Kills: []string{"SIPO-06"},
			Description: "ucmb1's MRA OAuth port takes a client certificate of any signer",
			apply:       onHost("ucmb1.example.com", KindSIPMRA, func(s *SIPMRASettings) { s.AcceptAnyClientCertificate = true })},
		{Name: "sip-mra-no-client-cert", Kills: []string{"SIPO-11"},
			Description: "ucm2's MRA OAuth port is one-way TLS: it takes a client that presents no certificate",
			apply:       onHost(ucm2, KindSIPMRA, func(s *SIPMRASettings) { s.AcceptNoClientCertificate = true })},
		{Name: "sip-expires-outlives-token", Kills: []string{"SIPO-12"},
			Description: "the SIP OAuth ports grant a binding of up to a day (86400 s asked), longer than the access token lives",
			apply:       every(KindSIPOAuth, func(s *SIPOAuthSettings) { s.MaxExpires = 86400 })},
		{Name: "sip-device-missing", Kills: []string{"SIPO-02", "SIPO-07"},
			Description: "TABALICE does not exist on ucm-a (no configuration file, REGISTER 404)",
			apply: all(
				every(KindDevCfg, func(s *DevCfgSettings) { s.RemoveDevices = append(s.RemoveDevices, "TABALICE") }),
				every(KindSIPOAuth, func(s *SIPOAuthSettings) { s.RemoveDevices = append(s.RemoveDevices, "TABALICE") }))},
		{Name: "sip-node-foreign-key", Kills: []string{"SIPO-02"},
			Description: "ucm2 validates tokens with a key that is not its cluster's (OAuth keys out of step): it refuses ucm-a's tokens",
			apply:       onHost(ucm2, KindSIPOAuth, func(s *SIPOAuthSettings) { s.ForeignKey = true })},
		{Name: "sip-accepts-expired-tokens", Kills: []string{"SIPO-04"},
			Description: "the SIP OAuth ports of every node ignore a token's expiry",
			apply:       every(KindSIPOAuth, func(s *SIPOAuthSettings) { s.AcceptExpiredTokens = true })},
		{Name: "sip-accepts-any-token", Kills: []string{"SIPO-04"},
			Description: "ucmb1's SIP OAuth port registers any non-empty token (no signature check)",
			apply:       onHost("ucmb1.example.com", KindSIPOAuth, func(s *SIPOAuthSettings) { s.AcceptAnyToken = true })},
		{Name: "sip-only-ucm-credentials", Kills: []string{"SIPO-09"},
			Description: "the SIP OAuth ports answer 400 to Bearer credentials in the RFC 6750 form (only token=\"…\" is read)",
			apply:       every(KindSIPOAuth, func(s *SIPOAuthSettings) { s.OnlyUCMCredentials = true })},
		{Name: "sip-oauth-tls-below-12", Kills: []string{"SIPO-01", "SIPO-02", "SIPO-03", "SIPO-05", "SIPO-06", "SIPO-10", "SIPO-11"},
			Description: "ucm2's SIP OAuth and MRA ports speak only TLS 1.0 and 1.1",
			apply:       onHost(ucm2, KindSIPOAuth, func(s *SIPOAuthSettings) { s.TLSBelow12 = true })},
		{Name: "sip-authz-server-untrusted", Kills: []string{"SIPO-08"},
			Description: "the RFC 8898 registrar names authz_server https://as.example.net/, not on the trusted list",
			apply:       every(KindSIPRFC8898, func(s *SIPRFC8898Settings) { s.AuthzServer = "https://as.example.net/" })},
		{Name: "sip-authz-server-missing", Kills: []string{"SIPO-08"},
			Description: "the RFC 8898 registrar's challenge has no authz_server",
			apply:       every(KindSIPRFC8898, func(s *SIPRFC8898Settings) { s.OmitAuthzServer = true })},
	}
}

// onHost edits the settings of host's service of kind.
func onHost[T any](host, kind string, f func(*T)) func(*Plan) error {
	return func(p *Plan) error {
		s, err := SettingsOf[T](p, host, kind)
		if err != nil {
			return err
		}
		f(s)
		return nil
	}
}

// dropService removes host's service of kind (the port then answers
// nothing).
func dropService(host, kind string) func(*Plan) error {
	return func(p *Plan) error {
		h, err := p.Host(host)
		if err != nil {
			return err
		}
		n := len(h.Services)
		h.Services = slices.DeleteFunc(h.Services, func(s *Service) bool { return s.Kind == kind })
		if len(h.Services) == n {
			return fmt.Errorf("%w: host %s runs no %s service", ErrPlan, host, kind)
		}
		return nil
	}
}

// sipAlso: faults of discovery that break SIP OAuth registration too. The
// inside DNS resolves the UCM nodes for the softphone as for UDS; the
// nodes present their Tomcat certificate on the SIP OAuth and MRA ports
// (Cisco TN215572); a node that is down serves no SIP either. Where the
// user's sign-in to the home publisher (or at the IdP) fails, the checks
// that need a token could not test.
func sipAlso() map[string]Also {
	onUCM3 := []string{"SIPO-01", "SIPO-02", "SIPO-03", "SIPO-05", "SIPO-06", "SIPO-11"}
	tokenless := []string{"SIPO-01", "SIPO-03", "SIPO-05", "SIPO-06", "SIPO-07", "SIPO-08", "SIPO-10", "SIPO-11"}
	withToken := []string{"SIPO-02", "SIPO-04", "SIPO-09", "SIPO-12"}
	return map[string]Also{
		"dns-inside-garbage": {Kills: tokenless, Errors: withToken},
		"dns-inside-slow":    {Errors: slices.Concat(tokenless, withToken)},
		"ucm-cert-expired":   {Kills: onUCM3},
		"ucm-cert-untrusted": {Kills: onUCM3},
		"uds-node-dead":      {Kills: append(slices.Clone(onUCM3), "SIPO-10")},
		"uds-top2-dead":      {Kills: []string{"SIPO-01", "SIPO-03", "SIPO-05", "SIPO-06", "SIPO-07", "SIPO-10", "SIPO-11"}, Errors: withToken},
		// A sign-in that fails at the IdP leaves no token to register with.
		"idp-clock-skew":            {Errors: withToken},
		"idp-refuses-test-password": {Errors: withToken},
		"idp-wrong-audience":        {Errors: withToken},
		"idp-wrong-name-id":         {Errors: withToken},
	}
}
