package xmpps2s

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/pki"
)

// TestFaults runs each fault (and each policy) between a site and a
// partner fake over real sockets, and checks the verdict and the evidence
// a check would use. Faults that end in silence are bounded by a short
// deadline: the test never sleeps.
func TestFaults(t *testing.T) {
	ca := newCA(t, "Example Test Root")
	other := newCA(t, "Unrelated Root")
	siteCert := issue(t, ca, "example.com")
	partnerCert := issue(t, ca, "example.net")
	wrongName, err := ca.Issue("example.org", pki.WithDNSNames("example.org"))
	if err != nil {
		t.Fatal(err)
	}
	untrustedSite := issue(t, other, "example.com")
	xmppAddrCert, err := IssueCertificate(ca, "example.com", CertXmppAddr("example.com"))
	if err != nil {
		t.Fatal(err)
	}
	srvIDCert, err := IssueCertificate(ca, "example.com", CertSRV("_xmpp-server.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	site := func(opts ...Option) []Option {
		return append([]Option{WithCertificate(siteCert), WithRoots(ca.Pool())}, opts...)
	}
	siteCertOnly := func(opts ...Option) []Option { return append([]Option{WithRoots(ca.Pool())}, opts...) }
	partner := func(opts ...Option) []Option {
		return append([]Option{WithCertificate(partnerCert), WithRoots(ca.Pool())}, opts...)
	}
	cases := []struct {
		name          string
		zone          func(site, partner, direct int) string
		site, partner []Option
		msg           ProbeMessage
		short         bool // the verdict is silence: use a short deadline
		err           error
		check         func(t *testing.T, r *Result)
	}{
		{name: "healthy EXTERNAL", site: site(), partner: partner(),
			check: func(t *testing.T, r *Result) { want(t, r.Auth == "external" && r.Identity.Form == IdentityDNS, r) }},
		{name: "RefuseExternal falls back to dialback", site: site(RefuseExternal()), partner: partner(),
			check: func(t *testing.T, r *Result) {
				want(t, r.Auth == "dialback" && strings.Contains(r.ExternalError, "not-authorized"), r)
			}},
		{name: "NoExternal: dialback", site: site(NoExternal()), partner: partner(),
			check: func(t *testing.T, r *Result) { want(t, r.Auth == "dialback" && r.ExternalError == "", r) }},
		{name: "NoDialback with certificates that do not verify", site: site(NoDialback(), WithRoots(other.Pool())), partner: partner(), err: ErrAuth,
			check: func(t *testing.T, r *Result) {
				want(t, r.Auth == "" && strings.Contains(r.String(), "dialback not offered"), r)
			}},
		{name: "site demands authenticated TLS, partner certificate untrusted", site: site(RequireAuthenticatedTLS(), WithRoots(other.Pool())), partner: partner(), err: ErrAuth},
		{name: "site demands authenticated TLS, partner certificate valid", site: site(RequireAuthenticatedTLS()), partner: partner(),
			check: func(t *testing.T, r *Result) { want(t, r.Auth == "external", r) }},
		{name: "WrongCertificate: recorded, dialback still delivers", site: site(WrongCertificate(wrongName)), partner: partner(),
			check: func(t *testing.T, r *Result) {
				want(t, strings.Contains(r.CertError, "want example.com") && r.Auth == "external", r)
			}},
		{name: "WrongCertificate with a strict partner", site: site(WrongCertificate(wrongName)), partner: partner(RequireAuthenticatedTLS()), err: ErrCertificate},
		{name: "untrusted site certificate with a strict partner", site: siteCertOnly(WithCertificate(untrustedSite)), partner: partner(RequireAuthenticatedTLS()), err: ErrCertificate},
		{name: "XmppAddr identity", site: siteCertOnly(WithCertificate(xmppAddrCert)), partner: partner(),
			check: func(t *testing.T, r *Result) { want(t, r.Identity.Form == IdentityXmppAddr, r) }},
		{name: "SRV-ID identity", site: siteCertOnly(WithCertificate(srvIDCert)), partner: partner(),
			check: func(t *testing.T, r *Result) { want(t, r.Identity.Form == IdentitySRV, r) }},
		{name: "StallAfterHeader", site: site(StallAfterHeader()), partner: partner(), short: true, err: ErrTimeout},
		{name: "CloseEarly", site: site(CloseEarly()), partner: partner(), err: ErrClosed},
		{name: "SendGarbage", site: site(SendGarbage()), partner: partner(), err: ErrMalformed},
		{name: "OversizedFeatures", site: site(OversizedFeatures(80 << 10)), partner: partner(), err: ErrTooLarge},
		{name: "PolicyViolation", site: site(PolicyViolation("example.net")), partner: partner(), err: ErrPolicy,
			check: func(t *testing.T, r *Result) {
				want(t, r.StreamError != nil && r.StreamError.Condition == "policy-violation" && strings.Contains(r.Decided, "policy-violation"), r)
			}},
		{name: "privacy mode: empty allow list", site: site(WithAllowList()), partner: partner(), err: ErrPolicy},
		{name: "allow list without the partner", site: site(WithAllowList("example.org")), partner: partner(), err: ErrPolicy},
		{name: "allow list with the partner", site: site(WithAllowList("example.org", "example.net")), partner: partner()},
		{name: "block list", site: site(WithBlockList("example.net")), partner: partner(), err: ErrPolicy},
		{name: "NoStartTLS", site: site(NoStartTLS()), partner: partner(), err: ErrNoTLS},
		{name: "NeverDeliver", site: site(NeverDeliver()), partner: partner(), short: true, err: ErrNoReply},
		{name: "RemoteServerNotFound", site: site(RemoteServerNotFound()), partner: partner(), err: ErrStanzaError,
			check: func(t *testing.T, r *Result) {
				want(t, r.Reply != nil && r.Reply.Error.Condition == "remote-server-not-found", r)
			}},
		{name: "groupchat refused", site: site(RefuseGroupchat()), partner: partner(), msg: ProbeMessage{Type: "groupchat"}, err: ErrStanzaError,
			check: func(t *testing.T, r *Result) { want(t, r.Reply.Error.Condition == "service-unavailable", r) }},
		{name: "AcceptGroupchat", site: site(RefuseGroupchat(), AcceptGroupchat()), partner: partner(), msg: ProbeMessage{Type: "groupchat"}},
		{name: "1:1 chat on a groupchat-refusing site", site: site(RefuseGroupchat()), partner: partner()},
		{name: "unknown site user", site: site(), partner: partner(), msg: ProbeMessage{To: "nobody@example.com"}, err: ErrStanzaError,
			check: func(t *testing.T, r *Result) { want(t, r.Reply.Error.Condition == "service-unavailable", r) }},
		{name: "DialbackSecretMismatch: the site's reply stream fails", site: site(DialbackSecretMismatch(), WithRoots(other.Pool())), partner: partner(WithRoots(other.Pool())), short: true, err: ErrNoReply,
			check: func(t *testing.T, r *Result) {
				want(t, strings.Contains(r.String(), "type='invalid'"), r)
			}},
		{name: "direct TLS preferred by priority", site: site(), partner: partner(),
			zone: func(s, p, d int) string {
				return fmt.Sprintf("_xmpps-server._tcp.example.com. 300 IN SRV 5 0 %d xmpp.example.com.\n", d) + srvZone("example.com", s) + srvZone("example.net", p)
			},
			check: func(t *testing.T, r *Result) {
				want(t, r.TLS == "direct-tls" && r.ALPN == "xmpp-server" && r.Connected.Service == ServiceXMPPS && r.Auth == "external", r)
			}},
		{name: "dead direct TLS target: next candidate", site: site(), partner: partner(),
			zone: func(s, p, d int) string {
				return "_xmpps-server._tcp.example.com. 300 IN SRV 5 0 1 xmpp.example.com.\n" + srvZone("example.com", s) + srvZone("example.net", p)
			},
			check: func(t *testing.T, r *Result) {
				want(t, len(r.Attempts) == 2 && r.Attempts[0].Err != nil && r.TLS == "starttls", r)
			}},
		{name: "dot target", site: site(), partner: partner(), err: ErrServiceAbsent,
			zone: func(s, p, d int) string {
				return "_xmpp-server._tcp.example.com. 300 IN SRV 0 0 0 .\nexample.com. 300 IN A 127.0.0.1\n" + srvZone("example.net", p)
			},
			check: func(t *testing.T, r *Result) { want(t, len(r.Attempts) == 0 && r.Connected == nil, r) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newPairZone(t, tc.zone, tc.site, tc.partner)
			msg := tc.msg
			msg.From = "bob@example.net"
			if msg.To == "" {
				msg.To = "alice@example.com"
			}
			msg.Body = "hello"
			ctx := testCtx(t)
			if tc.short {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 1500*time.Millisecond)
				defer cancel()
			}
			r, err := p.partner.Probe(ctx, msg)
			switch {
			case tc.err == nil && err != nil:
				t.Fatalf("probe: %v\n%s", err, r)
			case tc.err == nil && (r.Reply == nil || r.Reply.Body != EchoPrefix+"hello"):
				t.Fatalf("no echo reply\n%s", r)
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Fatalf("err = %v, want %v\n%s", err, tc.err, r)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
			p.site.Close()
			p.partner.Close()
		})
	}
}

func want(t *testing.T, ok bool, r *Result) {
	t.Helper()
	if !ok {
		t.Errorf("result not as expected:\n%s", r)
	}
}
