package discovery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/expressway"
	"example.com/cutover/harness/ucm"
)

// Resolver is what a client at one vantage point can ask DNS.
// target.View implements it.
type Resolver interface {
	LookupSRV(ctx context.Context, name string) ([]dnsclient.SRV, *dnsclient.Answer, error)
	LookupHost(ctx context.Context, host string) ([]netip.Addr, []string, error)
	HTTP() *http.Client
}

// Service names as the clients query them.
const (
	UDSService   = "_cisco-uds._tcp"
	EdgeService  = "_collab-edge._tls"
	CUPService   = "_cuplogin._tcp"
	UDSPort      = 8443
	EdgePort     = 8443
	defaultTopN  = 2
	defaultDelay = 20 * time.Second
)

// Modes a discovery can end in.
const (
	ModeUDS    = "uds"    // inside: straight to UCM
	ModeMRA    = "mra"    // outside: through Expressway-E
	ModePrompt = "prompt" // nothing to discover: the user is asked
)

// Errors of a discovery.
var (
	ErrNoService = errors.New("discovery: neither _cisco-uds nor _collab-edge answered")
	ErrNoUDS     = errors.New("discovery: no _cisco-uds server answered")
	ErrNoEdge    = errors.New("discovery: no _collab-edge server answered")
	ErrNotFound  = errors.New("discovery: user not found by clusterUser")
)

// Client discovers services as Jabber and the Webex App do.
type Client struct {
	// Resolver and HTTP client of the client's vantage point.
	Resolver Resolver
	// Budget is the overall discovery time (Jabber for Windows: 20s).
	Budget time.Duration
	// TopN is how many highest-priority _cisco-uds targets are tried.
	TopN int
	// Rand picks SRV weights and the random cluster node; nil: random.
	Rand *rand.Rand
}

// Input is what the client starts from.
type Input struct {
	Email    string
	Username string
	Password string
	// Manual is a server typed in the advanced settings (highest priority).
	Manual string
	// ConfigURL is the ciscojabber://provision link the user clicked.
	ConfigURL string
	// VoiceServicesDomain is set per user by a Control Hub UC Manager
	// Profile; it overrides the domain of the sign-in address.
	VoiceServicesDomain string
}

// Result is where discovery ended and how it got there.
type Result struct {
	// Source is what decided the domains: "manual", "config-url" or "email".
	Source              string
	Mode                string
	ServicesDomain      string
	VoiceServicesDomain string
	// UDS is the base URL of the UCM node that answered /version first.
	UDS string
	// HomeCluster is the publisher FQDN clusterUser named.
	HomeCluster string
	// Servers are the home cluster's nodes; Node is the one picked.
	Servers []string
	Node    string
	Devices []ucm.Device
	// Edge is the Expressway-E base URL and its configuration (MRA).
	Edge       string
	EdgeConfig *expressway.EdgeConfig
	// IMP are the _cuplogin targets seen.
	IMP []string
	// Trace is every step taken, for evidence.
	Trace []string
}

func (r *Result) logf(format string, args ...any) {
	r.Trace = append(r.Trace, fmt.Sprintf(format, args...))
}

// Discover runs discovery in the clients' order: manual settings, then the
// configuration URL, then the email domain; SRV for _cisco-uds (inside) or
// _collab-edge (MRA); then UDS home-cluster lookup. The whole run is bounded
// by Budget. The Result is returned even on error, with its trace.
func (c *Client) Discover(ctx context.Context, in Input) (*Result, error) {
	budget := c.Budget
	if budget <= 0 {
		budget = defaultDelay
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	r := &Result{}
	domain := emailDomain(in.Email)
	r.ServicesDomain, r.VoiceServicesDomain, r.Source = domain, domain, "email"
	var cfg ConfigURL
	switch {
	case in.Manual != "":
		r.Source, r.Mode = "manual", ModeUDS
		r.UDS = baseURL(in.Manual, UDSPort)
		r.logf("manual settings: %s (no SRV lookup)", in.Manual)
		if _, err := c.version(ctx, r, r.UDS); err != nil {
			return r, err
		}
		return r, c.homeCluster(ctx, r, in)
	case in.ConfigURL != "":
		var err error
		cfg, err = ParseConfigURL(in.ConfigURL)
		if err != nil {
			return r, err
		}
		if p := cfg.Problems(); len(p) > 0 {
			return r, fmt.Errorf("%w: %s", ErrConfigURL, strings.Join(p, "; "))
		}
		r.Source = "config-url"
		r.ServicesDomain = cfg.ServicesDomain
		r.VoiceServicesDomain = cfg.ServicesDomain
		if cfg.VoiceServicesDomain != "" {
			r.VoiceServicesDomain = cfg.VoiceServicesDomain
		}
		r.logf("config URL: ServicesDomain=%s VoiceServicesDomain=%s excluded=%v", r.ServicesDomain, r.VoiceServicesDomain, cfg.Excluded)
		if cfg.ExcludesAll() {
			r.Mode = ModePrompt
			r.logf("all services excluded: no discovery, the user is prompted")
			return r, nil
		}
	default:
		r.logf("domain from the sign-in address: %s", domain)
	}
	if in.VoiceServicesDomain != "" {
		r.VoiceServicesDomain = strings.ToLower(in.VoiceServicesDomain)
		r.logf("UC Manager Profile voice services domain: %s", r.VoiceServicesDomain)
	}
	if r.VoiceServicesDomain == "" {
		return r, fmt.Errorf("discovery: no domain to discover (email %q)", in.Email)
	}

	if !cfg.Excludes("CUP") {
		name := CUPService + "." + r.ServicesDomain
		if srvs, _, err := c.Resolver.LookupSRV(ctx, name); err == nil {
			for _, s := range srvs {
				r.IMP = append(r.IMP, strings.TrimSuffix(s.Target, "."))
			}
			r.logf("%s: %v", name, r.IMP)
		} else {
			r.logf("%s: %v", name, err)
		}
	}
	// why keeps each failed SRV lookup, so the error names the reason,
	// and errs the lookups' errors, so callers can tell a resolver that
	// did not answer from a record that is not there.
	var why []string
	var errs []error
	if !cfg.Excludes("CUCM") {
		name := UDSService + "." + r.VoiceServicesDomain
		srvs, _, err := c.Resolver.LookupSRV(ctx, name)
		r.logf("%s: %s", name, describe(srvs, err))
		why = append(why, describe(srvs, err))
		if err != nil {
			errs = append(errs, err)
		}
		if err == nil && len(srvs) > 0 {
			r.Mode = ModeUDS
			if err := c.firstUDS(ctx, r, srvs); err != nil {
				return r, err
			}
			return r, c.homeCluster(ctx, r, in)
		}
	}
	name := EdgeService + "." + r.VoiceServicesDomain
	srvs, _, err := c.Resolver.LookupSRV(ctx, name)
	r.logf("%s: %s", name, describe(srvs, err))
	if err != nil || len(srvs) == 0 {
		why = append(why, describe(srvs, err))
		if err != nil {
			errs = append(errs, err)
		}
		return r, &noServiceError{msg: fmt.Sprintf("%v for %s: %s", ErrNoService, r.VoiceServicesDomain, strings.Join(why, "; ")), errs: append([]error{ErrNoService}, errs...)}
	}
	r.Mode = ModeMRA
	return r, c.edge(ctx, r, srvs, in)
}

// firstUDS tries only the TopN highest-priority targets, in RFC 2782 order.
func (c *Client) firstUDS(ctx context.Context, r *Result, srvs []dnsclient.SRV) error {
	n := c.TopN
	if n <= 0 {
		n = defaultTopN
	}
	var errs []error
	for _, s := range TopN(dnsclient.Order(srvs, c.Rand), n) {
		base := baseURL(s.Target, int(s.Port))
		if _, err := c.version(ctx, r, base); err != nil {
			errs = append(errs, err)
			continue
		}
		r.UDS = base
		return nil
	}
	return fmt.Errorf("%w: tried the top %d: %w", ErrNoUDS, n, errors.Join(errs...))
}

// FindUDS is what the client does inside for domain: look up _cisco-uds,
// order the targets, try /cucm-uds/version on the top TopN within the
// budget, and return the base URL of the first that answers.
func (c *Client) FindUDS(ctx context.Context, domain string) (string, []string, error) {
	budget := c.Budget
	if budget <= 0 {
		budget = defaultDelay
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	r := &Result{}
	name := UDSService + "." + domain
	srvs, _, err := c.Resolver.LookupSRV(ctx, name)
	r.logf("%s: %s", name, describe(srvs, err))
	if err != nil {
		return "", r.Trace, fmt.Errorf("%w: %s: %w", ErrNoUDS, name, err)
	}
	if err := c.firstUDS(ctx, r, srvs); err != nil {
		return "", r.Trace, err
	}
	return r.UDS, r.Trace, nil
}

// TopN keeps the first n records of an ordered list: Jabber tries no more.
func TopN(ordered []dnsclient.SRV, n int) []dnsclient.SRV {
	if len(ordered) > n {
		return ordered[:n]
	}
	return ordered
}

func (c *Client) version(ctx context.Context, r *Result, base string) (ucm.VersionInfo, error) {
	v, _, err := ucm.NewClient(c.Resolver.HTTP()).Version(ctx, base)
	if err != nil {
		r.logf("GET %s/cucm-uds/version: %v", base, err)
		return v, err
	}
	r.logf("GET %s/cucm-uds/version: %s", base, v.Version)
	return v, nil
}

// homeCluster asks clusterUser by username and by email (Jabber sends both),
// follows homeCluster to its /servers list, picks a node at random and
// fetches the user's devices there with the user's credentials.
func (c *Client) homeCluster(ctx context.Context, r *Result, in Input) error {
	uds := ucm.NewClient(c.Resolver.HTTP())
	var found ucm.ClusterUser
	queries := [][2]string{{"username", in.Username}, {"email", in.Email}}
	var errs []error
	for _, q := range queries {
		if q[1] == "" {
			continue
		}
		cu, _, err := uds.ClusterUser(ctx, r.UDS, q[0], q[1])
		if err != nil {
			errs = append(errs, err)
			r.logf("clusterUser?%s=%s: %v", q[0], q[1], err)
			continue
		}
		r.logf("clusterUser?%s=%s: found=%v homeCluster=%s", q[0], q[1], cu.Found, cu.HomeCluster)
		if cu.Found && !found.Found {
			found = cu
		}
	}
	if !found.Found {
		errs = append(errs, ErrNotFound)
		return fmt.Errorf("discovery: home cluster: %w", errors.Join(errs...))
	}
	r.HomeCluster = found.HomeCluster
	servers, _, err := uds.Servers(ctx, found.ServersURI)
	if err != nil {
		r.logf("GET %s: %v", found.ServersURI, err)
		return fmt.Errorf("discovery: servers of %s: %w", found.HomeCluster, err)
	}
	r.Servers = servers
	if len(servers) == 0 {
		return fmt.Errorf("discovery: servers of %s: empty list", found.HomeCluster)
	}
	r.Node = servers[c.intN(len(servers))]
	r.logf("home cluster %s, servers %v, picked %s", found.HomeCluster, servers, r.Node)
	devs, _, err := uds.UserDevices(ctx, baseURL(r.Node, UDSPort), in.Username, ucm.Auth{Username: in.Username, Password: in.Password})
	if err != nil {
		r.logf("devices on %s: %v", r.Node, err)
		return fmt.Errorf("discovery: devices on %s: %w", r.Node, err)
	}
	r.Devices = devs
	r.logf("devices on %s: %d", r.Node, len(devs))
	return nil
}

// edge fetches the edge configuration from the first Expressway-E that
// answers, in RFC 2782 order.
func (c *Client) edge(ctx context.Context, r *Result, srvs []dnsclient.SRV, in Input) error {
	ec := expressway.NewClient(c.Resolver.HTTP())
	var errs []error
	for _, s := range dnsclient.Order(srvs, c.Rand) {
		base := baseURL(s.Target, int(s.Port))
		cfg, _, err := ec.GetEdgeConfig(ctx, base, r.VoiceServicesDomain,
			expressway.Credentials{Username: in.Username, Password: in.Password},
			"_cisco-uds", "_cuplogin")
		if err != nil {
			r.logf("get_edge_config at %s: %v", base, err)
			errs = append(errs, err)
			continue
		}
		r.Edge, r.EdgeConfig = base, &cfg
		r.logf("get_edge_config at %s: %d services", base, len(cfg.Services))
		return nil
	}
	return fmt.Errorf("%w: %w", ErrNoEdge, errors.Join(errs...))
}

func (c *Client) intN(n int) int {
	if c.Rand != nil {
		return c.Rand.IntN(n)
	}
	return rand.IntN(n)
}

func describe(srvs []dnsclient.SRV, err error) string {
	if err != nil {
		return err.Error()
	}
	parts := make([]string, len(srvs))
	for i, s := range srvs {
		parts[i] = fmt.Sprintf("%d %d %d %s", s.Priority, s.Weight, s.Port, s.Target)
	}
	return strings.Join(parts, ", ")
}

func emailDomain(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return strings.ToLower(d)
}

// baseURL is https://host:port for an SRV target.
func baseURL(host string, port int) string {
	return fmt.Sprintf("https://%s:%d", strings.TrimSuffix(host, "."), port)
}

// noServiceError says neither SRV name led anywhere; it unwraps to
// ErrNoService and to each lookup's error.
type noServiceError struct {
	msg  string
	errs []error
}

func (e *noServiceError) Error() string   { return e.msg }
func (e *noServiceError) Unwrap() []error { return e.errs }
