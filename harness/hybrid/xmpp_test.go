package hybrid_test

import (
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"example.com/cutover/harness/hybrid"
	"example.com/cutover/harness/pki"
)

func tlsPair(t *testing.T) (*tls.Config, *tls.Config) {
	t.Helper()
	ca, err := pki.NewCA("xmpp test")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("example.com", pki.WithDNSNames("example.com"))
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, &tls.Config{RootCAs: ca.Pool(), ServerName: "example.com"}
}

// TestC2SRoundTrip: STARTTLS, SASL PLAIN and binding on both sides, then a
// message each way with rich text and a file offer intact.
func TestC2SRoundTrip(t *testing.T) {
	srvCfg, cliCfg := tlsPair(t)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	type served struct {
		s   *hybrid.Stream
		jid string
		err error
	}
	ch := make(chan served, 1)
	go func() {
		s, jid, err := hybrid.ServeC2S(a, srvCfg, "example.com", func(u, p string) (string, bool) {
			return u + "@example.com", u == "alice" && p == "pw"
		})
		ch <- served{s, jid, err}
	}()
	cs, full, err := hybrid.DialC2S(b, cliCfg, "example.com", "alice", "pw", "cutover")
	if err != nil {
		t.Fatal(err)
	}
	srv := <-ch
	if srv.err != nil || srv.jid != "alice@example.com" || full != "alice@example.com/cutover" {
		t.Fatalf("bound %q / %q, %v", srv.jid, full, srv.err)
	}
	c := hybrid.NewClient(cs, hybrid.Bare(full))
	sent := hybrid.Message{ID: "m1", To: "bob@example.com", Type: hybrid.TypeChat, Body: "hi <there> & 'you'",
		HTML: `<body xmlns="http://www.w3.org/1999/xhtml"><p>hi</p></body>`, Files: []hybrid.File{{Name: "a.txt", URL: "https://example.com/a.txt"}}}
	go func() { _ = c.Send(hybrid.StanzaOf(sent)) }()
	in, err := srv.s.Next()
	if err != nil {
		t.Fatal(err)
	}
	got := in.Message()
	if got.Body != sent.Body || got.To != "bob@example.com" || !strings.Contains(got.HTML, "<p>hi</p>") || len(got.Files) != 1 || got.Files[0].URL != sent.Files[0].URL {
		t.Errorf("server read %+v", got)
	}
	go func() {
		_ = srv.s.Send(hybrid.StanzaOf(hybrid.Message{ID: "m1", From: "bob@example.com", To: "alice@example.com", Type: hybrid.TypeError, Error: "not bridged"}))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	back, err := c.Wait(ctx, func(s hybrid.Stanza) bool { return s.ID == "m1" })
	if err != nil || back.Type != hybrid.TypeError || back.Message().Error != "not bridged" {
		t.Errorf("client got %+v, %v", back, err)
	}
}

func TestC2SRefusesAWrongPassword(t *testing.T) {
	srvCfg, cliCfg := tlsPair(t)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() {
		_, _, _ = hybrid.ServeC2S(a, srvCfg, "example.com", func(string, string) (string, bool) { return "", false })
	}()
	if _, _, err := hybrid.DialC2S(b, cliCfg, "example.com", "alice", "bad", "x"); !errors.Is(err, hybrid.ErrAuth) {
		t.Fatalf("want ErrAuth, got %v", err)
	}
}

// TestComponentLink: the connector's stream to IM&P carries presence
// probes both ways.
func TestComponentLink(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ch := make(chan *hybrid.Stream, 1)
	go func() {
		s, err := hybrid.ComponentAccept(a, "example.com")
		if err != nil {
			t.Error(err)
		}
		ch <- s
	}()
	conn, err := hybrid.ComponentOpen(b, "hybrid.example.com")
	if err != nil {
		t.Fatal(err)
	}
	imp := <-ch
	go func() {
		_ = imp.Send(hybrid.Stanza{XMLName: xml.Name{Local: "presence"}, Type: "probe", To: "bob@example.com", ID: "p1"})
	}()
	in, err := conn.Next()
	if err != nil || in.XMLName.Local != "presence" || in.Type != "probe" || in.ID != "p1" {
		t.Fatalf("connector read %+v, %v", in, err)
	}
}

func TestAXLListUsers(t *testing.T) {
	dir := []hybrid.User{{UserID: "alice", DirectoryURI: "alice@example.com", Enabled: true}, {UserID: "b&smith", DirectoryURI: "", Enabled: false}}
	srv := httptest.NewTLSServer(hybrid.AXLHandler(func() []hybrid.User { return dir }, nil, "axl", "pw", false))
	defer srv.Close()
	users, status, _, err := hybrid.ListUsers(context.Background(), srv.Client(), srv.URL, "axl", "pw", "Example.com")
	if err != nil || status != 200 || len(users) != 2 {
		t.Fatalf("%d users, %d, %v", len(users), status, err)
	}
	if users[0].JID != "alice@example.com" || !users[0].Enabled || users[1].UserID != "b&smith" || users[1].Enabled || users[1].DirectoryURI != "" {
		t.Errorf("users %+v", users)
	}
	if _, status, _, err := hybrid.ListUsers(context.Background(), srv.Client(), srv.URL, "", "", "example.com"); status != 401 || !errors.Is(err, hybrid.ErrAXL) {
		t.Errorf("without credentials: %d %v", status, err)
	}
}
