package devcfg

import (
	"errors"
	"fmt"
	"strings"

	"example.com/cutover/harness/httpx"
)

// Option configures a Server; errors surface from New.
type Option func(*serverConfig) error

type serverConfig struct {
	nodes       []Node
	devices     map[string]bool
	modeOff     map[string]bool
	noOAuthPort map[string]bool
	noMRAPort   map[string]bool
	statusRules []httpx.StatusRule
}

func defaultServerConfig() serverConfig {
	return serverConfig{
		devices: map[string]bool{}, modeOff: map[string]bool{},
		noOAuthPort: map[string]bool{}, noMRAPort: map[string]bool{},
	}
}

// WithNodes sets the cluster's nodes, in the order of the device's
// CallManager group; default one DefaultNode("ucm1.example.com").
func WithNodes(nodes ...Node) Option {
	return func(c *serverConfig) error {
		for _, n := range nodes {
			if n.Name == "" {
				return errors.New("node without a name")
			}
		}
		c.nodes = append(c.nodes, nodes...)
		return nil
	}
}

// WithDevices adds device names ("CSFalice"); other names get 404.
func WithDevices(names ...string) Option {
	return func(c *serverConfig) error {
		for _, n := range names {
			if n == "" || strings.ContainsAny(n, "/?# ") {
				return fmt.Errorf("bad device name %q", n)
			}
			c.devices[strings.ToLower(n)] = true
		}
		return nil
	}
}

// OAuthModeOff is a fault: <sipOAuthMode>0</sipOAuthMode> for the named
// devices, or for all when none is named (cluster mode never enabled).
func OAuthModeOff(devices ...string) Option {
	return func(c *serverConfig) error { mark(c.modeOff, devices); return nil }
}

// OmitOAuthPort is a fault: no <sipOAuthPort> for the named nodes, or all.
func OmitOAuthPort(nodes ...string) Option {
	return func(c *serverConfig) error { mark(c.noOAuthPort, nodes); return nil }
}

// OmitMRAOAuthPort is a fault: no <sipMRAOAuthPort> for the named nodes,
// or all.
func OmitMRAOAuthPort(nodes ...string) Option {
	return func(c *serverConfig) error { mark(c.noMRAPort, nodes); return nil }
}

// WithStatus is a fault: paths starting with prefix answer code.
func WithStatus(prefix string, code int) Option {
	return func(c *serverConfig) error {
		if code < 100 || code > 599 || !strings.HasPrefix(prefix, "/") {
			return fmt.Errorf("bad status rule %q %d", prefix, code)
		}
		c.statusRules = append(c.statusRules, httpx.StatusRule{Prefix: prefix, Code: code})
		return nil
	}
}

func mark(m map[string]bool, names []string) {
	if len(names) == 0 {
		m["*"] = true
	}
	for _, n := range names {
		m[strings.ToLower(n)] = true
	}
}
