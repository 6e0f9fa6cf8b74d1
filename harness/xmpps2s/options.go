package xmpps2s

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"strings"
	"time"
)

// Option configures a Server; errors surface from Start.
type Option func(*config) error

type config struct {
	addr, directAddr string
	ln, directLn     net.Listener
	tlsBase          *tls.Config
	certs            []tls.Certificate
	roots            *x509.CertPool
	domains          []string
	users            map[string]bool // localpart → echo
	allow            map[string]bool
	allowSet         bool
	block            map[string]bool
	refuseGroupchat  bool
	requireAuthTLS   bool
	dialer           Dialer
	resolver         Resolver
	rnd              *mrand.Rand
	clock            func() time.Time
	timeout          time.Duration
	maxStanza        int
	secret           []byte
	maxEvents        int

	// faults
	stallAfterHeader bool
	closeEarly       bool
	policyFor        map[string]bool
	wrongCert        *tls.Certificate
	noDialback       bool
	refuseExternal   bool
	noExternal       bool
	noStartTLS       bool
	neverDeliver     bool
	remoteNotFound   bool
	acceptGroupchat  bool
	secretMismatch   bool
	garbage          bool
	oversized        int
}

func defaultConfig() *config {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	return &config{
		addr:      "127.0.0.1:0",
		users:     map[string]bool{},
		allow:     map[string]bool{},
		block:     map[string]bool{},
		policyFor: map[string]bool{},
		clock:     time.Now,
		timeout:   10 * time.Second,
		maxStanza: defaultLimit,
		secret:    secret,
		maxEvents: 10000,
	}
}

func domainList(op string, domains []string) ([]string, error) {
	out := make([]string, 0, len(domains))
	for _, d := range domains {
		c, err := ParseDomain(d)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// WithAddr sets the STARTTLS listener address; default 127.0.0.1:0.
func WithAddr(addr string) Option {
	return func(c *config) error {
		if addr == "" {
			return errors.New("with addr: empty address")
		}
		c.addr = addr
		return nil
	}
}

// WithListener serves STARTTLS streams on ln (the site model's port 5269
// or any port its SRV records name); Close closes it.
func WithListener(ln net.Listener) Option {
	return func(c *config) error {
		if ln == nil {
			return errors.New("with listener: nil listener")
		}
		c.ln = ln
		return nil
	}
}

// WithDirectTLSAddr adds a direct TLS listener (XEP-0368, ALPN
// xmpp-server) on addr, e.g. "127.0.0.1:0". Default: none.
func WithDirectTLSAddr(addr string) Option {
	return func(c *config) error {
		if addr == "" {
			return errors.New("with direct tls addr: empty address")
		}
		c.directAddr = addr
		return nil
	}
}

// WithDirectTLSListener serves direct TLS streams on ln.
func WithDirectTLSListener(ln net.Listener) Option {
	return func(c *config) error {
		if ln == nil {
			return errors.New("with direct tls listener: nil listener")
		}
		c.directLn = ln
		return nil
	}
}

// WithTLSConfig is the base TLS configuration: its Certificates are added
// to the served certificates and its RootCAs (or ClientCAs) become the
// trust roots when WithRoots is not given. Other fields (versions, cipher
// suites) apply to every connection.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(c *config) error {
		if cfg == nil {
			return errors.New("with tls config: nil config")
		}
		c.tlsBase = cfg.Clone()
		return nil
	}
}

// WithCertificate adds a certificate for the served domains; with several,
// the one whose names match the SNI or the local domain is used, else the
// first. Required (here or in WithTLSConfig) unless NoStartTLS.
func WithCertificate(certs ...tls.Certificate) Option {
	return func(c *config) error {
		for i, cert := range certs {
			if len(cert.Certificate) == 0 || cert.PrivateKey == nil {
				return fmt.Errorf("with certificate: certificate %d is empty", i)
			}
			if cert.Leaf == nil {
				leaf, err := x509.ParseCertificate(cert.Certificate[0])
				if err != nil {
					return fmt.Errorf("with certificate: %w", err)
				}
				cert.Leaf = leaf
			}
			c.certs = append(c.certs, cert)
		}
		return nil
	}
}

// WithRoots sets the roots that peers' certificates must chain to, both
// for SASL EXTERNAL on inbound streams and for verifying the servers it
// dials. Default: none, so no peer certificate verifies and only dialback
// can authenticate.
func WithRoots(pool *x509.CertPool) Option {
	return func(c *config) error { c.roots = pool; return nil }
}

// WithDomains sets the XMPP domains served; required. The first is the
// default local domain.
func WithDomains(domains ...string) Option {
	return func(c *config) error {
		ds, err := domainList("with domains", domains)
		if err != nil {
			return err
		}
		c.domains = append(c.domains, ds...)
		return nil
	}
}

// WithUsers adds local users (localparts, valid in every served domain).
// Messages to other localparts bounce with <service-unavailable/>.
func WithUsers(localparts ...string) Option {
	return func(c *config) error {
		for _, u := range localparts {
			if err := checkLocal(u); err != nil {
				return fmt.Errorf("with users: %w", err)
			}
			if _, ok := c.users[strings.ToLower(u)]; !ok {
				c.users[strings.ToLower(u)] = false
			}
		}
		return nil
	}
}

// WithEcho adds local users that answer every chat or normal message with
// a body: the reply goes to the sender over this server's own outbound
// stream to the sender's domain, with the same thread and the body
// prefixed by EchoPrefix. It is the proof of delivery a fake gives.
func WithEcho(localparts ...string) Option {
	return func(c *config) error {
		for _, u := range localparts {
			if err := checkLocal(u); err != nil {
				return fmt.Errorf("with echo: %w", err)
			}
			c.users[strings.ToLower(u)] = true
		}
		return nil
	}
}

func checkLocal(u string) error {
	if _, err := ParseAddress(u + "@example.com"); err != nil || u == "" || strings.ContainsAny(u, "@/") {
		return fmt.Errorf("%w: bad localpart %q", ErrJID, u)
	}
	return nil
}

// WithAllowList allows only these remote domains (streams from others get
// <policy-violation/>, messages to them are not sent). With no arguments
// it allows none: Expressway's and Webex's privacy mode, an empty allow
// list. Default: no allow list, every domain allowed unless blocked.
func WithAllowList(domains ...string) Option {
	return func(c *config) error {
		ds, err := domainList("with allow list", domains)
		if err != nil {
			return err
		}
		c.allowSet = true
		for _, d := range ds {
			c.allow[d] = true
		}
		return nil
	}
}

// WithBlockList refuses these remote domains (checked after the allow
// list).
func WithBlockList(domains ...string) Option {
	return func(c *config) error {
		ds, err := domainList("with block list", domains)
		if err != nil {
			return err
		}
		for _, d := range ds {
			c.block[d] = true
		}
		return nil
	}
}

// RefuseGroupchat bounces type="groupchat" messages with
// <service-unavailable/> (RFC 6121 §8.5.2): Webex federates 1:1 chat
// only.
func RefuseGroupchat() Option {
	return func(c *config) error { c.refuseGroupchat = true; return nil }
}

// RequireAuthenticatedTLS accepts only SASL EXTERNAL with a certificate
// that verifies (Prosody's s2s_secure_auth): dialback is neither offered
// nor accepted, and outbound streams fail when the peer's certificate does
// not verify.
func RequireAuthenticatedTLS() Option {
	return func(c *config) error { c.requireAuthTLS = true; return nil }
}

// WithDialer sets how outbound streams connect (replies, bounces,
// dialback verification, Probe). Required for any outbound traffic.
func WithDialer(d Dialer) Option {
	return func(c *config) error { c.dialer = d; return nil }
}

// WithResolver sets where outbound streams look up SRV and A/AAAA records.
// Required for any outbound traffic.
func WithResolver(r Resolver) Option {
	return func(c *config) error { c.resolver = r; return nil }
}

// WithRand seeds the SRV weight draws (reproducible order); default random.
func WithRand(rnd *mrand.Rand) Option {
	return func(c *config) error { c.rnd = rnd; return nil }
}

// WithClock sets the clock for timestamps and certificate validity;
// default time.Now.
func WithClock(clock func() time.Time) Option {
	return func(c *config) error {
		if clock == nil {
			return errors.New("with clock: nil clock")
		}
		c.clock = clock
		return nil
	}
}

// WithTimeout bounds the negotiation of each stream (header to
// authentication) and each outbound dial and verification; default 10s.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("with timeout: %v is not positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithMaxStanza caps every received element (and the stream header at
// 4 KiB); default 64 KiB. Over it, the stream ends with
// <policy-violation/> (RFC 6120 §13.12).
func WithMaxStanza(n int) Option {
	return func(c *config) error {
		if n < 512 {
			return fmt.Errorf("with max stanza: %d is under 512", n)
		}
		c.maxStanza = n
		return nil
	}
}

// WithDialbackSecret sets the XEP-0185 secret; default random per Start.
func WithDialbackSecret(secret []byte) Option {
	return func(c *config) error {
		if len(secret) == 0 {
			return errors.New("with dialback secret: empty secret")
		}
		c.secret = append([]byte(nil), secret...)
		return nil
	}
}

// WithEventLimit bounds Received (oldest dropped first); default 10000.
func WithEventLimit(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("with event limit: %d", n)
		}
		c.maxEvents = n
		return nil
	}
}

// StallAfterHeader is a fault: inbound streams get the response header,
// then nothing until the peer gives up (no features).
func StallAfterHeader() Option {
	return func(c *config) error { c.stallAfterHeader = true; return nil }
}

// CloseEarly is a fault: inbound connections are closed right after the
// peer's stream header, without a response.
func CloseEarly() Option {
	return func(c *config) error { c.closeEarly = true; return nil }
}

// PolicyViolation is a fault: streams from these remote domains (all when
// none given) end with <policy-violation/> after the header, as a
// misconfigured allow list would.
func PolicyViolation(domains ...string) Option {
	return func(c *config) error {
		ds, err := domainList("policy violation", domains)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			ds = []string{"*"}
		}
		for _, d := range ds {
			c.policyFor[d] = true
		}
		return nil
	}
}

// WrongCertificate is a fault: every TLS handshake presents cert (e.g. one
// issued for another name, or by an untrusted CA) instead of the right one.
func WrongCertificate(cert tls.Certificate) Option {
	return func(c *config) error {
		if len(cert.Certificate) == 0 {
			return errors.New("wrong certificate: empty certificate")
		}
		c.wrongCert = &cert
		return nil
	}
}

// NoDialback is a fault: dialback is not offered (no feature, no xmlns:db)
// and a <db:result/> is answered with <not-authorized/>.
func NoDialback() Option {
	return func(c *config) error { c.noDialback = true; return nil }
}

// RefuseExternal is a fault: SASL EXTERNAL is offered but always fails
// with <not-authorized/>.
func RefuseExternal() Option {
	return func(c *config) error { c.refuseExternal = true; return nil }
}

// NoExternal is a fault: SASL EXTERNAL is never offered, even when the
// peer's certificate verifies.
func NoExternal() Option {
	return func(c *config) error { c.noExternal = true; return nil }
}

// NoStartTLS is a fault: STARTTLS is not offered and plaintext streams are
// accepted (a peer requiring TLS must give up).
func NoStartTLS() Option {
	return func(c *config) error { c.noStartTLS = true; return nil }
}

// NeverDeliver is a fault: messages are accepted on the stream but never
// delivered, echoed or bounced.
func NeverDeliver() Option {
	return func(c *config) error { c.neverDeliver = true; return nil }
}

// RemoteServerNotFound is a fault: every message is bounced with
// <remote-server-not-found/>, as a server that cannot route to the user's
// real home would.
func RemoteServerNotFound() Option {
	return func(c *config) error { c.remoteNotFound = true; return nil }
}

// AcceptGroupchat is a fault: groupchat messages are delivered and echoed
// even with RefuseGroupchat.
func AcceptGroupchat() Option {
	return func(c *config) error { c.acceptGroupchat = true; return nil }
}

// DialbackSecretMismatch is a fault: as authoritative server it checks
// keys with another secret, so every <db:verify/> is answered invalid
// (nodes of one domain with different secrets): peers cannot authenticate
// this server's outbound streams with dialback.
func DialbackSecretMismatch() Option {
	return func(c *config) error { c.secretMismatch = true; return nil }
}

// SendGarbage is a fault: after the response header the server sends bytes
// that are not XML, then closes.
func SendGarbage() Option {
	return func(c *config) error { c.garbage = true; return nil }
}

// OversizedFeatures is a fault: the stream features element is padded to
// n bytes, to exercise a peer's size limit.
func OversizedFeatures(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("oversized features: %d", n)
		}
		c.oversized = n
		return nil
	}
}
