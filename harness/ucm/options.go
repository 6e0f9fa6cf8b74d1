package ucm

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"

	"example.com/cutover/harness/httpx"
)

// Option configures a Server; errors surface from Start.
type Option func(*config) error

// User is one end user known to the fake cluster.
type User struct {
	Username, Email, Password string
	// HomeCluster is the FQDN of the home cluster's publisher, returned in
	// <homeCluster>; empty means this node.
	HomeCluster string
	Devices     []Device
}

// Device is one phone or soft client owned by a user, e.g. Name
// "CSFalice", Model "Cisco Unified Client Services Framework", Type
// "device".
type Device struct {
	Name, Model, Type string
}

type config struct {
	httpx.Fake
	version     string
	nodes       []string
	users       []User
	validate    func(token string) (string, bool)
	unknownCode int
	hidden      map[string]bool
	wrongHome   string
	devicesOpen bool
	realm       string
	statusRules []httpx.StatusRule
	port        int
}

func defaultConfig() config {
	return config{
		Fake:    httpx.Fake{Addr: "127.0.0.1:0", Hostname: "ucm1.example.com"},
		version: "14.0.1.13900(155)",
		realm:   "Cisco Web Services Realm",
		hidden:  map[string]bool{},
		port:    8443,
	}
}

// WithPort sets the port written into the URIs the fake returns (the port
// clients reach it on); default 8443, UDS's port.
func WithPort(port int) Option {
	return func(c *config) error {
		if port < 1 || port > 65535 {
			return fmt.Errorf("port %d out of range", port)
		}
		c.port = port
		return nil
	}
}

// WithAddr sets the listen address; default 127.0.0.1:0.
func WithAddr(addr string) Option {
	return func(c *config) error { return c.SetAddr(addr) }
}

// WithCertificate sets the Tomcat certificate; required.
func WithCertificate(cert tls.Certificate) Option {
	return func(c *config) error { return c.SetCertificate(cert) }
}

// WithHostname sets this node's FQDN, used in the URIs the fake returns as
// https://<fqdn>:8443/...; default ucm1.example.com.
func WithHostname(fqdn string) Option {
	return func(c *config) error { return c.SetHostname(fqdn) }
}

// WithVersion sets the UDS version string; default "14.0.1.13900(155)".
func WithVersion(v string) Option {
	return func(c *config) error {
		if v == "" {
			return errors.New("empty version")
		}
		c.version = v
		return nil
	}
}

// WithClusterNodes sets the /servers list; default just this node.
func WithClusterNodes(fqdns ...string) Option {
	return func(c *config) error {
		for _, n := range fqdns {
			if n == "" {
				return errors.New("empty cluster node")
			}
		}
		c.nodes = append([]string(nil), fqdns...)
		return nil
	}
}

// WithUsers adds end users; usernames must be unique, ignoring case.
func WithUsers(users ...User) Option {
	return func(c *config) error {
		for _, u := range users {
			if u.Username == "" || strings.ContainsAny(u.Username, "/?#") {
				return fmt.Errorf("bad username %q", u.Username)
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

// WithTokenValidator accepts Bearer access tokens on /user/U[/devices]:
// validate returns the token's username. Default: no token is accepted.
func WithTokenValidator(validate func(token string) (username string, ok bool)) Option {
	return func(c *config) error { c.validate = validate; return nil }
}

// WithRealm sets the Basic realm of 401 replies; default
// "Cisco Web Services Realm".
func WithRealm(realm string) Option {
	return func(c *config) error { c.realm = realm; return nil }
}

// UnknownUserStatus is a fault: clusterUser for an unknown user answers
// code (e.g. 401, a broken site) instead of 200 with found="false".
func UnknownUserStatus(code int) Option {
	return func(c *config) error {
		if err := checkCode(code); err != nil {
			return err
		}
		c.unknownCode = code
		return nil
	}
}

// HideUser is a fault: clusterUser answers found="false" for username
// though the user exists (not synced, or not on this cluster).
func HideUser(username string) Option {
	return func(c *config) error { c.hidden[strings.ToLower(username)] = true; return nil }
}

// WrongHomeCluster is a fault: clusterUser returns fqdn as every user's
// home cluster.
func WrongHomeCluster(fqdn string) Option {
	return func(c *config) error {
		if fqdn == "" {
			return errors.New("empty home cluster")
		}
		c.wrongHome = fqdn
		return nil
	}
}

// DevicesOpen is a fault: /user/U and /user/U/devices answer 200 without
// authentication.
func DevicesOpen() Option {
	return func(c *config) error { c.devicesOpen = true; return nil }
}

// WithStatus is a fault: any path starting with pathPrefix answers code,
// e.g. 503 on /cucm-uds/version for a dead UDS. The first matching rule
// wins.
func WithStatus(pathPrefix string, code int) Option {
	return func(c *config) error {
		if err := checkCode(code); err != nil {
			return err
		}
		if !strings.HasPrefix(pathPrefix, "/") {
			return fmt.Errorf("path prefix %q does not start with /", pathPrefix)
		}
		c.statusRules = append(c.statusRules, httpx.StatusRule{Prefix: pathPrefix, Code: code})
		return nil
	}
}

func checkCode(code int) error {
	if code < 100 || code > 599 {
		return fmt.Errorf("bad status code %d", code)
	}
	return nil
}
