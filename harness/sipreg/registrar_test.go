package sipreg_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/internal/testtoken"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

type rig struct {
	srv    *sipreg.Server
	clock  *clock
	issuer *testtoken.Issuer
}

func start(t testing.TB, opts ...sipreg.Option) *rig {
	t.Helper()
	ca, err := pki.NewCA("Test Root")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("ucm1.example.com", pki.WithDNSNames("ucm1.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{clock: &clock{now: time.Now()}, issuer: testtoken.New("k")}
	srv, err := sipreg.Start(context.Background(), append([]sipreg.Option{
		sipreg.WithCertificate(cert),
		sipreg.WithClock(r.clock.Now),
		sipreg.WithTokenValidator(r.issuer.Validate),
		sipreg.WithPlain("tcp", ""),
		sipreg.WithPlain("udp", ""),
		sipreg.WithUsers(sipreg.User{Name: "alice", Lines: []string{"1010"},
			Devices: []sipreg.Device{{Name: "CSFalice"}, {Name: "BOTALICE"}}}),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = srv
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

// register builds a REGISTER as sipp's scenario does.
func register(user, device, auth string, cseq, expires int) *sipreg.Message {
	m := &sipreg.Message{Method: "REGISTER", RequestURI: "sip:ucm1.example.com;transport=tcp"}
	m.Add("Via", "SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK"+sipreg.RandomHex(6))
	m.Add("From", "<sip:"+user+"@ucm1.example.com>;tag=1")
	m.Add("To", "<sip:"+user+"@ucm1.example.com>")
	m.Add("Call-ID", "reg-test")
	m.Add("CSeq", strconv.Itoa(cseq)+" REGISTER")
	contact := "<sip:" + user + "@127.0.0.1:5999;transport=tcp>"
	if device != "" {
		contact += `;+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>";+u.sip!devicename.ccm.cisco.com="` + device + `"`
	}
	m.Add("Contact", contact)
	if auth != "" {
		name, value, _ := strings.Cut(auth, ": ")
		m.Add(name, value)
	}
	m.Add("Expires", strconv.Itoa(expires))
	m.SetBody(nil)
	return m
}

type tcpClient struct {
	c  net.Conn
	br *bufio.Reader
}

func dialTCP(t testing.TB, addr string) *tcpClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &tcpClient{c: c, br: bufio.NewReader(c)}
}

func (tc *tcpClient) do(t testing.TB, m *sipreg.Message) *sipreg.Message {
	t.Helper()
	_ = tc.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := tc.c.Write(m.Bytes()); err != nil {
		t.Fatal(err)
	}
	for {
		res, err := sipreg.ReadMessage(tc.br, sipreg.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode >= 200 {
			return res
		}
	}
}

func TestUCMPlainTCP(t *testing.T) {
	r := start(t)
	c := dialTCP(t, r.srv.PlainAddr("tcp"))
	tok := r.issuer.Mint("alice", r.clock.Now().Add(time.Hour))

	res := c.do(t, register("alice", "CSFalice", "", 1, 3600))
	if res.StatusCode != 407 || res.Get("Proxy-Authenticate") != `Bearer realm="ccmsipline"` || res.Get("Server") != "Cisco-CUCM12.5" {
		t.Fatalf("challenge:\n%s", res)
	}
	for i, auth := range []string{
		`Proxy-Authorization: Bearer token="` + tok + `"`, // UCM form
		"Proxy-Authorization: Bearer " + tok,              // RFC 6750 form, also taken
	} {
		res = c.do(t, register("alice", "CSFalice", auth, 2+i, 3600))
		if res.StatusCode != 200 || res.Get("Expires") != "120" {
			t.Fatalf("%s:\n%s", auth[:40], res)
		}
		cs, err := sipreg.ParseContacts(res.Get("Contact"))
		if err != nil || len(cs) != 1 {
			t.Fatalf("200 Contact %q: %v", res.Get("Contact"), err)
		}
		if exp, _ := cs[0].Expires(); exp != 120 || cs[0].Has(sipreg.ParamNewReg) != (i == 0) {
			t.Errorf("contact %s: want expires=120, newreg only on the first", cs[0])
		}
	}
	if b := r.srv.Bindings(); len(b) != 1 || b[0].Device != "CSFalice" || b[0].Role != sipreg.RolePlain || b[0].User != "alice" {
		t.Fatalf("bindings %+v", b)
	}
	r.clock.Advance(121 * time.Second)
	if b := r.srv.Bindings(); len(b) != 0 {
		t.Errorf("binding outlived its expiry: %+v", b)
	}
	res = c.do(t, register("alice", "CSFalice", "Proxy-Authorization: Bearer "+tok, 9, 3600))
	cs, _ := sipreg.ParseContacts(res.Get("Contact"))
	if len(cs) != 1 || !cs[0].Has(sipreg.ParamNewReg) {
		t.Errorf("a registration after expiry must be new: %s", res.Get("Contact"))
	}

	// Wildcard removal (RFC 3261 §10.2.2).
	star := register("alice", "", "Proxy-Authorization: Bearer "+tok, 10, 0)
	star.Set("Contact", "*")
	if res = c.do(t, star); res.StatusCode != 200 || len(r.srv.Bindings()) != 0 {
		t.Fatalf("Contact: * : %d, bindings %+v", res.StatusCode, r.srv.Bindings())
	}

	got := r.srv.Received()
	for _, rq := range got {
		if strings.Contains(rq.Auth, tok) || strings.Contains(rq.Auth, "eyJ") {
			t.Errorf("Received keeps a token: %q", rq.Auth)
		}
	}
	if got[1].Auth != "Proxy-Authorization: Bearer [redacted]" || got[1].Transport != "TCP" || got[1].Note != "registered" {
		t.Errorf("Received[1] = %+v", got[1])
	}
}

func TestRFC8898Refusals(t *testing.T) {
	r := start(t, sipreg.WithProfile(sipreg.ProfileRFC8898), sipreg.WithHostname("registrar.example.org"))
	c := dialTCP(t, r.srv.PlainAddr("tcp"))
	res := c.do(t, register("alice", "", "", 1, 600))
	want := `Bearer realm="example.org", scope="sip:register", authz_server="https://as.example.org/"`
	if res.StatusCode != 401 || res.Get("WWW-Authenticate") != want {
		t.Fatalf("challenge:\n%s", res)
	}
	for _, tc := range []struct {
		name, tok string
		desc      string
	}{
		{"expired", r.issuer.Mint("alice", r.clock.Now().Add(-time.Second)), "expired"},
		{"tampered", testtoken.Tamper(r.issuer.Mint("alice", r.clock.Now().Add(time.Hour))), "signature"},
		{"unknown", "opaque-garbage", "not valid"},
	} {
		res := c.do(t, register("alice", "", "Authorization: Bearer "+tc.tok, 2, 600))
		ch, err := sipreg.ParseChallenge(res)
		if res.StatusCode != 401 || err != nil || ch.Error != sipreg.BearerInvalidToken || !strings.Contains(ch.ErrorDescription, tc.desc) {
			t.Errorf("%s: %d %+v %v", tc.name, res.StatusCode, ch, err)
		}
	}
	res = c.do(t, register("alice", "", "Authorization: Bearer "+r.issuer.Mint("alice", r.clock.Now().Add(time.Hour)), 3, 600))
	if res.StatusCode != 200 || res.Get("Expires") != "600" {
		t.Errorf("valid token:\n%s", res)
	}
	// RFC 8898 needs no device name.
	if b := r.srv.Bindings(); len(b) != 1 {
		t.Errorf("bindings %+v", b)
	}
}

func TestUDP(t *testing.T) {
	r := start(t)
	c, err := net.Dial("udp", r.srv.PlainAddr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := register("alice", "CSFalice", "", 1, 60)
	m.Set("Via", "SIP/2.0/UDP "+c.LocalAddr().String()+";branch=z9hG4bKudp1;rport")
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(m.Bytes()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65535)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sipreg.ParseMessage(buf[:n], sipreg.Limits{})
	if err != nil || res.StatusCode != 407 {
		t.Fatalf("UDP reply %v %v", res, err)
	}
}

func TestUnexpectedMethodFailsClose(t *testing.T) {
	r := start(t)
	c := dialTCP(t, r.srv.PlainAddr("tcp"))
	m := register("alice", "CSFalice", "", 1, 60)
	m.Method = "OPTIONS"
	m.Set("CSeq", "1 OPTIONS")
	if res := c.do(t, m); res.StatusCode != 405 {
		t.Fatalf("OPTIONS got %d", res.StatusCode)
	}
	err := r.srv.Close()
	if !errors.Is(err, sipreg.ErrUnexpected) || !strings.Contains(err.Error(), "OPTIONS") {
		t.Errorf("Close = %v, want ErrUnexpected naming OPTIONS", err)
	}
	if err2 := r.srv.Close(); !errors.Is(err2, sipreg.ErrUnexpected) {
		t.Errorf("second Close = %v", err2)
	}
}

func TestBadRequests(t *testing.T) {
	r := start(t)
	c := dialTCP(t, r.srv.PlainAddr("tcp"))
	for _, tc := range []struct {
		name string
		edit func(*sipreg.Message)
		code int
	}{
		{"no device name", func(m *sipreg.Message) { m.Set("Contact", "<sip:alice@127.0.0.1:5999>") }, 400},
		{"bad Expires", func(m *sipreg.Message) { m.Set("Expires", "soon") }, 400},
		// sipgo leaves Contact to the registrar, which refuses it.
		{"broken Contact", func(m *sipreg.Message) { m.Set("Contact", `<sip:alice@127.0.0.1;+x="1`) }, 400},
		{"star with expires", func(m *sipreg.Message) {
			m.Set("Contact", "*")
			m.Set("Proxy-Authorization", "Bearer "+r.issuer.Mint("alice", r.clock.Now().Add(time.Hour)))
		}, 400},
		{"broken credentials", func(m *sipreg.Message) { m.Set("Proxy-Authorization", `Bearer token="x`) }, 400},
		{"Digest credentials", func(m *sipreg.Message) { m.Set("Proxy-Authorization", `Digest username="alice"`) }, 407},
		{"unknown user", func(m *sipreg.Message) { m.Set("To", "<sip:carol@ucm1.example.com>") }, 404},
	} {
		m := register("alice", "CSFalice", "", 1, 60)
		tc.edit(m)
		if res := c.do(t, m); res.StatusCode != tc.code {
			t.Errorf("%s: got %d, want %d\n%s", tc.name, res.StatusCode, tc.code, res)
		}
	}
}

// A request sipgo cannot parse never reaches the fake: sipgo closes the
// connection and nothing is recorded.
func TestUnparseableRequestDropped(t *testing.T) {
	r := start(t)
	c := dialTCP(t, r.srv.PlainAddr("tcp"))
	m := register("alice", "CSFalice", "", 1, 60)
	m.Set("From", `<sip:alice@127.0.0.1;+x="1`)
	_ = c.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write(m.Bytes()); err != nil {
		t.Fatal(err)
	}
	if res, err := sipreg.ReadMessage(c.br, sipreg.Limits{}); err == nil {
		t.Fatalf("got a reply: %s", res)
	}
	if got := r.srv.Received(); len(got) != 0 {
		t.Errorf("Received %+v", got)
	}
}

func TestHook(t *testing.T) {
	r := start(t, sipreg.OnRegister(func(req *sip.Request) *sip.Response {
		return sip.NewResponseFromRequest(req, 503, "Service Unavailable", nil)
	}))
	c := dialTCP(t, r.srv.PlainAddr("tcp"))
	if res := c.do(t, register("alice", "CSFalice", "", 1, 60)); res.StatusCode != 503 {
		t.Errorf("hook ignored: %d", res.StatusCode)
	}
	if got := r.srv.Received(); len(got) != 1 || got[0].Note != "hook" {
		t.Errorf("Received %+v", got)
	}
}

func TestOptionErrors(t *testing.T) {
	ctx := context.Background()
	for name, opts := range map[string][]sipreg.Option{
		"no certificate":   nil,
		"bad profile":      {sipreg.WithProfile("sbc")},
		"duplicate user":   {sipreg.WithUsers(sipreg.User{Name: "a"}, sipreg.User{Name: "A"})},
		"shared device":    {sipreg.WithUsers(sipreg.User{Name: "a", Devices: []sipreg.Device{{Name: "CSFa"}}}, sipreg.User{Name: "b", Devices: []sipreg.Device{{Name: "csfa"}}})},
		"http authz":       {sipreg.WithAuthzServer("http://as.example.com")},
		"bad malformed":    {sipreg.Malformed("weird")},
		"bad plain":        {sipreg.WithPlain("sctp", "")},
		"MRA sans signers": {sipreg.WithMRA("", nil)},
	} {
		if _, err := sipreg.Start(ctx, opts...); err == nil || !strings.HasPrefix(err.Error(), "sipreg: option: ") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := sipreg.Start(done); !errors.Is(err, context.Canceled) {
		t.Errorf("done context: %v", err)
	}
}
