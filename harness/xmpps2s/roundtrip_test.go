package xmpps2s

import (
	"strings"
	"testing"
)

func TestRoundTripExternal(t *testing.T) {
	p := trustedPair(t, nil, nil)
	r, err := p.probe(t, "hello")
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, r)
	}
	if r.Auth != "external" || r.TLS != "starttls" || r.Identity.Form != IdentityDNS {
		t.Errorf("auth %q tls %q identity %v, want external starttls DNS-ID\n%s", r.Auth, r.TLS, r.Identity, r)
	}
	if r.Reply == nil || r.Reply.Body != EchoPrefix+"hello" || r.Reply.From != "alice@example.com" {
		t.Fatalf("reply %+v", r.Reply)
	}
	if d := p.site.Delivered(); len(d) != 1 || d[0].Body != "hello" {
		t.Errorf("site delivered %+v", d)
	}
	assertInboundAuth(t, p.partner, "example.com", "external")
}

func TestRoundTripDialback(t *testing.T) {
	p := untrustedPair(t, nil, nil)
	r, err := p.probe(t, "hello")
	if err != nil {
		t.Fatalf("probe: %v\n%s", err, r)
	}
	if r.Auth != "dialback" || r.CertError == "" {
		t.Errorf("auth %q cert error %q, want dialback and a certificate error\n%s", r.Auth, r.CertError, r)
	}
	if r.Reply == nil || r.Reply.Body != EchoPrefix+"hello" {
		t.Fatalf("reply %+v\n%s", r.Reply, r)
	}
	assertInboundAuth(t, p.partner, "example.com", "dialback")
}

// assertInboundAuth checks how the site authenticated the stream it
// opened back to the partner.
func assertInboundAuth(t *testing.T, s *Server, remote, method string) {
	t.Helper()
	for _, e := range s.Received() {
		if strings.HasPrefix(e.Stream, "in-") && e.Remote == remote && strings.Contains(e.Note, method+" succeeded") ||
			strings.HasPrefix(e.Stream, "in-") && e.Remote == remote && strings.Contains(strings.ToLower(e.Note), strings.ToLower(method)+" succeeded") {
			return
		}
	}
	t.Errorf("no inbound %s authentication from %s in %v", method, remote, s.Received())
}
