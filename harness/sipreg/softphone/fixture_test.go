package softphone_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/sipreg"
	"example.com/cutover/harness/sipreg/internal/testtoken"
	"example.com/cutover/harness/sipreg/softphone"
)

// clock is a fake time source the client's waits move forward.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// wait is a softphone.WithWait that moves the clock instead of sleeping.
func (c *clock) wait(_ context.Context, d time.Duration) error { c.Advance(d); return nil }

// fixture is one registrar fake, its PKI and a client pointed at it.
type fixture struct {
	t      testing.TB
	clock  *clock
	ca     *pki.CA // signs the registrar's certificate
	expCA  *pki.CA // signs Expressway-C's client certificate
	issuer *testtoken.Issuer
	srv    *sipreg.Server
}

func users() []sipreg.User {
	var alice []sipreg.Device
	for _, t := range sipreg.DeviceTypes() {
		alice = append(alice, sipreg.Device{Name: t.DeviceName("alice")})
	}
	return []sipreg.User{
		{Name: "alice", Lines: []string{"1010"}, Devices: alice},
		{Name: "bob", Devices: []sipreg.Device{{Name: "CSFbob"}}},
	}
}

func mustCA(t testing.TB, name string) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA(name)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func mustIssue(t testing.TB, ca *pki.CA, cn string, opts ...pki.LeafOption) tls.Certificate {
	t.Helper()
	cert, err := ca.Issue(cn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// newFixture starts a registrar with alice and bob; cert overrides the
// registrar's certificate when non-nil.
func newFixture(t testing.TB, cert *tls.Certificate, opts ...sipreg.Option) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: newClock(), ca: mustCA(t, "Test Root"), expCA: mustCA(t, "Expressway-C Signer"),
		issuer: testtoken.New("test-key")}
	c := mustIssue(t, f.ca, "ucm1.example.com", pki.WithDNSNames("ucm1.example.com"))
	if cert != nil {
		c = *cert
	}
	all := append([]sipreg.Option{
		sipreg.WithCertificate(c),
		sipreg.WithClock(f.clock.Now),
		sipreg.WithTokenValidator(f.issuer.Validate),
		sipreg.WithUsers(users()...),
		sipreg.WithMRA("127.0.0.1:0", f.expCA.Pool(), "expc1.example.com"),
	}, opts...)
	srv, err := sipreg.Start(context.Background(), all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	f.srv = srv
	return f
}

// dial maps the registrar's names to the fake.
func (f *fixture) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	switch addr {
	case "ucm1.example.com:5090":
		addr = f.srv.Addr()
	case "ucm1.example.com:5091":
		addr = f.srv.MRAAddr()
	default:
		return nil, fmt.Errorf("test dialer: no route to %s", addr)
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// client builds a client trusting f.ca, waiting by moving the clock.
func (f *fixture) client(extra ...softphone.Option) *softphone.Client {
	f.t.Helper()
	c, err := softphone.New(append([]softphone.Option{
		softphone.WithDialer(f.dial),
		softphone.WithTLSConfig(&tls.Config{RootCAs: f.ca.Pool()}),
		softphone.WithClock(f.clock.Now),
		softphone.WithWait(f.clock.wait),
		softphone.WithTimeout(2 * time.Second),
	}, extra...)...)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// token mints a token for user valid for an hour from the fake clock.
func (f *fixture) token(user string) string { return f.issuer.Mint(user, f.clock.Now().Add(time.Hour)) }

func (f *fixture) reg(user string, dt sipreg.DeviceType, tok string) softphone.Registration {
	return softphone.Registration{Registrar: "ucm1.example.com:5090", User: user, Device: dt,
		DeviceName: dt.DeviceName("alice"), Tokens: softphone.StaticToken(tok)}
}

// noBindings fails when the fake still holds a binding: lab mode must
// leave none.
func (f *fixture) noBindings() {
	f.t.Helper()
	if b := f.srv.Bindings(); len(b) > 0 {
		f.t.Errorf("bindings left on the registrar: %+v", b)
	}
}

// sentToken reports whether any request carried credentials.
func (f *fixture) sentToken() bool {
	for _, r := range f.srv.Received() {
		if r.Auth != "" {
			return true
		}
	}
	return false
}
