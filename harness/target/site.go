// Package target describes one site under test and gives the checks their
// only way to reach it. A Site is loaded from a YAML target file (lab) or
// built by harness/embedded around in-process fakes; either way the steps see
// the same type and never a fake.
package target

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Kinds of target.
const (
	// KindLab is a real site at the addresses the file gives.
	KindLab = "lab"
	// KindEmbedded is the example site's fakes, in-process.
	KindEmbedded = "embedded"
	// KindContainers is the same fakes as Docker containers.
	KindContainers = "containers"
)

// Site is everything the checks know about one site. Field names are the
// YAML keys; unknown keys are an error.
type Site struct {
	// Name labels reports. Default: the file name.
	Name string `yaml:"name"`
	// Kind is "lab" (default: real systems at the addresses below),
	// "embedded" (the in-process fakes) or "containers" (the same fakes in
	// Docker), the last two optionally with faults.
	Kind string `yaml:"kind"`
	// Fakes configures the fakes when Kind is embedded or containers.
	Fakes FakesSpec `yaml:"fakes,omitempty"`

	Domains    Domains     `yaml:"domains"`
	Vantage    Vantages    `yaml:"vantage"`
	UCM        []Cluster   `yaml:"ucm"`
	IMP        IMP         `yaml:"imp,omitempty"`
	Expressway Expressway  `yaml:"expressway,omitempty"`
	Users      []User      `yaml:"users"`
	Discovery  Discovery   `yaml:"discovery"`
	TLS        TLS         `yaml:"tls,omitempty"`
	Limits     Limits      `yaml:"limits"`
	ConnectTo  []ConnectTo `yaml:"connect_to,omitempty"`

	// The capabilities' own parts of the site, each in its file
	// (sso.go, sip.go, xmpp.go, hybrid.go).
	SSO    SSO    `yaml:"sso,omitempty"`
	SIP    SIP    `yaml:"sip,omitempty"`
	XMPP   XMPP   `yaml:"xmpp,omitempty"`
	Hybrid Hybrid `yaml:"hybrid,omitempty"`

	// Roots is the trust store built from TLS.CAFile (nil: the system pool).
	Roots *x509.CertPool `yaml:"-" json:"-"`
	// CAPEM is the PEM of the embedded site's test CA (to write ca_file).
	CAPEM []byte `yaml:"-" json:"-"`
	// File is where the site was loaded from ("" for built-in targets).
	File string `yaml:"-"`

	lines map[string]int
}

// SetLines gives a Site built from another file (the example site) the
// positions of its fields, for Line and Where.
func (s *Site) SetLines(lines map[string]int) { s.lines = lines }

// Fake reports whether the site is one of the built-in fake sites.
func (s *Site) Fake() bool { return s.Kind == KindEmbedded || s.Kind == KindContainers }

// FakesSpec selects the faults injected into the fakes.
type FakesSpec struct {
	// Faults are names from the fault catalogue (cutover list --json).
	Faults []string `yaml:"faults,omitempty"`
}

// Domains of the site.
type Domains struct {
	// Services is the services domain (Jabber's ServicesDomain, the IM&P side).
	Services string `yaml:"services"`
	// VoiceServices are the voice services domains the clients discover
	// UCM in: the default one first, then any set per user by a Control Hub
	// UC Manager Profile ("Transitioning from Jabber to Webex" guide, §UC Manager Profiles). Default: [Services].
	VoiceServices []string `yaml:"voice_services,omitempty"`
	// IMP is the IM&P (XMPP) domain. Default: Services.
	IMP string `yaml:"imp,omitempty"`
}

// Vantages are the places a client can stand.
type Vantages struct {
	Inside  Vantage `yaml:"inside"`
	Outside Vantage `yaml:"outside"`
}

// Vantage is one point of view: the DNS resolver a client there uses and,
// optionally, the HTTP CONNECT proxy its connections go through.
type Vantage struct {
	// Resolver is "ip:port" of the DNS server clients there ask.
	Resolver string `yaml:"resolver"`
	// Proxy is "ip:port" of an HTTP CONNECT proxy that stands where the
	// client would (e.g. outside the corporate network): every connection
	// from this vantage is made from there, so it reaches only what a
	// client there reaches. Empty: dial directly.
	Proxy string `yaml:"proxy,omitempty"`
}

// Cluster is one UCM cluster.
type Cluster struct {
	// Name identifies the cluster for users' home_cluster.
	Name string `yaml:"name"`
	// Nodes are the node FQDNs, publisher first.
	Nodes []string `yaml:"nodes"`
	// UDSPort is where the nodes serve UDS (Tomcat). Default 8443.
	UDSPort int `yaml:"uds_port,omitempty"`
}

// DefaultUDSPort is Tomcat's HTTPS port on UCM, where UDS is served.
const DefaultUDSPort = 8443

// Port is the cluster's UDS port.
func (c Cluster) Port() int {
	if c.UDSPort == 0 {
		return DefaultUDSPort
	}
	return c.UDSPort
}

// Publisher is the cluster's first node: the name UDS returns as homeCluster.
func (c Cluster) Publisher() string {
	if len(c.Nodes) == 0 {
		return ""
	}
	return c.Nodes[0]
}

// IMP is the IM and Presence service.
type IMP struct {
	Nodes []string `yaml:"nodes"`
}

// Expressway lists the Expressway nodes.
type Expressway struct {
	// Edge are the Expressway-E node FQDNs reachable from outside.
	Edge []string `yaml:"edge"`
	// Core are the Expressway-C node FQDNs (inside).
	Core []string `yaml:"core,omitempty"`
}

// User is a test user. Secrets are named by environment variable and never
// written in the file.
type User struct {
	Username string `yaml:"username"`
	Email    string `yaml:"email"`
	// HomeCluster is the Name of the user's UCM cluster.
	HomeCluster string `yaml:"home_cluster"`
	// VoiceServicesDomain is set when a UC Manager Profile gives the user a
	// domain other than their email domain.
	VoiceServicesDomain string `yaml:"voice_services_domain,omitempty"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `yaml:"password_env"`
	// Devices are the device names the user should have (CSF…, BOT…, …).
	Devices []string `yaml:"devices,omitempty"`

	// The capabilities' own fields of a user, each in its file.
	SSOUser    `yaml:",inline"`
	SIPUser    `yaml:",inline"`
	XMPPUser   `yaml:",inline"`
	HybridUser `yaml:",inline"`

	// Password is read from PasswordEnv at load time.
	Password string `yaml:"-"`
}

// Domain is the part of the email after the @.
func (u User) Domain() string {
	_, d, _ := strings.Cut(u.Email, "@")
	return strings.ToLower(d)
}

// VSD is the voice services domain the user's client discovers in: the one
// a UC Manager Profile sets, else the email domain.
func (u User) VSD() string {
	if u.VoiceServicesDomain != "" {
		return strings.ToLower(u.VoiceServicesDomain)
	}
	return u.Domain()
}

// Discovery holds what the clients are given before discovery starts.
type Discovery struct {
	// ConfigURL is the ciscojabber://provision URL handed to users, if any.
	ConfigURL string `yaml:"config_url,omitempty"`
	// Manual, when set, is the server typed into the client's advanced
	// settings: it takes precedence over everything else.
	Manual string `yaml:"manual,omitempty"`
	// Budget is how long the client keeps trying (Jabber for Windows: 20s).
	Budget Duration `yaml:"budget,omitempty"`
	// TopN is how many of the highest-priority _cisco-uds targets the
	// client tries. Default 2.
	TopN int `yaml:"top_n,omitempty"`
	// UnknownUser is a username that must not exist. Default
	// "cutover-no-such-user".
	UnknownUser string `yaml:"unknown_user,omitempty"`
}

// TLS holds trust settings.
type TLS struct {
	// CAFile is a PEM bundle of the roots the site's certificates must
	// chain to. Empty: the system roots.
	CAFile string `yaml:"ca_file,omitempty"`
	// InsecureSkipVerify turns TLS verification off for the connections
	// themselves (a lab with certificates no CA file covers). The checks
	// of certificates still judge them, no credential is sent over a
	// connection that was not verified, and every report says so.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty"`
}

// Limits keep a lab run safe against production.
type Limits struct {
	// RPS caps what the suite sends to the site per second, in total:
	// every DNS datagram, connection and request counts. 0: no cap.
	// Default for lab targets 5.
	RPS float64 `yaml:"rps,omitempty"`
	// RPSPerHost caps it per host (resolver, node). Default: RPS.
	RPSPerHost float64 `yaml:"rps_per_host,omitempty"`
	// MaxRequestsPerHost caps what one process sends to one host (DNS
	// datagrams, connections, requests and messages): past it nothing more
	// is sent there and the checks left report that they could not test.
	// Default for lab targets 2000, none for fakes; --repeat N needs N
	// times a run's count.
	MaxRequestsPerHost int `yaml:"max_requests_per_host,omitempty" json:",omitempty"`
	// MaxAuthFailures caps the authentication failures the suite may cause
	// on one host within LockoutWindow, across runs: a test user's
	// credential refused, or a deliberate bad-credential probe. Default 2,
	// below Expressway-E's lockout after more than 5.
	MaxAuthFailures int `yaml:"max_auth_failures,omitempty"`
	// LockoutWindow is how long the product remembers failures. Default 10m.
	LockoutWindow Duration `yaml:"lockout_window,omitempty"`
	// Timeout bounds every single network call. Default 10s.
	Timeout Duration `yaml:"timeout,omitempty"`
	// DNSTimeout bounds each DNS exchange (UDP, and the TCP retry each).
	// Default: Timeout. Resolvers answer in milliseconds where HTTPS to a
	// busy node can take seconds.
	DNSTimeout Duration `yaml:"dns_timeout,omitempty" json:",omitempty"`
	// DeliveryTimeout bounds how long a check waits for a message to
	// arrive: a federation partner's reply, a Jabber message in Webex, a
	// Webex reply or a report in Jabber (the federation test agent is
	// given it with each probe). Default: Timeout, which it may not
	// exceed. A site known to deliver in a second can be given less, so
	// a silent site is told sooner.
	DeliveryTimeout Duration `yaml:"delivery_timeout,omitempty" json:",omitempty"`
	// RunTimeout bounds a whole run: past it the checks still running are
	// reported as not tested. Default 30m (lab), 5m (fakes).
	RunTimeout Duration `yaml:"run_timeout,omitempty"`
	// MaxTargets caps the SRV targets, nodes and servers followed from one
	// answer of the site. Default 20.
	MaxTargets int `yaml:"max_targets,omitempty"`
}

// ConnectTo sends connections for From to To instead, after From's name was
// resolved through the vantage's DNS (like curl --connect-to). It maps the
// ports of fakes and containers; a lab site normally has none.
type ConnectTo struct {
	// From is "host:port" or "ip:port" as the client would dial it.
	From string `yaml:"from"`
	// To is "ip:port" actually dialled.
	To string `yaml:"to"`
}

// Duration is a time.Duration written as "20s", "1m30s".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalText parses Go duration syntax.
func (d *Duration) UnmarshalText(b []byte) error {
	if err := d.parse(b); err != nil {
		return fmt.Errorf("target: %w", err)
	}
	return nil
}

func (d *Duration) parse(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration (want e.g. 20s): %q", b)
	}
	if v <= 0 {
		return fmt.Errorf("must be positive: %q", b)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML reports a bad duration with its line, as a type error so
// that loading goes on and reports every problem.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if err := d.parse([]byte(n.Value)); err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	return nil
}

// MarshalText writes Go duration syntax.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Cluster returns the cluster named name.
func (s *Site) Cluster(name string) (Cluster, bool) {
	for _, c := range s.UCM {
		if c.Name == name {
			return c, true
		}
	}
	return Cluster{}, false
}

// ClusterOf returns the cluster a node belongs to.
func (s *Site) ClusterOf(node string) (Cluster, bool) {
	node = strings.ToLower(strings.TrimSuffix(node, "."))
	for _, c := range s.UCM {
		for _, n := range c.Nodes {
			if strings.EqualFold(n, node) {
				return c, true
			}
		}
	}
	return Cluster{}, false
}

// SignInDomains are the domains clients discover in when a user signs in
// with an email address: the default voice services domain and every test
// user's email domain, lower case, once each.
func (s *Site) SignInDomains() []string {
	var out []string
	if len(s.Domains.VoiceServices) > 0 {
		out = appendUnique(out, s.Domains.VoiceServices[0])
	}
	for _, u := range s.Users {
		out = appendUnique(out, u.Domain())
	}
	return out
}

// ProfileDomains are the voice services domains set by Control Hub UC
// Manager Profiles: the rest of the list and users' own, less the sign-in
// domains.
func (s *Site) ProfileDomains() []string {
	sign := s.SignInDomains()
	var out []string
	add := func(d string) {
		if d = strings.ToLower(d); d != "" && !slices.Contains(sign, d) {
			out = appendUnique(out, d)
		}
	}
	for _, d := range s.Domains.VoiceServices {
		add(d)
	}
	for _, u := range s.Users {
		add(u.VoiceServicesDomain)
	}
	return out
}

// VoiceDomains are every domain a client may discover in: the sign-in
// domains, then the UC Manager Profile domains.
func (s *Site) VoiceDomains() []string {
	return append(s.SignInDomains(), s.ProfileDomains()...)
}

func appendUnique(list []string, s string) []string {
	s = strings.ToLower(s)
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// AllUCMNodes lists every UCM node of every cluster.
func (s *Site) AllUCMNodes() []string {
	var out []string
	for _, c := range s.UCM {
		out = append(out, c.Nodes...)
	}
	return out
}

// Line returns the line of a field path such as "users[0].email" in the
// file the site was loaded from, or 0.
func (s *Site) Line(path string) int { return s.lines[path] }

// Where formats a field's position for messages: "file:line: field path".
func (s *Site) Where(path string) string {
	if s.File == "" {
		return "field " + path
	}
	return fmt.Sprintf("%s:%d: field %s", s.File, s.lines[path], path)
}
