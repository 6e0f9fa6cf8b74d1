package target

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// ContactPlan is what a run against the target may contact, worked out
// from the target alone before anything is sent (cutover lab plan): the
// resolvers and proxies of each vantage, every host the target names with
// what it is for, the domains under which a name the site hands over may
// be followed, who may receive a credential, and the limits that bound
// every host. Nothing outside it is ever sent a packet (the site
// boundary), nothing in it more than the budget.
type ContactPlan struct {
	Site            string        `json:"site"`
	Kind            string        `json:"kind"`
	TLSVerification string        `json:"tls_verification"`
	Vantages        []PlanVantage `json:"vantages"`
	Hosts           []PlanHost    `json:"hosts"`
	// Domains: names under these resolve through the target's resolvers
	// and may be connected to (SRV targets, nodes a server lists), without
	// credentials unless the host is also named.
	Domains []string `json:"domains"`
	// Addresses are IP literals the target itself names (a manual server,
	// connect_to): the only literals dialled.
	Addresses []string   `json:"addresses,omitempty"`
	Users     []string   `json:"users"`
	Limits    PlanLimits `json:"limits"`
	// AuthFailures are the failures remembered for the lockout window from
	// earlier runs (the state file), per host: the budget left there is
	// Limits.MaxAuthFailures minus this.
	AuthFailures map[string]int `json:"auth_failures,omitempty"`
}

// PlanVantage is where a client stands: its resolver and proxy.
type PlanVantage struct {
	Name     Where  `json:"name"`
	Resolver string `json:"resolver"`
	Proxy    string `json:"proxy,omitempty"`
}

// PlanHost is one host the target names.
type PlanHost struct {
	Name string `json:"name"`
	// Roles say why the target names it ("UCM cluster ucm-a node: UDS
	// https 8443", "sso").
	Roles []string `json:"roles"`
	// Credentials: test users' credentials may go there (verified TLS).
	Credentials bool `json:"credentials"`
}

// PlanLimits are the limits in force.
type PlanLimits struct {
	RPS                float64       `json:"rps"`
	RPSPerHost         float64       `json:"rps_per_host"`
	MaxRequestsPerHost int           `json:"max_requests_per_host"`
	MaxAuthFailures    int           `json:"max_auth_failures"`
	LockoutWindow      time.Duration `json:"lockout_window"`
	Timeout            time.Duration `json:"timeout"`
	DNSTimeout         time.Duration `json:"dns_timeout"`
	DeliveryTimeout    time.Duration `json:"delivery_timeout"`
	RunTimeout         time.Duration `json:"run_timeout"`
	MaxTargets         int           `json:"max_targets"`
}

// Plan works out the ContactPlan of the Target's site. It sends nothing.
func (t *Target) Plan() ContactPlan {
	s := t.Site
	b := newBoundary(s)
	p := ContactPlan{
		Site: s.Name, Kind: s.Kind, TLSVerification: t.TLSVerification(),
		Domains: slices.Clone(b.domains), Addresses: slices.Clone(b.ips),
		Limits: PlanLimits{
			RPS: s.Limits.RPS, RPSPerHost: s.Limits.RPSPerHost, MaxRequestsPerHost: s.Limits.MaxRequestsPerHost,
			MaxAuthFailures: s.Limits.MaxAuthFailures, LockoutWindow: s.Limits.LockoutWindow.D(),
			Timeout: t.Timeout(), DNSTimeout: t.DNSTimeout(), DeliveryTimeout: t.DeliveryTimeout(), RunTimeout: t.RunTimeout(), MaxTargets: s.Limits.MaxTargets,
		},
	}
	if p.Limits.RPS > 0 && (p.Limits.RPSPerHost <= 0 || p.Limits.RPSPerHost > p.Limits.RPS) {
		p.Limits.RPSPerHost = p.Limits.RPS
	}
	for _, v := range []struct {
		w Where
		v Vantage
	}{{Inside, s.Vantage.Inside}, {Outside, s.Vantage.Outside}} {
		if v.v.Resolver != "" {
			p.Vantages = append(p.Vantages, PlanVantage{Name: v.w, Resolver: v.v.Resolver, Proxy: v.v.Proxy})
		}
	}
	roles := map[string][]string{}
	add := func(h, role string) {
		h = normHost(h)
		if u, _, err := net.SplitHostPort(h); err == nil {
			h = u
		}
		if h != "" && !slices.Contains(roles[h], role) {
			roles[h] = append(roles[h], role)
		}
	}
	for _, c := range s.UCM {
		port := c.UDSPort
		if port == 0 {
			port = DefaultUDSPort
		}
		for _, n := range c.Nodes {
			add(n, fmt.Sprintf("UCM cluster %s node: UDS https %d", c.Name, port))
		}
	}
	for _, n := range s.IMP.Nodes {
		add(n, "IM&P node")
	}
	for _, n := range s.Expressway.Edge {
		add(n, "Expressway-E: MRA https 8443")
	}
	for _, n := range s.Expressway.Core {
		add(n, "Expressway-C")
	}
	names := []string{"sso", "sip", "xmpp", "hybrid"}
	for i, sec := range s.sections() {
		for _, h := range sec.hosts() {
			if u, err := url.Parse(h); err == nil && u.Host != "" {
				h = u.Hostname()
			}
			add(h, names[i])
		}
	}
	if m := s.Discovery.Manual; m != "" {
		add(m, "manual server (discovery.manual)")
	}
	for _, h := range b.hosts {
		p.Hosts = append(p.Hosts, PlanHost{Name: h, Roles: roles[h], Credentials: !b.insecure})
	}
	for _, u := range s.Users {
		p.Users = append(p.Users, u.Username)
	}
	t.guard.mu.Lock()
	t.guard.loadLocked()
	for _, e := range t.guard.events {
		if p.AuthFailures == nil {
			p.AuthFailures = map[string]int{}
		}
		p.AuthFailures[e.Host]++
	}
	t.guard.mu.Unlock()
	return p
}

// Covers reports whether host (a name, an IP literal, or a resolver or
// proxy "ip:port") is within the plan: a vantage's resolver or proxy, a
// named host, a name under the plan's domains, or a literal it names.
func (p ContactPlan) Covers(host string) bool {
	h := normHost(host)
	for _, v := range p.Vantages {
		if h == normHost(v.Resolver) || h == normHost(v.Proxy) {
			return true
		}
	}
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	b := boundary{domains: p.Domains, ips: p.Addresses}
	for _, ph := range p.Hosts {
		b.hosts = append(b.hosts, ph.Name)
	}
	return b.dial(h) == nil
}

// Write prints the plan for people.
func (p ContactPlan) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Contact plan for %s (kind %s): nothing outside it is sent anything.\n", p.Site, p.Kind)
	fmt.Fprintf(tw, "TLS verification: %s\n\nVantages\n", p.TLSVerification)
	for _, v := range p.Vantages {
		proxy := "direct"
		if v.Proxy != "" {
			proxy = "through proxy " + v.Proxy
		}
		fmt.Fprintf(tw, "  %s\tDNS %s (udp, tcp)\t%s\n", v.Name, v.Resolver, proxy)
	}
	fmt.Fprintf(tw, "\nHosts the target names\tcredentials\twhat for\n")
	for _, h := range p.Hosts {
		cred := "no"
		if h.Credentials {
			cred = "yes"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", h.Name, cred, strings.Join(h.Roles, "; "))
	}
	fmt.Fprintf(tw, "\nNames under these domains may be followed (no credentials unless named above): %s\n", strings.Join(p.Domains, ", "))
	if len(p.Addresses) > 0 {
		fmt.Fprintf(tw, "IP literals the target names: %s\n", strings.Join(p.Addresses, ", "))
	}
	fmt.Fprintf(tw, "Test users: %s\n\nLimits\n", strings.Join(p.Users, ", "))
	l := p.Limits
	rate := "no cap"
	if l.RPS > 0 {
		rate = fmt.Sprintf("%g/s in total, %g/s per host", l.RPS, l.RPSPerHost)
	}
	budget := "none"
	if l.MaxRequestsPerHost > 0 {
		budget = fmt.Sprintf("%d per host per process", l.MaxRequestsPerHost)
	}
	fmt.Fprintf(tw, "  rate\t%s\n  packets and requests\t%s\n", rate, budget)
	fmt.Fprintf(tw, "  authentication failures\t%d per host within %s, across runs\n", l.MaxAuthFailures, l.LockoutWindow)
	fmt.Fprintf(tw, "  timeouts\t%s per call, %s per DNS exchange, %s per message awaited, %s per run\n", l.Timeout, l.DNSTimeout, l.DeliveryTimeout, l.RunTimeout)
	fmt.Fprintf(tw, "  targets followed per answer\t%d\n", l.MaxTargets)
	for _, h := range p.Hosts {
		if n := p.AuthFailures[h.Name]; n > 0 {
			left := max(l.MaxAuthFailures-n, 0)
			fmt.Fprintf(tw, "  remembered failures on %s\t%d (%d left in the window)\n", h.Name, n, left)
		}
	}
	return tw.Flush()
}
