package xmpps2s

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/dnsfake"
)

// The interop tests run only under scripts/interop-prosody.sh, which
// starts Prosody (Debian's prosody) on loopback for example.com; the test
// plays the partner example.net and serves the SRV records of both
// domains from a dnsfake that Prosody's libunbound forwards to.
//
//	CUTOVER_INTEROP_PROSODY_SETUP=dir   write the certificates into dir
//	CUTOVER_INTEROP_PROSODY=dir          run against the Prosody started
//	CUTOVER_INTEROP_MODE=external|dialback
//	CUTOVER_INTEROP_DNS=127.0.0.1:port   where the dnsfake listens
//	CUTOVER_INTEROP_PARTNER=127.0.0.1:port
//	CUTOVER_INTEROP_PROSODY_S2S=port  CUTOVER_INTEROP_PROSODY_C2S=127.0.0.1:port
//	CUTOVER_INTEROP_PASSWORD=alice's password on Prosody

func writePEM(t *testing.T, path string, blocks ...*pem.Block) {
	t.Helper()
	var b []byte
	for _, blk := range blocks {
		b = append(b, pem.EncodeToMemory(blk)...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writePair(t *testing.T, dir, name string, c tls.Certificate) {
	t.Helper()
	writePEM(t, filepath.Join(dir, name+".crt"), &pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]})
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(dir, name+".key"), &pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// TestInteropProsodySetup writes, per mode, the roots each side trusts and
// the certificates of Prosody (example.com) and of our partner
// (example.net): in external/ one CA signs both and both trust it; in
// dialback/ each is signed by its own CA and both trust a third one, so
// neither certificate verifies.
func TestInteropProsodySetup(t *testing.T) {
	dir := os.Getenv("CUTOVER_INTEROP_PROSODY_SETUP")
	if dir == "" {
		t.Skip("set CUTOVER_INTEROP_PROSODY_SETUP=dir (scripts/interop-prosody.sh does)")
	}
	for _, mode := range []string{"external", "dialback"} {
		d := filepath.Join(dir, mode)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		ca := newCA(t, "Interop Root "+mode)
		prosodyCA, partnerCA := ca, ca
		if mode == "dialback" {
			prosodyCA, partnerCA = newCA(t, "Prosody Own Root"), newCA(t, "Partner Own Root")
		}
		p, err := IssueCertificate(prosodyCA, "example.com", CertDNS("example.com", "xmpp.example.com"), CertSRV("_xmpp-server.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		q, err := IssueCertificate(partnerCA, "example.net", CertDNS("example.net", "xmpp.example.net"), CertXmppAddr("example.net"))
		if err != nil {
			t.Fatal(err)
		}
		writePEM(t, filepath.Join(d, "ca.pem"), &pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
		// The c2s client trusts whatever signed Prosody's certificate.
		writePEM(t, filepath.Join(d, "c2s-ca.pem"), &pem.Block{Type: "CERTIFICATE", Bytes: prosodyCA.Cert.Raw})
		writePair(t, d, "prosody", p)
		writePair(t, d, "partner", q)
	}
}

func interopEnv(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set", name)
	}
	return v
}

func loadPool(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("%s: no certificate", path)
	}
	return pool
}

// c2sUser is alice logged in to Prosody over c2s: she answers every chat
// message from example.net with an echo, and records what she received.
type c2sUser struct {
	sess *xmpp.Session
	got  chan stanza.Message
	body chan string
}

func loginProsody(t *testing.T, ctx context.Context, addr, password string, roots *x509.CertPool) *c2sUser {
	t.Helper()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	alice := jid.MustParse("alice@example.com/interop")
	sess, err := xmpp.NewClientSession(ctx, alice, conn,
		xmpp.StartTLS(&tls.Config{ServerName: "example.com", RootCAs: roots, MinVersion: tls.VersionTLS12}),
		xmpp.SASL("", password, sasl.ScramSha1, sasl.Plain),
		xmpp.BindResource())
	if err != nil {
		t.Fatalf("c2s login to Prosody as %s: %v", alice, err)
	}
	u := &c2sUser{sess: sess, got: make(chan stanza.Message, 8), body: make(chan string, 8)}
	go func() {
		_ = sess.Serve(xmpp.HandlerFunc(func(r xmlstream.TokenReadEncoder, start *xml.StartElement) error {
			if start.Name.Local != "message" {
				return nil
			}
			var m struct {
				stanza.Message
				Body   string `xml:"body"`
				Thread string `xml:"thread"`
			}
			if err := xml.NewTokenDecoder(xmlstream.MultiReader(xmlstream.Token(*start), r)).Decode(&m); err != nil {
				return nil
			}
			u.got <- m.Message
			u.body <- m.Body
			if m.Type == stanza.ErrorMessage || m.Body == "" || strings.HasPrefix(m.Body, EchoPrefix) {
				return nil
			}
			reply := stanza.Message{To: m.From, Type: stanza.ChatMessage}
			_, err := xmlstream.Copy(r, reply.Wrap(xmlstream.MultiReader(
				xmlstream.Wrap(xmlstream.Token(xml.CharData(EchoPrefix+m.Body)), xml.StartElement{Name: xml.Name{Local: "body"}}),
				xmlstream.Wrap(xmlstream.Token(xml.CharData(m.Thread)), xml.StartElement{Name: xml.Name{Local: "thread"}}))))
			return err
		}))
	}()
	if err := sess.Send(ctx, stanza.Presence{}.Wrap(nil)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	return u
}

func TestInteropProsody(t *testing.T) {
	dir := os.Getenv("CUTOVER_INTEROP_PROSODY")
	if dir == "" {
		t.Skip("interop with Prosody runs under scripts/interop-prosody.sh (CUTOVER_INTEROP_PROSODY=dir)")
	}
	mode := interopEnv(t, "CUTOVER_INTEROP_MODE")
	d := filepath.Join(dir, mode)
	s2sPort, err := strconv.Atoi(interopEnv(t, "CUTOVER_INTEROP_PROSODY_S2S"))
	if err != nil {
		t.Fatal(err)
	}
	partnerAddr := interopEnv(t, "CUTOVER_INTEROP_PARTNER")
	_, pp, _ := net.SplitHostPort(partnerAddr)
	partnerPort, _ := strconv.Atoi(pp)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	zone := srvZone("example.com", s2sPort) + srvZone("example.net", partnerPort)
	dns, err := dnsfake.Start(ctx, dnsfake.WithAddr(interopEnv(t, "CUTOVER_INTEROP_DNS")), dnsfake.WithZoneText(zone))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		var qs []string
		for _, q := range dns.Received() {
			qs = append(qs, q.Name+" "+strconv.Itoa(int(q.Type)))
		}
		t.Logf("dnsfake answered %d queries: %s", len(qs), strings.Join(qs, ", "))
		dns.Close()
	}()
	res := dnsclient.New(dns.Addr(), dnsclient.WithTimeout(2*time.Second))

	partnerCert, err := tls.LoadX509KeyPair(filepath.Join(d, "partner.crt"), filepath.Join(d, "partner.key"))
	if err != nil {
		t.Fatal(err)
	}
	opts := []Option{WithDomains("example.net"), WithAddr(partnerAddr), WithCertificate(partnerCert),
		WithRoots(loadPool(t, filepath.Join(d, "ca.pem"))), WithUsers("bob"), WithEcho("echo"),
		WithDialer(loopbackDialer(res)), WithResolver(res), WithTimeout(20 * time.Second)}
	if mode == "external" {
		opts = append(opts, RequireAuthenticatedTLS())
	}
	partner, err := Start(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := partner.Close(); err != nil {
			t.Errorf("partner Close: %v", err)
		}
	}()

	alice := loginProsody(t, ctx, interopEnv(t, "CUTOVER_INTEROP_PROSODY_C2S"), interopEnv(t, "CUTOVER_INTEROP_PASSWORD"), loadPool(t, filepath.Join(d, "c2s-ca.pem")))

	// 1. Our partner → Prosody: bob's message reaches alice, whose reply
	// comes back over the stream Prosody opens to example.net.
	r, err := partner.Probe(ctx, ProbeMessage{From: "bob@example.net", To: "alice@example.com", Body: "hello from the partner"})
	if err != nil {
		t.Fatalf("probe bob → alice: %v\n%s\npartner events:\n%s", err, r, events(partner))
	}
	t.Logf("bob → alice: tls %s %s, certificate %s %s, auth %s; reply %q from %s",
		r.TLS, r.TLSVersion, r.Identity, r.CertError, r.Auth, r.Reply.Body, r.Reply.From)
	wantAuth := map[string]string{"external": "external", "dialback": "dialback"}[mode]
	if r.Auth != wantAuth {
		t.Errorf("our stream to Prosody authenticated with %q, want %q\n%s", r.Auth, wantAuth, r)
	}
	if (mode == "external") != (r.CertError == "") {
		t.Errorf("certificate error %q in mode %s", r.CertError, mode)
	}
	if r.Reply.Body != EchoPrefix+"hello from the partner" {
		t.Errorf("reply %+v", r.Reply)
	}

	// 2. Prosody → our partner: alice writes to echo@example.net, our fake
	// answers over its own outbound stream to Prosody.
	msg := stanza.Message{To: jid.MustParse("echo@example.net"), Type: stanza.ChatMessage}
	if err := alice.sess.Send(ctx, msg.Wrap(xmlstream.Wrap(xmlstream.Token(xml.CharData("hello from prosody")), xml.StartElement{Name: xml.Name{Local: "body"}}))); err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		select {
		case b := <-alice.body:
			done = b == EchoPrefix+"hello from prosody"
		case <-ctx.Done():
			t.Fatalf("alice got no echo from echo@example.net\n%s", events(partner))
		}
	}
	inAuth := ""
	for _, e := range partner.Received() {
		if strings.HasPrefix(e.Stream, "in-") && e.Remote == "example.com" && strings.Contains(e.Note, "succeeded") {
			inAuth = e.Note
		}
	}
	t.Logf("Prosody → partner: inbound stream from example.com: %s; delivered to our users: %d", inAuth, len(partner.Delivered()))
	if !strings.Contains(strings.ToLower(inAuth), wantAuth) {
		t.Errorf("Prosody's stream to us: %q, want %s\n%s", inAuth, wantAuth, events(partner))
	}
	fmt.Fprintf(os.Stderr, "INTEROP %s: bob→alice %s/%s reply ok; alice→echo via Prosody's stream (%s) ok\n", mode, r.TLS, r.Auth, inAuth)
}

func events(s *Server) string {
	var b strings.Builder
	for _, e := range s.Received() {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}
