package target

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"example.com/cutover/harness/connectproxy"
)

func TestConnectToPrecedence(t *testing.T) {
	tg := New(&Site{ConnectTo: []ConnectTo{
		{From: "ucm1.example.com:8443", To: "127.0.0.1:1001"},
		{From: "127.0.1.1:8443", To: "127.0.0.1:1002"},
	}})
	for _, tc := range []struct {
		host, ip, port, want string
	}{
		{"ucm1.example.com", "127.0.1.1", "8443", "127.0.0.1:1002"}, // ip:port wins
		{"UCM1.example.com.", "127.0.1.9", "8443", "127.0.0.1:1001"},
		{"ucm2.example.com", "127.0.1.2", "8443", "127.0.1.2:8443"}, // no entry: as resolved
		{"ucm1.example.com", "127.0.1.9", "5060", "127.0.1.9:5060"},
	} {
		if got := tg.connectTo(tc.host, netip.MustParseAddr(tc.ip), tc.port); got != tc.want {
			t.Errorf("connectTo(%s, %s, %s) = %s, want %s", tc.host, tc.ip, tc.port, got, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tg := New(&Site{Users: []User{{Username: "alice", Password: "hunter2-secret"}}})
	tg.AddSecret("eyJhbGciOi.token")
	in := "GET /x\nAuthorization: Basic YWxpY2U6aHVudGVyMg==\nbody has hunter2-secret and eyJhbGciOi.token\nproxy-authorization: Bearer abc\n"
	out := tg.Redact(in)
	for _, leak := range []string{"hunter2-secret", "eyJhbGciOi.token", "YWxpY2U6aHVudGVyMg==", "Bearer abc"} {
		if strings.Contains(out, leak) {
			t.Errorf("leaked %q:\n%s", leak, out)
		}
	}
	if !strings.Contains(out, "GET /x") || strings.Count(out, "[REDACTED]") != 4 {
		t.Errorf("redaction mangled the text:\n%s", out)
	}
}

// TestRedactEveryForm: a secret echoed back in another form than the one
// sent (Basic base64 of user:password, base64, URL- and path-escaped,
// JSON-escaped, Go-quoted) is redacted too.
func TestRedactEveryForm(t *testing.T) {
	const pw = `p@ss w/rd"\ü`
	tg := New(&Site{Users: []User{{Username: "alice", Password: pw}}})
	for _, form := range SecretForms("alice", pw) {
		out := tg.Redact("echo: " + form + " :end")
		if strings.Contains(out, form) || out != "echo: [REDACTED] :end" {
			t.Errorf("form %q: got %q", form, out)
		}
	}
}

func TestDialUnresolvableNameFails(t *testing.T) {
	tg := New(&Site{Domains: Domains{Services: "example.com"}, Vantage: Vantages{Inside: Vantage{Resolver: "127.0.0.1:1"}}, Limits: Limits{Timeout: Duration(200e6)}})
	_, err := tg.DialContext(Inside)(context.Background(), "tcp", "nowhere.example.com:8443")
	if !errors.Is(err, ErrNoAddress) {
		t.Fatalf("want ErrNoAddress, got %v", err)
	}
}

// TestDialThroughVantageProxy: with a proxy, connections leave from it.
func TestDialThroughVantageProxy(t *testing.T) {
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	go func() {
		if c, err := target.Accept(); err == nil {
			c.Close()
		}
	}()
	p, err := connectproxy.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Unbounded: the test dials an IP literal, which the site boundary refuses.
	tg := New(&Site{Vantage: Vantages{Outside: Vantage{Proxy: p.Addr()}}, Limits: Limits{Timeout: Duration(2e9)}}, Unbounded())
	c, err := tg.DialContext(Outside)(context.Background(), "tcp", target.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := p.Received(); len(got) != 1 || got[0] != target.Addr().String() {
		t.Fatalf("proxy saw %v, want one CONNECT to %s", got, target.Addr())
	}
	if _, err := tg.DialContext(Inside)(context.Background(), "tcp", target.Addr().String()); err != nil {
		t.Fatalf("inside has no proxy and dials directly: %v", err)
	}
	if n := len(p.Received()); n != 1 {
		t.Fatalf("the inside dial went through the outside proxy (%d CONNECTs)", n)
	}
}
