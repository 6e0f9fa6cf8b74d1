package idp

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"example.com/cutover/harness/httpx"
)

// Option configures a Server; errors surface from New.
type Option func(*config) error

// User is a test user of the IdP.
type User struct {
	// Username is what the login form takes and the uid attribute carries.
	Username string
	// Email is the NameID (format emailAddress) and the mail attribute.
	Email    string
	Password string
}

// NameIDSource says what the IdP puts in the assertion's NameID.
type NameIDSource int

const (
	// NameIDEmail puts the user's email, format emailAddress (default).
	NameIDEmail NameIDSource = iota
	// NameIDUsername puts the user's UID, format unspecified.
	NameIDUsername
)

// Login form field names of the fake; a real IdP's come from the target
// file.
const (
	UsernameField = "username"
	PasswordField = "password"
)

type config struct {
	httpx.Fake
	base       *url.URL
	clock      func() time.Time
	users      []User
	key        *SigningKey
	sps        [][]byte
	nameID     NameIDSource
	sessionTTL time.Duration

	// faults
	certExpired   bool
	certExpiresIn time.Duration
	wrongAudience bool
	wrongRecip    bool
	unsigned      bool
	otherKey      bool
	skew          time.Duration
	wrongNameID   bool
	noReuse       bool
	statusRules   []httpx.StatusRule
}

func defaultConfig() config {
	u, _ := url.Parse("https://idp.example.com")
	return config{
		Fake:       httpx.Fake{Addr: "127.0.0.1:0", Hostname: "idp.example.com"},
		base:       u,
		clock:      time.Now,
		sessionTTL: 8 * time.Hour,
	}
}

// WithBaseURL sets the scheme, host and port the IdP's URLs are built on:
// entity ID <base>/idp/metadata, SSO <base>/idp/sso, login <base>/idp/login.
// Default https://idp.example.com.
func WithBaseURL(base string) Option {
	return func(c *config) error {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("bad base URL %q: want scheme://host[:port]", base)
		}
		u.Path = ""
		c.base = u
		return c.SetHostname(u.Hostname())
	}
}

// WithClock sets the time source; default time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithAddr sets the listen address of Start; default 127.0.0.1:0.
func WithAddr(addr string) Option {
	return func(c *config) error { return c.SetAddr(addr) }
}

// WithCertificate sets the TLS certificate Start serves; not needed by New.
func WithCertificate(cert tls.Certificate) Option {
	return func(c *config) error { return c.SetCertificate(cert) }
}

// WithUsers adds test users; usernames must be unique, ignoring case.
func WithUsers(users ...User) Option {
	return func(c *config) error {
		for _, u := range users {
			if u.Username == "" || u.Password == "" {
				return fmt.Errorf("user %q: username and password are required", u.Username)
			}
			for _, have := range c.users {
				if strings.EqualFold(have.Username, u.Username) {
					return fmt.Errorf("duplicate user %q", u.Username)
				}
			}
			c.users = append(c.users, u)
		}
		return nil
	}
}

// WithSigningKey sets the assertion signing key and certificate; default a
// fresh RSA key with a certificate valid from now-1h to now+1y (by the
// clock). ExpiredCertificate and CertificateExpiresIn reissue its
// certificate.
func WithSigningKey(k SigningKey) Option {
	return func(c *config) error {
		if k.Key == nil || k.Cert == nil {
			return errors.New("empty signing key")
		}
		c.key = &k
		return nil
	}
}

// WithServiceProvider trusts an SP by its metadata XML (see SPMetadata);
// the IdP answers AuthnRequests only from SPs it knows, posting to the ACS
// in their metadata.
func WithServiceProvider(metadata []byte) Option {
	return func(c *config) error {
		if _, err := parseEntity(metadata); err != nil {
			return err
		}
		c.sps = append(c.sps, append([]byte(nil), metadata...))
		return nil
	}
}

// WithNameID chooses what the NameID carries; default NameIDEmail.
func WithNameID(src NameIDSource) Option {
	return func(c *config) error {
		if src != NameIDEmail && src != NameIDUsername {
			return fmt.Errorf("bad NameID source %d", src)
		}
		c.nameID = src
		return nil
	}
}

// WithSessionLifetime sets how long the IdP session cookie is honoured;
// default 8h.
func WithSessionLifetime(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("bad session lifetime %v", d)
		}
		c.sessionTTL = d
		return nil
	}
}

// ExpiredCertificate is a fault: the signing certificate (in metadata and
// in every signature) expired a day ago.
func ExpiredCertificate() Option {
	return func(c *config) error { c.certExpired = true; return nil }
}

// CertificateExpiresIn is a fault: the signing certificate is valid but
// expires d from now, e.g. 10 days, inside the 30-day warning window.
func CertificateExpiresIn(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("bad expiry %v: use ExpiredCertificate", d)
		}
		c.certExpiresIn = d
		return nil
	}
}

// WrongAudience is a fault: the AudienceRestriction names WrongAudienceURI
// instead of the SP's entity ID.
func WrongAudience() Option {
	return func(c *config) error { c.wrongAudience = true; return nil }
}

// WrongRecipient is a fault: the Response Destination and the bearer
// SubjectConfirmationData Recipient name WrongACSURL, though the form
// still posts to the SP's ACS.
func WrongRecipient() Option {
	return func(c *config) error { c.wrongRecip = true; return nil }
}

// UnsignedAssertion is a fault: neither the Response nor the Assertion
// carries a signature.
func UnsignedAssertion() Option {
	return func(c *config) error { c.unsigned = true; return nil }
}

// SignedByOtherKey is a fault: Response and Assertion are signed by a key
// and certificate that are not the ones in the IdP metadata.
func SignedByOtherKey() Option {
	return func(c *config) error { c.otherKey = true; return nil }
}

// ClockSkew is a fault: every time in the Response and Assertion is
// shifted by d, as from an IdP whose clock is off. The SPs allow 180 s
// (crewjam/saml MaxClockSkew) and 90 s of issue delay, so ±10 min breaks.
func ClockSkew(d time.Duration) Option {
	return func(c *config) error {
		if d == 0 {
			return errors.New("zero clock skew")
		}
		c.skew = d
		return nil
	}
}

// WrongNameID is a fault: the NameID (and the uid and mail attributes)
// carry "emp-<username>", neither the email nor the UID the SP maps.
func WrongNameID() Option {
	return func(c *config) error { c.wrongNameID = true; return nil }
}

// NoSessionReuse is a fault: the IdP never honours its session cookie, so
// every SP's sign-in prompts for credentials again.
func NoSessionReuse() Option {
	return func(c *config) error { c.noReuse = true; return nil }
}

// WithStatus is a fault: any path starting with pathPrefix answers code.
func WithStatus(pathPrefix string, code int) Option {
	return func(c *config) error {
		if code < 100 || code > 599 {
			return fmt.Errorf("bad status code %d", code)
		}
		if !strings.HasPrefix(pathPrefix, "/") {
			return fmt.Errorf("path prefix %q does not start with /", pathPrefix)
		}
		c.statusRules = append(c.statusRules, httpx.StatusRule{Prefix: pathPrefix, Code: code})
		return nil
	}
}
