package target

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// boundary is what the suite may connect to: the hosts the target names
// and the names under the target's domains, which resolve through the
// target's own resolvers. An IP literal or a foreign name the site hands
// over (UDS servers, serversUri, an edge configuration, an SRV target, a
// redirect) is never dialled: a real client would follow it, so the check
// that received it fails, with the reason.
type boundary struct {
	hosts   []string
	domains []string
	ips     []string
	// insecure: TLS is not verified, so no credential may go anywhere.
	insecure bool
}

func newBoundary(s *Site) *boundary {
	b := &boundary{insecure: s.TLS.InsecureSkipVerify}
	addHost := func(h string) {
		if h = normHost(h); h != "" && !slices.Contains(b.hosts, h) {
			b.hosts = append(b.hosts, h)
		}
	}
	addDomain := func(d string) {
		if d = normHost(d); d != "" && !slices.Contains(b.domains, d) {
			b.domains = append(b.domains, d)
		}
	}
	for _, n := range s.AllUCMNodes() {
		addHost(n)
	}
	for _, n := range slices.Concat(s.IMP.Nodes, s.Expressway.Edge, s.Expressway.Core) {
		addHost(n)
	}
	for _, sec := range s.sections() {
		for _, h := range sec.hosts() {
			if u, err := url.Parse(h); err == nil && u.Host != "" {
				h = u.Hostname()
			}
			addHost(h)
		}
	}
	if s.Discovery.Manual != "" {
		h := s.Discovery.Manual
		if hh, _, err := net.SplitHostPort(h); err == nil {
			h = hh
		}
		if _, err := netip.ParseAddr(h); err == nil {
			b.ips = append(b.ips, h)
		} else {
			addHost(h)
		}
	}
	addDomain(s.Domains.Services)
	addDomain(s.Domains.IMP)
	for _, d := range s.Domains.VoiceServices {
		addDomain(d)
	}
	for _, u := range s.Users {
		addDomain(u.Domain())
		addDomain(u.VoiceServicesDomain)
	}
	for _, sec := range s.sections() {
		for _, d := range sec.domains() {
			addDomain(d)
		}
	}
	for _, c := range s.ConnectTo {
		if h, _, err := net.SplitHostPort(c.From); err == nil {
			if _, err := netip.ParseAddr(h); err == nil {
				b.ips = append(b.ips, h)
			} else {
				addHost(h)
			}
		}
	}
	return b
}

func normHost(h string) string { return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), ".")) }

// named reports whether the target names host itself.
func (b *boundary) named(host string) bool { return slices.Contains(b.hosts, normHost(host)) }

// dial says whether host may be connected to at all.
func (b *boundary) dial(host string) error {
	h := normHost(host)
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		if slices.Contains(b.ips, a.String()) {
			return nil
		}
		return fmt.Errorf("%w: %s is an IP address, not a host of the site; a client would connect to it, the suite does not", ErrOutsideSite, a)
	}
	if b.named(h) {
		return nil
	}
	for _, d := range b.domains {
		if h == d || strings.HasSuffix(h, "."+d) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is neither a host the target names nor under its domains (%s)", ErrOutsideSite, h, strings.Join(b.domains, ", "))
}

// tlsSchemes are the schemes of protocols over verified TLS: HTTPS, SIP
// over TLS (RFC 3261 §26.2), XMPP over TLS (STARTTLS or XEP-0368 direct).
var tlsSchemes = []string{"https", "sips", "xmpps"}

// credential says whether a credential may go to host over scheme: only
// over verified TLS, only to a host the target names.
func (b *boundary) credential(scheme, host string) error {
	if b.insecure {
		return fmt.Errorf("%w: not to %s: TLS verification is off (tls.insecure_skip_verify), so no credential is sent", ErrCredentialPolicy, host)
	}
	if !slices.Contains(tlsSchemes, scheme) {
		return fmt.Errorf("%w: not over %s to %s: credentials go only over verified TLS", ErrCredentialPolicy, scheme, host)
	}
	if !b.named(host) {
		return fmt.Errorf("%w: %s is not named in the target (add it to ucm, imp, expressway or the capability's hosts to allow it)", ErrCredentialPolicy, normHost(host))
	}
	return nil
}
