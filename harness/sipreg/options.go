package sipreg

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Option configures a registrar; errors surface from Start.
type Option func(*config) error

// Profile is the registrar behaviour a fake imitates.
type Profile string

// The two profiles.
const (
	// ProfileUCM is Unified CM in SIP OAuth mode (Cisco TN215572): 407 with
	// Proxy-Authenticate: Bearer realm="ccmsipline", Proxy-Authorization:
	// Bearer token="…", devices and security profiles, port mismatch.
	ProfileUCM Profile = "ucm"
	// ProfileRFC8898 is a standard registrar (RFC 8898): 401 with
	// WWW-Authenticate: Bearer realm, scope, authz_server; Authorization:
	// Bearer <token>; error="invalid_token" (RFC 6750 §3.1).
	ProfileRFC8898 Profile = "rfc8898"
)

// Role says which listener a request arrived on.
type Role string

// Listener roles.
const (
	// RoleOAuth is the SIP OAuth port (UCM default 5090): TLS from clients.
	RoleOAuth Role = "oauth"
	// RoleMRA is the SIP MRA OAuth port (default 5091): mutual TLS from
	// Expressway-C.
	RoleMRA Role = "mra"
	// RolePlain is a plain TCP or UDP port that behaves like the OAuth port
	// without TLS, for clients that have no TLS (sipp). Real UCM has none.
	RolePlain Role = "plain"
)

// User is one end user: the token's subject. The AOR user part of a
// REGISTER must be Name or one of Lines.
type User struct {
	Name    string
	Lines   []string
	Devices []Device
}

// Device is a softphone device owned by a user.
type Device struct {
	// Name is the UCM device name, e.g. "CSFalice"; REGISTER names it in
	// +u.sip!devicename.ccm.cisco.com.
	Name string
	// SecurityProfile names the phone security profile, for evidence.
	SecurityProfile string
	// OAuthDisabled is a profile without "Enable OAuth Authentication":
	// a registration on the OAuth or MRA port gets 403 port mismatch.
	OAuthDisabled bool
}

// TokenValidator checks a bearer token at now and returns its user.
// Errors should wrap ErrTokenExpired, ErrTokenSignature, ErrTokenRevoked
// or ErrTokenUnknown; for an expired or revoked token it should still
// return the user it names, so faults that accept such tokens can bind it.
type TokenValidator func(token string, now time.Time) (user string, err error)

// MalformedKind picks the broken reply of the Malformed fault.
type MalformedKind string

// Malformed replies.
const (
	BadStartLine      MalformedKind = "bad-start-line"
	BadHeader         MalformedKind = "bad-header"
	BrokenChallenge   MalformedKind = "broken-challenge"
	TruncatedResponse MalformedKind = "truncated"
	HugeHeader        MalformedKind = "huge-header"
)

type config struct {
	profile     Profile
	hostname    string
	server      string
	realm       string
	scope       string
	authzServer string
	expires     time.Duration
	users       []User
	validate    TokenValidator
	clock       func() time.Time
	hook        func(*sip.Request) *sip.Response

	ln        net.Listener
	addr      string
	cert      *tls.Certificate
	tlsConfig *tls.Config

	mra       bool
	mraLn     net.Listener
	mraAddr   string
	expSigner *x509.CertPool
	expNames  []string

	plainTCP, plainUDP string

	f faults
}

type faults struct {
	noOAuth          map[string]bool
	removed          map[string]bool
	untrustedSigner  bool
	anyClientCert    bool
	noClientCertOK   bool
	anyToken         bool
	expiredOK        bool
	revokedOK        bool
	otherUserOK      bool
	digestOnly       bool
	wrongRealm       string
	tlsBelow12       bool
	silence          bool
	tryingForever    bool
	malformed        MalformedKind
	skipChallenge    bool
	rejectRefresh    bool
	rejectUnregister bool
	keepOnUnregister bool
	authzServer      string
	omitAuthz        bool
}

func (f faults) raw() bool { return f.silence || f.tryingForever || f.malformed != "" }

func defaultConfig() config {
	return config{
		profile:  ProfileUCM,
		hostname: "ucm1.example.com",
		addr:     "127.0.0.1:0",
		mraAddr:  "127.0.0.1:0",
		clock:    time.Now,
		f:        faults{noOAuth: map[string]bool{}, removed: map[string]bool{}},
	}
}

// fill sets the profile defaults the options left empty.
func (c *config) fill() {
	if c.profile == ProfileUCM {
		if c.server == "" {
			c.server = "Cisco-CUCM12.5"
		}
		if c.realm == "" {
			c.realm = UCMRealm
		}
		if c.expires == 0 {
			c.expires = 120 * time.Second
		}
		return
	}
	if c.server == "" {
		c.server = "cutover-sipreg"
	}
	if c.realm == "" {
		c.realm = domainOf(c.hostname)
	}
	if c.scope == "" {
		c.scope = "sip:register"
	}
	if c.authzServer == "" {
		c.authzServer = "https://as." + domainOf(c.hostname) + "/"
	}
	if c.expires == 0 {
		c.expires = time.Hour
	}
}

// domainOf drops the first label of a host name with three or more.
func domainOf(host string) string {
	if strings.Count(host, ".") >= 2 {
		_, d, _ := strings.Cut(host, ".")
		return d
	}
	return host
}

// WithProfile picks ProfileUCM (default) or ProfileRFC8898.
func WithProfile(p Profile) Option {
	return func(c *config) error {
		switch p {
		case ProfileUCM, ProfileRFC8898:
			c.profile = p
			return nil
		}
		return fmt.Errorf("unknown profile %q", p)
	}
}

// WithHostname is the registrar's name, used in Warning headers and as
// the base of the RFC 8898 defaults; default ucm1.example.com.
func WithHostname(host string) Option {
	return func(c *config) error {
		if host == "" || strings.ContainsAny(host, " /:@\"") {
			return fmt.Errorf("bad hostname %q", host)
		}
		c.hostname = host
		return nil
	}
}

// WithServerHeader sets the Server header; default "Cisco-CUCM12.5" for
// ucm (TN215572), "cutover-sipreg" for rfc8898.
func WithServerHeader(s string) Option {
	return func(c *config) error { c.server = s; return nil }
}

// WithRealm sets the challenge realm; default "ccmsipline" for ucm, the
// host's domain for rfc8898.
func WithRealm(realm string) Option {
	return func(c *config) error {
		if realm == "" {
			return errors.New("empty realm")
		}
		c.realm = realm
		return nil
	}
}

// WithScope sets the rfc8898 scope; default "sip:register".
func WithScope(scope string) Option {
	return func(c *config) error { c.scope = scope; return nil }
}

// WithAuthzServer sets the rfc8898 authz_server URL; default
// https://as.<domain>/.
func WithAuthzServer(url string) Option {
	return func(c *config) error {
		if !strings.HasPrefix(url, "https://") {
			return fmt.Errorf("authz_server %q is not an https URL (RFC 8898 §2.2)", url)
		}
		c.authzServer = url
		return nil
	}
}

// WithExpires sets the longest binding granted; a REGISTER asking for
// more gets this (UCM's sample grants 120 s for 3600 asked). Default
// 120 s for ucm, 1 h for rfc8898.
func WithExpires(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return fmt.Errorf("expires %v below 1s", d)
		}
		c.expires = d
		return nil
	}
}

// WithUsers adds end users; names must be unique ignoring case, and so
// must device names across users.
func WithUsers(users ...User) Option {
	return func(c *config) error {
		for _, u := range users {
			if u.Name == "" || strings.ContainsAny(u.Name, "@:; <>\"") {
				return fmt.Errorf("bad user name %q", u.Name)
			}
			for _, have := range c.users {
				if strings.EqualFold(have.Name, u.Name) {
					return fmt.Errorf("duplicate user %q", u.Name)
				}
				for _, d := range u.Devices {
					for _, hd := range have.Devices {
						if strings.EqualFold(d.Name, hd.Name) {
							return fmt.Errorf("device %q owned twice", d.Name)
						}
					}
				}
			}
			for _, d := range u.Devices {
				if d.Name == "" {
					return fmt.Errorf("user %q has a device without a name", u.Name)
				}
			}
			c.users = append(c.users, u)
		}
		return nil
	}
}

// WithTokenValidator checks bearer tokens; default: no token is valid
// (every one is ErrTokenUnknown).
func WithTokenValidator(v TokenValidator) Option {
	return func(c *config) error {
		if v == nil {
			return errors.New("nil token validator")
		}
		c.validate = v
		return nil
	}
}

// WithClock sets the time source for token checks and binding expiry;
// default time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.clock = now
		return nil
	}
}

// OnRegister is a hook: for each REGISTER, before the fake's own logic,
// a non-nil response from fn is sent instead.
func OnRegister(fn func(*sip.Request) *sip.Response) Option {
	return func(c *config) error { c.hook = fn; return nil }
}

// WithListener serves the OAuth port on ln (TLS is added by the fake).
func WithListener(ln net.Listener) Option {
	return func(c *config) error {
		if ln == nil {
			return errors.New("nil listener")
		}
		c.ln = ln
		return nil
	}
}

// WithAddr sets where the OAuth port listens; default 127.0.0.1:0.
func WithAddr(addr string) Option {
	return func(c *config) error {
		if addr == "" {
			return errors.New("empty address")
		}
		c.addr = addr
		return nil
	}
}

// WithCertificate sets the certificate of the OAuth and MRA ports (UCM
// uses its Tomcat certificate there, TN215572); required unless
// WithTLSConfig gives one.
func WithCertificate(cert tls.Certificate) Option {
	return func(c *config) error {
		if len(cert.Certificate) == 0 {
			return errors.New("empty certificate")
		}
		c.cert = &cert
		return nil
	}
}

// WithTLSConfig replaces the server TLS settings of the OAuth port (and
// is the base of the MRA port's); a copy is kept.
func WithTLSConfig(tc *tls.Config) Option {
	return func(c *config) error {
		if tc == nil {
			return errors.New("nil TLS config")
		}
		c.tlsConfig = tc.Clone()
		return nil
	}
}

// WithMRA opens the MRA OAuth port on addr ("127.0.0.1:0"): mutual TLS
// that requires a client certificate chaining to signers (the
// Expressway-C signer in UCM's tomcat-trust) and, when names are given,
// carrying one of them as CN or DNS SAN (the Expressway-C names UCM
// learnt over AXL, TN215572 "Verify Expressway-C SAN Entries").
func WithMRA(addr string, signers *x509.CertPool, names ...string) Option {
	return func(c *config) error {
		if signers == nil {
			return errors.New("MRA port without Expressway-C signers")
		}
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		c.mra, c.mraAddr, c.expSigner = true, addr, signers
		c.expNames = append([]string(nil), names...)
		return nil
	}
}

// WithMRAListener serves the MRA port on ln; WithMRA is still needed for
// the signers.
func WithMRAListener(ln net.Listener) Option {
	return func(c *config) error {
		if ln == nil {
			return errors.New("nil listener")
		}
		c.mraLn = ln
		return nil
	}
}

// WithPlain opens a plain port ("tcp" or "udp") on addr that behaves as
// the OAuth port without TLS, for sipp (Debian's is built without TLS).
func WithPlain(network, addr string) Option {
	return func(c *config) error {
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		switch network {
		case "tcp":
			c.plainTCP = addr
		case "udp":
			c.plainUDP = addr
		default:
			return fmt.Errorf("plain network %q: want tcp or udp", network)
		}
		return nil
	}
}

// Faults. Each breaks a check; see README.md.

// ProfileWithoutOAuth is a fault: the named devices' security profile
// lacks OAuth, so registering on the OAuth or MRA port gets 403 "SIP OAuth
// Registration port Mismatch" (TN215572 Scenario 1).
func ProfileWithoutOAuth(devices ...string) Option {
	return func(c *config) error {
		for _, d := range devices {
			c.f.noOAuth[strings.ToLower(d)] = true
		}
		return nil
	}
}

// RemoveDevice is a fault: the named devices do not exist (a user misses
// the device type for a platform); their REGISTER gets 404.
func RemoveDevice(devices ...string) Option {
	return func(c *config) error {
		for _, d := range devices {
			c.f.removed[strings.ToLower(d)] = true
		}
		return nil
	}
}

// UntrustedExpresswaySigner is a fault: UCM's trust store lacks the
// Expressway-C signer, so mutual TLS on the MRA port fails with unknown CA
// (TN215572 Scenario 3).
func UntrustedExpresswaySigner() Option {
	return func(c *config) error { c.f.untrustedSigner = true; return nil }
}

// AcceptAnyClientCertificate is a fault: the MRA port takes any client
// certificate, whoever signed it.
func AcceptAnyClientCertificate() Option {
	return func(c *config) error { c.f.anyClientCert = true; return nil }
}

// AcceptNoClientCertificate is a fault: the MRA port takes a TLS client
// that presents no certificate (a certificate that is presented is still
// verified), as a port configured for one-way TLS would.
func AcceptNoClientCertificate() Option {
	return func(c *config) error { c.f.noClientCertOK = true; return nil }
}

// AcceptAnyToken is a fault: any non-empty bearer token registers, as the
// AOR's user.
func AcceptAnyToken() Option {
	return func(c *config) error { c.f.anyToken = true; return nil }
}

// AcceptExpiredTokens is a fault: a token the validator calls expired is
// taken.
func AcceptExpiredTokens() Option {
	return func(c *config) error { c.f.expiredOK = true; return nil }
}

// AcceptRevokedTokens is a fault: a token the validator calls revoked is
// taken.
func AcceptRevokedTokens() Option {
	return func(c *config) error { c.f.revokedOK = true; return nil }
}

// AcceptOtherUsersToken is a fault: a valid token of one user registers
// another user's AOR.
func AcceptOtherUsersToken() Option {
	return func(c *config) error { c.f.otherUserOK = true; return nil }
}

// OfferOnlyDigest is a fault: the challenge is Digest (MD5), no Bearer.
func OfferOnlyDigest() Option {
	return func(c *config) error { c.f.digestOnly = true; return nil }
}

// WrongRealm is a fault: the Bearer challenge carries realm instead of
// the configured one.
func WrongRealm(realm string) Option {
	return func(c *config) error {
		if realm == "" {
			return errors.New("empty realm")
		}
		c.f.wrongRealm = realm
		return nil
	}
}

// UntrustedAuthzServer is a fault (rfc8898): the challenge names url as
// authz_server, which a client must not follow unless it trusts it (RFC
// 8898 §2.1.1).
func UntrustedAuthzServer(url string) Option {
	return func(c *config) error {
		if url == "" {
			return errors.New("empty authz_server")
		}
		c.f.authzServer = url
		return nil
	}
}

// OmitAuthzServer is a fault (rfc8898): the challenge has no authz_server.
func OmitAuthzServer() Option {
	return func(c *config) error { c.f.omitAuthz = true; return nil }
}

// OfferTLSBelow12 is a fault: the OAuth and MRA ports speak only TLS 1.0
// and 1.1.
func OfferTLSBelow12() Option {
	return func(c *config) error { c.f.tlsBelow12 = true; return nil }
}

// Silence is a fault: requests are read and never answered.
func Silence() Option {
	return func(c *config) error { c.f.silence = true; return nil }
}

// TryingForever is a fault: every request gets 100 Trying, again and
// again, and never a final response.
func TryingForever() Option {
	return func(c *config) error { c.f.tryingForever = true; return nil }
}

// Malformed is a fault: every request gets a broken reply of the kind.
func Malformed(kind MalformedKind) Option {
	return func(c *config) error {
		switch kind {
		case BadStartLine, BadHeader, BrokenChallenge, TruncatedResponse, HugeHeader:
			c.f.malformed = kind
			return nil
		}
		return fmt.Errorf("unknown malformed kind %q", kind)
	}
}

// SkipChallenge is a fault: a REGISTER without credentials is accepted.
func SkipChallenge() Option {
	return func(c *config) error { c.f.skipChallenge = true; return nil }
}

// RejectRefresh is a fault: a REGISTER refreshing a live binding gets 500.
func RejectRefresh() Option {
	return func(c *config) error { c.f.rejectRefresh = true; return nil }
}

// RejectUnregister is a fault: Expires: 0 gets 500 and the binding stays.
func RejectUnregister() Option {
	return func(c *config) error { c.f.rejectUnregister = true; return nil }
}

// KeepBindingOnUnregister is a fault: Expires: 0 gets 200 but the binding
// stays (and is listed in the 200's Contact).
func KeepBindingOnUnregister() Option {
	return func(c *config) error { c.f.keepOnUnregister = true; return nil }
}
