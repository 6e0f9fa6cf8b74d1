package target

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// XMPP is the site's part for XMPP federation (the xmpp capability). Its YAML key is
// "xmpp"; unknown keys are an error. A site without it has nothing the
// XFED checks can judge: they are not applicable.
type XMPP struct {
	// Domain is the org's one federated XMPP domain, whose public
	// _xmpp-server._tcp record peers resolve. Default: domains.imp.
	Domain string `yaml:"domain,omitempty"`
	// Cutover is "before" or "after": whether _xmpp-server must point at
	// the IM&P / Expressway-E federation hosts (IMPHosts) or at Webex's
	// (WebexHosts) ("Transitioning from Jabber to Webex" guide, §XMPP
	// Federation). Required when the section is written.
	Cutover string `yaml:"cutover,omitempty"`
	// IMPHosts are the federation hosts before the cutover: IM&P nodes or
	// the Expressway-E that federates for them.
	IMPHosts []string `yaml:"imp_hosts,omitempty"`
	// WebexHosts are Webex's federation hosts, where the record points
	// after the cutover.
	WebexHosts []string `yaml:"webex_hosts,omitempty"`
	// Partners are the federated partner domains the checks play, each
	// through a federation test agent that serves the partner domain.
	Partners []Partner `yaml:"partners,omitempty"`
}

// Partner is one federated partner domain and how the org's policy treats
// it.
type Partner struct {
	// Domain is the partner's XMPP domain.
	Domain string `yaml:"domain"`
	// Policy is "allowed" (messages must cross both ways) or "blocked"
	// (the org's external allow/block list must refuse it).
	Policy string `yaml:"policy"`
	// Agent is the https:// base URL of the federation test agent that
	// serves Domain: an XMPP server for the partner domain that the checks
	// drive (it sends the probes and receives the site's answers, so the
	// partner domain's public SRV or A record must lead to it).
	Agent string `yaml:"agent"`
	// User is the partner test user's local part. Default "cutover".
	User string `yaml:"user,omitempty"`
	// AuthenticatedTLS says the partner demands authenticated TLS (SASL
	// EXTERNAL with certificates that verify, XEP-0178) and never falls back
	// to dialback.
	AuthenticatedTLS bool `yaml:"authenticated_tls,omitempty"`
}

// Partner policies.
const (
	PolicyAllowed = "allowed"
	PolicyBlocked = "blocked"
)

// Cutover phases.
const (
	CutoverBefore = "before"
	CutoverAfter  = "after"
)

// XMPPUser holds a test user's fields for XMPP federation (the xmpp capability),
// inline in the user's entry.
type XMPPUser struct {
	// JID is the user's federated address. Default: the email's local
	// part @ xmpp.domain (Webex's default, editable per user).
	JID string `yaml:"jid,omitempty"`
}

// Configured reports whether the site has an xmpp section to check.
func (x *XMPP) Configured() bool { return x.Cutover != "" }

// FederationHosts are the hosts the record must point at in the site's
// phase.
func (x *XMPP) FederationHosts() []string {
	if x.Cutover == CutoverAfter {
		return x.WebexHosts
	}
	return x.IMPHosts
}

// PartnersBy lists the partners with policy p.
func (x *XMPP) PartnersBy(p string) []Partner {
	var out []Partner
	for _, pt := range x.Partners {
		if pt.Policy == p {
			out = append(out, pt)
		}
	}
	return out
}

// JIDOf is the user's federated address.
func (x *XMPP) JIDOf(u User) string {
	if u.JID != "" {
		return u.JID
	}
	local, _, _ := strings.Cut(u.Email, "@")
	return strings.ToLower(local) + "@" + strings.ToLower(x.Domain)
}

// Address is the partner test user's JID.
func (p Partner) Address() string {
	u := p.User
	if u == "" {
		u = "cutover"
	}
	return u + "@" + strings.ToLower(p.Domain)
}

func (x *XMPP) hosts() []string {
	out := slices.Concat(x.IMPHosts, x.WebexHosts)
	for _, p := range x.Partners {
		out = append(out, p.Agent)
	}
	return out
}

func (x *XMPP) domains() []string {
	out := []string{x.Domain}
	for _, p := range x.Partners {
		out = append(out, p.Domain)
	}
	return out
}

func (x *XMPP) validate(v *validator) {
	written := x.Cutover != "" || x.Domain != "" || len(x.IMPHosts)+len(x.WebexHosts)+len(x.Partners) > 0
	if x.Domain == "" && written {
		x.Domain = v.site.Domains.IMP
	}
	x.Domain = strings.ToLower(strings.TrimSuffix(x.Domain, "."))
	v.domain("xmpp.domain", x.Domain, false)
	switch x.Cutover {
	case CutoverBefore, CutoverAfter:
	case "":
		if written {
			v.fail("xmpp.cutover", `required: "before" or "after" (where _xmpp-server must point)`)
		}
	default:
		v.fail("xmpp.cutover", `want "before" or "after", got %q`, x.Cutover)
	}
	for i, h := range x.IMPHosts {
		v.domain(fmt.Sprintf("xmpp.imp_hosts[%d]", i), h, true)
	}
	for i, h := range x.WebexHosts {
		v.domain(fmt.Sprintf("xmpp.webex_hosts[%d]", i), h, true)
	}
	if x.Cutover == CutoverAfter && len(x.WebexHosts) == 0 {
		v.fail("xmpp.webex_hosts", "required after the cutover: the hosts _xmpp-server must point at")
	}
	if x.Cutover == CutoverBefore && len(x.IMPHosts) == 0 {
		v.fail("xmpp.imp_hosts", "required before the cutover: the hosts _xmpp-server must point at")
	}
	seen := map[string]bool{}
	for i := range x.Partners {
		p := &x.Partners[i]
		path := fmt.Sprintf("xmpp.partners[%d]", i)
		p.Domain = strings.ToLower(strings.TrimSuffix(p.Domain, "."))
		v.domain(path+".domain", p.Domain, true)
		switch {
		case p.Domain != "" && p.Domain == x.Domain:
			v.fail(path+".domain", "%s is the org's own XMPP domain, not a partner", p.Domain)
		case seen[p.Domain]:
			v.fail(path+".domain", "partner %s listed twice", p.Domain)
		}
		seen[p.Domain] = true
		if p.Policy != PolicyAllowed && p.Policy != PolicyBlocked {
			v.fail(path+".policy", `want "allowed" or "blocked", got %q`, p.Policy)
		}
		if u, err := url.Parse(p.Agent); err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
			v.fail(path+".agent", "want the https:// URL of the partner's federation test agent, got %q", p.Agent)
		} else {
			v.domain(path+".agent", u.Hostname(), true)
		}
		if p.User != "" && (strings.ContainsAny(p.User, "@/\"&'<>: ") || len(p.User) > 64) {
			v.fail(path+".user", "want a JID local part, got %q", p.User)
		}
	}
	for i, u := range v.site.Users {
		if u.JID == "" {
			continue
		}
		local, dom, ok := strings.Cut(u.JID, "@")
		if !ok || local == "" || strings.ContainsAny(local, "/\"&'<>: ") {
			v.fail(fmt.Sprintf("users[%d].jid", i), "want local@domain, got %q", u.JID)
			continue
		}
		v.domain(fmt.Sprintf("users[%d].jid", i), dom, true)
	}
}
