package expressway

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"example.com/cutover/harness/httpx"
)

// Option configures a Server; errors surface from Start.
type Option func(*config) error

// User is an MRA user whose Basic credentials the fake accepts.
type User struct {
	Username, Password string
}

type config struct {
	httpx.Fake
	domains     []string
	users       []User
	services    []Service
	edge        *Edge
	acceptAny   bool
	omit        map[string]bool
	paddedOnly  bool
	realm       string
	statusRules []httpx.StatusRule

	// OAuth (MRA sign-in with UCM tokens)
	clock     func() time.Time
	validate  func(token string, now time.Time) (string, error)
	upstream  http.Handler
	refreshOn bool
}

// defaultConfig is a healthy edge for example.com: _cisco-uds resolves to
// ucm1.example.com and _cuplogin to imp1.example.com, both on 8443.
func defaultConfig() config {
	return config{
		Fake:    httpx.Fake{Addr: "127.0.0.1:0", Hostname: "expe1.example.com"},
		domains: []string{"example.com"},
		services: []Service{
			{Name: "_cisco-uds", Servers: []Target{{Priority: 1, Weight: 1, Port: 8443, Address: "ucm1.example.com"}}},
			{Name: "_cuplogin", Servers: []Target{{Priority: 1, Weight: 1, Port: 8443, Address: "imp1.example.com"}}},
		},
		realm:     "Cisco-Edge",
		omit:      map[string]bool{},
		clock:     time.Now,
		refreshOn: true,
	}
}

// defaultEdge points every edge service at the fake's own hostname.
func defaultEdge(host string) Edge {
	return Edge{
		SIPEdgeServers:  []HostPort{{Address: host, Port: 5061}},
		SIPRequestRoute: "<sip:" + host + ":5061;transport=tls;lr>",
		XMPPEdgeServers: []HostPort{{Address: host, Port: 5222}},
		HTTPEdgeServers: []HostPort{{Address: host, Port: 8443}},
		TURNEdgeServers: []HostPort{{Address: host, Port: 3478}},
	}
}

// WithAddr sets the listen address; default 127.0.0.1:0.
func WithAddr(addr string) Option {
	return func(c *config) error { return c.SetAddr(addr) }
}

// WithCertificate sets the Expressway-E server certificate; required.
func WithCertificate(cert tls.Certificate) Option {
	return func(c *config) error { return c.SetCertificate(cert) }
}

// WithHostname sets this node's FQDN, used by the default Edge; default
// expe1.example.com.
func WithHostname(fqdn string) Option {
	return func(c *config) error { return c.SetHostname(fqdn) }
}

// WithDomains sets the discovery domains served, each under
// /<EncodeDomain(d)>/; default example.com.
func WithDomains(domains ...string) Option {
	return func(c *config) error {
		for _, d := range domains {
			if d == "" {
				return errors.New("empty domain")
			}
		}
		c.domains = append([]string(nil), domains...)
		return nil
	}
}

// WithUsers adds accepted credentials; default none, so every request is
// refused unless AcceptAnyCredentials.
func WithUsers(users ...User) Option {
	return func(c *config) error {
		for _, u := range users {
			if u.Username == "" {
				return errors.New("empty username")
			}
		}
		c.users = append(c.users, users...)
		return nil
	}
}

// WithServices replaces what Expressway-C resolved internally; a service
// not listed answers NameError.
func WithServices(services ...Service) Option {
	return func(c *config) error {
		for _, s := range services {
			if s.Name == "" {
				return errors.New("empty service name")
			}
		}
		c.services = append([]Service(nil), services...)
		return nil
	}
}

// WithEdge replaces the edge servers announced; by default every one is
// the fake's hostname on its standard port. A zero Port is filled with the
// standard one (SIP 5061, XMPP 5222, HTTP 8443, TURN 3478).
func WithEdge(e Edge) Option {
	return func(c *config) error { c.edge = &e; return nil }
}

// WithRealm sets the Basic realm of 401 replies; default "Cisco-Edge".
func WithRealm(realm string) Option {
	return func(c *config) error { c.realm = realm; return nil }
}

// AcceptAnyCredentials is a fault: bad or missing credentials get 200.
func AcceptAnyCredentials() Option {
	return func(c *config) error { c.acceptAny = true; return nil }
}

// OmitService is a fault: name answers <error>NameError</error> even if
// configured, as when Expressway-C cannot resolve it.
func OmitService(name string) Option {
	return func(c *config) error { c.omit[name] = true; return nil }
}

// PaddedPathOnly is a fault: only the '='-padded base64 path answers (a
// broken rewrite); the unpadded path clients use gets 404.
func PaddedPathOnly() Option {
	return func(c *config) error { c.paddedOnly = true; return nil }
}

// WithStatus is a fault: any path starting with pathPrefix answers code.
// The first matching rule wins.
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

// WithClock sets the time source tokens are judged by; default time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("nil clock")
		}
		c.clock = now
		return nil
	}
}

// WithTokenValidator accepts UCM's self-describing access tokens as
// "Authorization: Bearer" on get_edge_config ("Authorize by OAuth token
// with refresh"); validate is oauth.Server.Validator. Default: Basic only.
func WithTokenValidator(validate func(token string, now time.Time) (user string, err error)) Option {
	return func(c *config) error {
		if validate == nil {
			return errors.New("nil token validator")
		}
		c.validate = validate
		return nil
	}
}

// WithOAuthUpstream serves the MRA OAuth paths /<b64 D>/authorize and
// /<b64 D>/token by handing them to UCM's OAuth handler (oauth.Server) as
// /ssosp/oauth/authorize and /ssosp/oauth/token, the hop Expressway-C
// makes to UCM. Default: those paths are not served.
func WithOAuthUpstream(h http.Handler) Option {
	return func(c *config) error {
		if h == nil {
			return errors.New("nil OAuth upstream")
		}
		c.upstream = h
		return nil
	}
}

// OAuthRefreshOff is a fault: "Authorize by OAuth token with refresh"
// set to Off (product default On). Bearer tokens are refused on
// get_edge_config, and the code and refresh_token grants over MRA answer
// unsupported_response_type / unsupported_grant_type.
func OAuthRefreshOff() Option {
	return func(c *config) error { c.refreshOn = false; return nil }
}
