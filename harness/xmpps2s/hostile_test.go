package xmpps2s

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

const peerHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='example.net' to='example.com' version='1.0'>`

// rawSession talks to the fake by hand and returns all it sent back until
// it closed the connection.
func rawSession(t *testing.T, addr string, steps ...string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(testTimeout))
	for _, s := range steps {
		if _, err := io.WriteString(c, s); err != nil {
			break
		}
	}
	// The peer then hangs up its side: the fake must notice, not wait.
	_ = c.(*net.TCPConn).CloseWrite()
	b, _ := io.ReadAll(c)
	return string(b)
}

// TestHostilePeers sends the fake what a broken or hostile server would:
// each ends with the right stream error, promptly, never a hang or panic,
// and protocol violations make Close report ErrUnexpected.
func TestHostilePeers(t *testing.T) {
	ca := newCA(t, "Example Test Root")
	cert := issue(t, ca, "example.com")
	cases := []struct {
		name       string
		opts       []Option
		steps      []string
		cond       string // in the reply: <cond xmlns=...streams'/>
		unexpected bool
	}{
		{name: "not XML", steps: []string{"\x16\x03\x01 GET / HTTP/1.1\r\n\r\n"}, cond: "not-well-formed", unexpected: true},
		{name: "client namespace", steps: []string{strings.Replace(peerHeader, "jabber:server'", "jabber:client'", 1)}, cond: "invalid-namespace", unexpected: true},
		{name: "no version", steps: []string{strings.Replace(peerHeader, " version='1.0'>", ">", 1)}, cond: "unsupported-version", unexpected: true},
		{name: "unknown host", steps: []string{strings.Replace(peerHeader, "to='example.com'", "to='example.org'", 1)}, cond: "host-unknown"},
		{name: "no from", steps: []string{strings.Replace(peerHeader, "from='example.net' ", "", 1)}, cond: "invalid-from", unexpected: true},
		{name: "from our own domain", steps: []string{strings.Replace(peerHeader, "from='example.net'", "from='example.com'", 1)}, cond: "invalid-from"},
		{name: "from a JID with a localpart", steps: []string{strings.Replace(peerHeader, "from='example.net'", "from='u@example.net'", 1)}, cond: "improper-addressing", unexpected: true},
		{name: "stanza before TLS and authentication", opts: []Option{NoStartTLS()},
			steps: []string{peerHeader, "<message from='bob@example.net' to='alice@example.com'><body>hi</body></message>"}, cond: "not-authorized", unexpected: true},
		{name: "dialback before TLS", steps: []string{peerHeader, "<db:result from='example.net' to='example.com'>abc</db:result>"}, cond: "policy-violation", unexpected: true},
		{name: "bad dialback element", opts: []Option{NoStartTLS()}, steps: []string{peerHeader, "<db:result from='u@example.net' to='example.com'>abc</db:result>"}, cond: "bad-format", unexpected: true},
		{name: "unknown element", opts: []Option{NoStartTLS()}, steps: []string{peerHeader, "<foo xmlns='urn:example:foo'/>"}, cond: "unsupported-stanza-type", unexpected: true},
		{name: "oversized stanza", opts: []Option{NoStartTLS(), WithMaxStanza(1024)},
			steps: []string{peerHeader, "<message><body>" + strings.Repeat("x", 4096) + "</body></message>"}, cond: "policy-violation", unexpected: true},
		{name: "malformed after the header", steps: []string{peerHeader, "<message><body></message>"}, cond: "not-well-formed", unexpected: true},
		{name: "comment", steps: []string{peerHeader, "<!-- hi -->"}, cond: "restricted-xml", unexpected: true},
		{name: "data pipelined after STARTTLS", steps: []string{peerHeader, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message/>"}, cond: "", unexpected: true},
		{name: "early disconnect", steps: []string{peerHeader[:40]}},
		{name: "SASL before TLS", opts: []Option{NoStartTLS()}, steps: []string{peerHeader, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>"}, cond: "policy-violation", unexpected: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Start(testCtx(t), append([]Option{WithDomains("example.com"), WithCertificate(cert), WithRoots(ca.Pool()), WithTimeout(2 * time.Second)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			got := rawSession(t, s.Addr(), tc.steps...)
			if tc.cond != "" && !strings.Contains(got, "<"+tc.cond+" xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") {
				t.Errorf("reply has no <%s/>:\n%s", tc.cond, got)
			}
			err = s.Close()
			if tc.unexpected != errors.Is(err, ErrUnexpected) {
				t.Errorf("Close = %v, want unexpected=%v", err, tc.unexpected)
			}
		})
	}
}

// scriptedPeer is a fake remote server: it reads the opening header and
// answers with reply, then behaves as after says.
func scriptedPeer(t *testing.T, reply string, after func(c net.Conn)) *pair {
	t.Helper()
	ln := listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(testTimeout))
				br := bufio.NewReader(c)
				if _, err := br.ReadString('>'); err != nil { // <?xml ...?>
					return
				}
				if _, err := br.ReadString('>'); err != nil { // <stream:stream ...>
					return
				}
				_, _ = io.WriteString(c, reply)
				if after != nil {
					after(c)
				}
			}()
		}
	}()
	ca := newCA(t, "Example Test Root")
	w := startDNS(t, srvZone("example.com", port(ln)))
	p := &pair{dns: w}
	p.partner = start(t, WithDomains("example.net"), WithCertificate(issue(t, ca, "example.net")), WithRoots(ca.Pool()),
		WithDialer(w.dialer()), WithResolver(w.client), WithTimeout(2*time.Second))
	return p
}

const siteHeader = `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' from='example.com' to='example.net' id='x1' version='1.0'>`

// TestProbeAgainstBrokenServers: the client model facing a broken site
// fails with a named reason within its deadline.
func TestProbeAgainstBrokenServers(t *testing.T) {
	drain := func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }
	cases := []struct {
		name  string
		reply string
		after func(net.Conn)
		err   error
		text  string
	}{
		{"stalls after the stream header", siteHeader, drain, ErrTimeout, "features"},
		{"closes after the header", siteHeader, nil, ErrClosed, ""},
		{"answers as another domain", strings.Replace(siteHeader, "from='example.com'", "from='example.org'", 1), drain, ErrProtocol, "answered as example.org"},
		{"a message instead of features", siteHeader + "<message/>", drain, ErrProtocol, "want <stream:features/>"},
		{"stream error instead of features", siteHeader + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>", nil, ErrStreamError, "host-unknown"},
		{"unexpected features only", siteHeader + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>", drain, ErrNoTLS, "bind"},
		{"STARTTLS refused", siteHeader + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
			func(c net.Conn) {
				_, _ = io.WriteString(c, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>")
			}, ErrTLS, "failure"},
		{"STARTTLS then not TLS", siteHeader + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
			func(c net.Conn) {
				_, _ = io.WriteString(c, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>HTTP/1.1 400 Bad Request\r\n\r\n")
			}, ErrTLS, ""},
		{"huge header", siteHeader[:len(siteHeader)-1] + " x='" + strings.Repeat("a", 8000) + "'>", drain, ErrTooLarge, ""},
		{"not XML at all", "SSH-2.0-OpenSSH_9.2\r\n", drain, ErrMalformed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := scriptedPeer(t, tc.reply, tc.after)
			ctx, cancel := context.WithTimeout(testCtx(t), 1500*time.Millisecond)
			defer cancel()
			r, err := p.partner.Probe(ctx, ProbeMessage{From: "bob@example.net", To: "alice@example.com"})
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err = %v, want %v mentioning %q\n%s", err, tc.err, tc.text, r)
			}
		})
	}
}

func TestCloseIdempotentAndLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	p := trustedPair(t, nil, nil)
	if r, err := p.probe(t, "x"); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	// A peer that stays connected and silent must not keep Close waiting.
	c, err := net.Dial("tcp", p.site.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		if err := p.site.Close(); err != nil {
			t.Errorf("site Close #%d: %v", i+1, err)
		}
		if err := p.partner.Close(); err != nil {
			t.Errorf("partner Close #%d: %v", i+1, err)
		}
	}
	p.dns.fake.Close()
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
	}
}

func TestStartErrors(t *testing.T) {
	ca := newCA(t, "Example Test Root")
	cert := issue(t, ca, "example.com")
	for name, opts := range map[string][]Option{
		"no domains":     {WithCertificate(cert)},
		"no certificate": {WithDomains("example.com")},
		"bad domain":     {WithDomains("u@example.com"), WithCertificate(cert)},
		"bad user":       {WithDomains("example.com"), WithCertificate(cert), WithUsers("a@b")},
		"bad allow":      {WithDomains("example.com"), WithCertificate(cert), WithAllowList("exa mple.net")},
		"empty cert":     {WithDomains("example.com"), WithCertificate(tls.Certificate{})},
		"zero timeout":   {WithDomains("example.com"), WithCertificate(cert), WithTimeout(0)},
		"tiny max":       {WithDomains("example.com"), WithCertificate(cert), WithMaxStanza(10)},
		"nil clock":      {WithDomains("example.com"), WithCertificate(cert), WithClock(nil)},
		"bad addr":       {WithDomains("example.com"), WithCertificate(cert), WithAddr("256.0.0.1:x")},
	} {
		if s, err := Start(context.Background(), opts...); err == nil {
			s.Close()
			t.Errorf("%s: Start succeeded", name)
		}
	}
}
