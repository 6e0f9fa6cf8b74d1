package xmpps2s

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"mellium.im/sasl"

	"example.com/cutover/harness/xmpps2s/dialback"
)

func TestExternalMechanism(t *testing.T) {
	c := sasl.NewClient(External(), sasl.Credentials(func() (u, p, id []byte) { return nil, nil, []byte("example.net") }))
	more, resp, err := c.Step(nil)
	if err != nil || more || string(resp) != "example.net" {
		t.Fatalf("client Step = %v %q %v", more, resp, err)
	}
	var seen string
	s := sasl.NewServer(External(), func(n *sasl.Negotiator) bool {
		_, _, id := n.Credentials()
		seen = string(id)
		return seen == "example.net"
	}, sasl.TLSState(tls.ConnectionState{}))
	if more, _, err := s.Step(resp); err != nil || more || seen != "example.net" {
		t.Fatalf("server Step = %v %v, saw %q", more, err, seen)
	}
	s = sasl.NewServer(External(), func(*sasl.Negotiator) bool { return false })
	if _, _, err := s.Step([]byte("example.org")); !errors.Is(err, sasl.ErrAuthn) {
		t.Fatalf("refused: %v", err)
	}
	s = sasl.NewServer(External(), func(*sasl.Negotiator) bool { return true })
	if _, _, err := s.Step(nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Step(nil); !errors.Is(err, sasl.ErrTooManySteps) {
		t.Fatalf("second step: %v", err)
	}
}

// TestDialbackRolesOnTheWire drives the fake's Authoritative and
// Receiving roles by hand over a plaintext stream (NoStartTLS).
func TestDialbackRolesOnTheWire(t *testing.T) {
	secret := []byte("s3cr3t")
	s := start(t, WithDomains("example.com"), NoStartTLS(), WithDialbackSecret(secret), WithTimeout(2*time.Second))
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	w := newWire(c, defaultLimit)
	if err := w.write(peerHeader); err != nil {
		t.Fatal(err)
	}
	if _, err := w.readHeader(); err != nil {
		t.Fatal(err)
	}
	if el, err := w.next(); err != nil || !el.is(nsStream, "features") || len(el.children(dialback.FeatureNS)) != 1 {
		t.Fatalf("features %v %v", el, err)
	}
	ask := func(e dialback.Element) dialback.Element {
		t.Helper()
		if err := w.write(e.String()); err != nil {
			t.Fatal(err)
		}
		el, err := w.next()
		if err != nil {
			t.Fatal(err)
		}
		got, err := dialback.DecodeElement(el.start, tokensAfterStart(el))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	good := dialback.Key(secret, "example.net", "example.com", "s1")
	for _, tc := range []struct {
		req       dialback.Element
		typ, cond string
	}{
		{dialback.Element{Verify: true, From: "example.net", To: "example.com", ID: "s1", Key: good}, dialback.Valid, ""},
		{dialback.Element{Verify: true, From: "example.net", To: "example.com", ID: "s2", Key: good}, dialback.Invalid, ""},
		{dialback.Element{Verify: true, From: "example.net", To: "example.org", ID: "s1", Key: good}, dialback.Error, "item-not-found"},
		{dialback.Element{From: "example.net", To: "example.org", Key: good}, dialback.Error, "item-not-found"},
		// No resolver: the Authoritative Server of example.net cannot be
		// reached, which XEP-0220 §2.5 answers with remote-server-not-found.
		{dialback.Element{From: "example.net", To: "example.com", Key: good}, dialback.Error, "remote-server-not-found"},
	} {
		got := ask(tc.req)
		if got.Type != tc.typ || got.Condition != tc.cond || got.From != tc.req.To || got.To != tc.req.From || got.ID != tc.req.ID {
			t.Errorf("%s → %s, want type %q condition %q", tc.req, got, tc.typ, tc.cond)
		}
	}
	// Still not authenticated: a stanza now is a protocol violation.
	_ = w.write("<message from='bob@example.net' to='alice@example.com'/>")
	if _, err := w.next(); !errors.Is(err, ErrStreamError) || !strings.Contains(err.Error(), "not-authorized") {
		t.Fatalf("stanza before authentication: %v", err)
	}
	if err := s.Close(); !errors.Is(err, ErrUnexpected) {
		t.Fatalf("Close = %v, want ErrUnexpected", err)
	}
}

func TestWithTLSConfig(t *testing.T) {
	ca := newCA(t, "Example Test Root")
	p := newPair(t,
		[]Option{WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{issue(t, ca, "example.com")}, RootCAs: ca.Pool()})},
		[]Option{WithTLSConfig(&tls.Config{Certificates: []tls.Certificate{issue(t, ca, "example.net")}, ClientCAs: ca.Pool(), MinVersion: tls.VersionTLS13})})
	r, err := p.probe(t, "tls config")
	if err != nil || r.Auth != "external" || r.TLSVersion != "TLS 1.3" {
		t.Fatalf("%v\n%s", err, r)
	}
}

// TestSendDoesNotProveDelivery: Send returns nil once the bytes are on the
// stream, even when the site drops the message (LIBNOTES); only Probe's
// reply proves delivery.
func TestSendDoesNotProveDelivery(t *testing.T) {
	p := trustedPair(t, []Option{NeverDeliver()}, nil)
	if err := p.partner.Send(testCtx(t), Message{From: "bob@example.net", To: "alice@example.com", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := p.partner.Send(testCtx(t), Message{From: "mallory@example.org", To: "alice@example.com"}); !errors.Is(err, ErrJID) {
		t.Fatalf("send from a foreign domain: %v", err)
	}
}

// TestProbeWaitBoundsTheReply: ProbeMessage.Wait bounds the wait for the
// reply once the message is sent, not the negotiation before it; a reply
// that comes is still taken.
func TestProbeWaitBoundsTheReply(t *testing.T) {
	ctx := testCtx(t)
	silent := trustedPair(t, []Option{NeverDeliver()}, nil)
	r, err := silent.partner.Probe(ctx, ProbeMessage{From: "bob@example.net", To: "alice@example.com", Wait: 50 * time.Millisecond})
	if !errors.Is(err, ErrNoReply) || !strings.Contains(err.Error(), "within 50ms of sending") || ctx.Err() != nil {
		t.Fatalf("a site that never delivers, Wait 50ms: %v (ctx %v)", err, ctx.Err())
	}
	if r.Sent == "" || r.Auth == "" {
		t.Fatalf("the probe gave up before the message was sent:\n%s", r)
	}
	healthy := trustedPair(t, nil, nil)
	if r, err := healthy.partner.Probe(ctx, ProbeMessage{From: "bob@example.net", To: "alice@example.com", Wait: testTimeout}); err != nil || r.Reply == nil {
		t.Fatalf("a site that answers, Wait %v: %v\n%s", testTimeout, err, r)
	}
}
