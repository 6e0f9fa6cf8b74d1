package oauth

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

// User is a UCM end user. Password is used only by UCM's own login form
// (SSODisabled).
type User struct {
	Username, Email, Password string
}

// App is an OAuth client registration (the Webex App's or Jabber's), on
// both sides: the fake's WithApps and the client calls.
type App struct {
	ID string
	// Secret, if set, is sent (and required) with Basic auth at the token
	// endpoint; a public client has none.
	Secret Secret
	// RedirectURI is where authorize sends the browser back.
	RedirectURI string
}

// Product ranges and defaults (Cisco Unified CM feature configuration
// guide, "OAuth" enterprise parameters).
const (
	MinAccessLifetime      = time.Minute
	MaxAccessLifetime      = 1440 * time.Minute
	DefaultAccessLifetime  = 60 * time.Minute
	MinRefreshLifetime     = 24 * time.Hour
	MaxRefreshLifetime     = 365 * 24 * time.Hour
	DefaultRefreshLifetime = 60 * 24 * time.Hour

	// DefaultClientID and DefaultRedirectURI are the fake's stand-ins for
	// the Jabber/Webex App client registration (the real values are
	// Cisco's and not in the public documents we cite).
	DefaultClientID    = "C0ffee00example0client"
	DefaultRedirectURI = "cutover-app://oauth/callback"
	// Scope is what the apps ask for.
	Scope = "UnifiedCommunications:readwrite"
)

// Admin is the application administrator the revoke API takes.
type Admin struct {
	Username, Password string
}

type config struct {
	httpx.Fake
	base        *url.URL
	clock       func() time.Time
	cluster     *Cluster
	users       []User
	apps        []App
	admin       *Admin
	idpMetadata []byte
	entityID    string
	access      time.Duration
	refresh     time.Duration
	encrypt     bool

	// faults
	refreshOff    bool
	ssoOff        bool
	ignoreRevoke  bool
	acceptExpired bool
	regenerate    bool
	statusRules   []httpx.StatusRule
}

func defaultConfig() config {
	u, _ := url.Parse("https://ucm1.example.com:8443")
	return config{
		Fake:    httpx.Fake{Addr: "127.0.0.1:0", Hostname: "ucm1.example.com"},
		base:    u,
		clock:   time.Now,
		access:  DefaultAccessLifetime,
		refresh: DefaultRefreshLifetime,
	}
}

// WithBaseURL sets the node's external URL; default
// https://ucm1.example.com:8443. The SAML SP entity ID defaults to its
// host name and the ACS is <base>/ssosp/saml/SSO/alias/<host>.
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

// WithEntityID sets the SAML SP entity ID; default the host name.
func WithEntityID(id string) Option {
	return func(c *config) error {
		if id == "" {
			return errors.New("empty entity ID")
		}
		c.entityID = id
		return nil
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

// WithAddr sets Start's listen address; default 127.0.0.1:0.
func WithAddr(addr string) Option {
	return func(c *config) error { return c.SetAddr(addr) }
}

// WithCertificate sets Start's TLS certificate (the Tomcat one).
func WithCertificate(cert tls.Certificate) Option {
	return func(c *config) error { return c.SetCertificate(cert) }
}

// WithCluster shares keys and the token record with other nodes; default
// a cluster of this node alone.
func WithCluster(cl *Cluster) Option {
	return func(c *config) error {
		if cl == nil {
			return errors.New("nil cluster")
		}
		c.cluster = cl
		return nil
	}
}

// WithUsers adds end users; usernames must be unique, ignoring case.
func WithUsers(users ...User) Option {
	return func(c *config) error {
		for _, u := range users {
			if u.Username == "" {
				return errors.New("empty username")
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

// WithApps registers OAuth clients; default one public client
// DefaultClientID with DefaultRedirectURI.
func WithApps(apps ...App) Option {
	return func(c *config) error {
		for _, cl := range apps {
			if cl.ID == "" || cl.RedirectURI == "" {
				return fmt.Errorf("client %q: ID and RedirectURI are required", cl.ID)
			}
			if _, err := url.Parse(cl.RedirectURI); err != nil {
				return fmt.Errorf("client %q: bad redirect URI: %w", cl.ID, err)
			}
		}
		c.apps = append(c.apps, apps...)
		return nil
	}
}

// WithAdmin sets the administrator the revoke API accepts; default none
// (revoke answers 401).
func WithAdmin(a Admin) Option {
	return func(c *config) error {
		if a.Username == "" || a.Password == "" {
			return errors.New("admin username and password are required")
		}
		c.admin = &a
		return nil
	}
}

// WithIdPMetadata sets the IdP UCM trusts (SAML SSO enabled); required
// unless SSODisabled.
func WithIdPMetadata(md []byte) Option {
	return func(c *config) error {
		if len(md) == 0 {
			return errors.New("empty IdP metadata")
		}
		c.idpMetadata = append([]byte(nil), md...)
		return nil
	}
}

// WithAccessLifetime sets the access token lifetime, 1–1440 min; default
// 60 min.
func WithAccessLifetime(d time.Duration) Option {
	return func(c *config) error {
		if d < MinAccessLifetime || d > MaxAccessLifetime {
			return fmt.Errorf("access token lifetime %v outside 1–1440 min", d)
		}
		c.access = d
		return nil
	}
}

// WithRefreshLifetime sets the refresh token lifetime, 1–365 days;
// default 60 days.
func WithRefreshLifetime(d time.Duration) Option {
	return func(c *config) error {
		if d < MinRefreshLifetime || d > MaxRefreshLifetime {
			return fmt.Errorf("refresh token lifetime %v outside 1–365 days", d)
		}
		c.refresh = d
		return nil
	}
}

// EncryptTokens issues access and refresh tokens as signed-then-encrypted
// JWTs (5-part JWE compact, RSA-OAEP-256 + A256GCM), as Cisco's OAuth
// white paper says UCM does; by default they are signed only (3-part
// JWS), so the apps and checks can read their claims.
func EncryptTokens() Option {
	return func(c *config) error { c.encrypt = true; return nil }
}

// RefreshLoginFlowDisabled is a fault (and the product default): "OAuth
// with Refresh Login Flow" Disabled. The code grant and the refresh_token
// grant are refused; only the implicit grant (no refresh token) works.
func RefreshLoginFlowDisabled() Option {
	return func(c *config) error { c.refreshOff = true; return nil }
}

// SSODisabled is a fault: UCM is not enabled for SAML SSO, so authorize
// shows UCM's own login form: a second credential prompt.
func SSODisabled() Option {
	return func(c *config) error { c.ssoOff = true; return nil }
}

// IgnoreRevocation is a fault: revoke answers success but tokens keep
// working.
func IgnoreRevocation() Option {
	return func(c *config) error { c.ignoreRevoke = true; return nil }
}

// AcceptExpiredTokens is a fault: the validator (UDS, Expressway, SIP)
// and the refresh grant ignore exp.
func AcceptExpiredTokens() Option {
	return func(c *config) error { c.acceptExpired = true; return nil }
}

// OutOfRangeLifetimes is a fault: lifetimes outside the product's ranges
// (as a broken or hand-edited configuration would give), unchecked.
func OutOfRangeLifetimes(access, refresh time.Duration) Option {
	return func(c *config) error {
		if access <= 0 || refresh <= 0 {
			return errors.New("lifetimes must be positive")
		}
		c.access, c.refresh = access, refresh
		return nil
	}
}

// RegenerateKeysAfterIssue is a fault: the cluster keys are regenerated
// right after every token issue, so the tokens just handed out are void
// (an administrator regenerating keys during the cutover).
func RegenerateKeysAfterIssue() Option {
	return func(c *config) error { c.regenerate = true; return nil }
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

// DefaultApp is the fake's default registration: public client
// DefaultClientID with DefaultRedirectURI.
func DefaultApp() App { return App{ID: DefaultClientID, RedirectURI: DefaultRedirectURI} }
