// Package fakesite describes the example site that the fakes make up — DNS
// views, UCM nodes, Expressway-E — as plain data (a Plan), lets named faults
// edit that data, and starts any one role of it. harness/embedded starts
// every role in-process; harness/containers starts the same roles in
// containers. A fake added later is a new role kind here plus its faults.
package fakesite

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"example.com/cutover/harness/target"
)

// CertKind says how a role's certificate is made.
type CertKind string

// Certificate kinds.
const (
	CertGood    CertKind = ""        // issued by the site's trusted test CA
	CertRogue   CertKind = "rogue"   // issued by a CA nobody trusts
	CertExpired CertKind = "expired" // trusted CA, expired yesterday
)

// Role kinds.
const (
	KindDNS  = "dns"
	KindUCM  = "ucm"
	KindEdge = "edge"
	// KindProxy is a vantage point: an HTTP CONNECT proxy on the networks
	// a client there reaches; the target dials through it.
	KindProxy = "proxy"
)

// ProxyPort is where a client proxy listens in a container.
const ProxyPort = "3128"

// Network zones of the site (containers put roles on these networks).
const (
	ZoneInside  = "inside"
	ZoneDMZ     = "dmz"
	ZoneOutside = "outside"
)

// Plan is the whole fake site.
type Plan struct {
	// Site is the site data the checks see (users carry passwords).
	Site *target.Site `json:"site"`
	// Hosts maps every host name in the zones to its address.
	Hosts map[string]string `json:"hosts"`
	// Roles are the fakes to run, one per host or DNS view.
	Roles []Role `json:"roles"`
	// Faults applied, for the record.
	Faults []string `json:"faults,omitempty"`
}

// Role is one fake process: its kind, where it sits and everything it
// needs to start, including fault settings, as data.
type Role struct {
	// Name is unique in the plan: the host FQDN, or "dns-inside".
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Zones the role is attached to (containers).
	Zones []string `json:"zones"`
	// Down means the host exists in DNS but nothing answers (a dead node).
	Down bool `json:"down,omitempty"`
	// Cert of HTTPS roles, and the names it carries.
	Cert     CertKind `json:"cert,omitempty"`
	DNSNames []string `json:"dns_names,omitempty"`
	SRVNames []string `json:"srv_names,omitempty"`

	DNS   *DNSRole   `json:"dns,omitempty"`
	UCM   *UCMRole   `json:"ucm,omitempty"`
	Edge  *EdgeRole  `json:"edge,omitempty"`
	Proxy *ProxyRole `json:"proxy,omitempty"`
}

// ProxyRole is where a client stands.
type ProxyRole struct {
	// View is the vantage point it is: "inside" or "outside".
	View string `json:"view"`
}

// DNSRole is one DNS view.
type DNSRole struct {
	// View is "inside" or "outside": which vantage point it serves.
	View    string   `json:"view"`
	Records []string `json:"records"`
	NoTCP   bool     `json:"no_tcp,omitempty"`
}

// UCMRole is one UCM node's UDS.
type UCMRole struct {
	ClusterNodes      []string `json:"cluster_nodes"`
	HideUsers         []string `json:"hide_users,omitempty"`
	HideDevicesOf     []string `json:"hide_devices_of,omitempty"`
	UnknownUserStatus int      `json:"unknown_user_status,omitempty"`
	DevicesOpen       bool     `json:"devices_open,omitempty"`
	Realm             string   `json:"realm,omitempty"`
	WrongHomeCluster  string   `json:"wrong_home_cluster,omitempty"`
}

// EdgeRole is one Expressway-E.
type EdgeRole struct {
	AcceptAnyCredentials bool     `json:"accept_any_credentials,omitempty"`
	OmitServices         []string `json:"omit_services,omitempty"`
	PaddedPathOnly       bool     `json:"padded_path_only,omitempty"`
	Status               int      `json:"status,omitempty"`
}

// Default is the healthy example site: domains example.com and (by UC
// Manager Profile) emea.example.com, UCM clusters ucm-a (3 nodes) and ucm-b,
// one IM&P node, one Expressway-E, users alice and bob. Addresses are
// loopback; containers replace them with their own.
func Default() *Plan {
	site := &target.Site{
		Name: "embedded",
		Kind: target.KindEmbedded,
		Domains: target.Domains{
			Services:      "example.com",
			VoiceServices: []string{"example.com", "emea.example.com"},
			IMP:           "example.com",
		},
		UCM: []target.Cluster{
			{Name: "ucm-a", Nodes: []string{"ucm1.example.com", "ucm2.example.com", "ucm3.example.com"}},
			{Name: "ucm-b", Nodes: []string{"ucmb1.example.com"}},
		},
		IMP:        target.IMP{Nodes: []string{"imp1.example.com"}},
		Expressway: target.Expressway{Edge: []string{"expe1.example.com"}},
		Users: []target.User{
			{Username: "alice", Email: "alice@example.com", HomeCluster: "ucm-a", PasswordEnv: "CUTOVER_PASSWORD_ALICE",
				Devices: []string{"CSFALICE", "BOTALICE", "TCTALICE", "TABALICE"}},
			{Username: "bob", Email: "bob@example.com", HomeCluster: "ucm-b", VoiceServicesDomain: "emea.example.com", PasswordEnv: "CUTOVER_PASSWORD_BOB",
				Devices: []string{"CSFBOB"}},
		},
		Discovery: target.Discovery{
			ConfigURL:   "ciscojabber://provision?ServicesDomain=example.com&VoiceServicesDomain=example.com&ServicesDomainSsoEmailPrompt=ON",
			Budget:      target.Duration(5 * time.Second),
			TopN:        2,
			UnknownUser: "cutover-no-such-user",
		},
		Limits: target.Limits{MaxAuthFailures: 1000, Timeout: target.Duration(3 * time.Second)},
	}
	for i := range site.Users {
		site.Users[i].Password = randomSecret()
	}
	p := &Plan{
		Site: site,
		Hosts: map[string]string{
			"ucm1.example.com":  "127.0.1.1",
			"ucm2.example.com":  "127.0.1.2",
			"ucm3.example.com":  "127.0.1.3",
			"ucmb1.example.com": "127.0.1.11",
			"imp1.example.com":  "127.0.1.21",
			"expe1.example.com": "127.0.2.1",
		},
	}
	soa := "example.com. 3600 IN SOA ns.example.com. hostmaster.example.com. 1 7200 3600 1209600 300"
	p.Roles = append(p.Roles,
		Role{Name: "dns-inside", Kind: KindDNS, Zones: []string{ZoneInside}, DNS: &DNSRole{View: "inside", Records: []string{
			soa,
			"_cisco-uds._tcp.example.com. 300 IN SRV 10 50 8443 ucm1.example.com.",
			"_cisco-uds._tcp.example.com. 300 IN SRV 20 50 8443 ucm2.example.com.",
			"_cisco-uds._tcp.example.com. 300 IN SRV 30 50 8443 ucm3.example.com.",
			"_cisco-uds._tcp.emea.example.com. 300 IN SRV 10 50 8443 ucmb1.example.com.",
			"_cuplogin._tcp.example.com. 300 IN SRV 10 50 8443 imp1.example.com.",
		}}},
		Role{Name: "dns-outside", Kind: KindDNS, Zones: []string{ZoneOutside}, DNS: &DNSRole{View: "outside", Records: []string{
			soa,
			"_collab-edge._tls.example.com. 300 IN SRV 10 50 8443 expe1.example.com.",
			"_collab-edge._tls.emea.example.com. 300 IN SRV 10 50 8443 expe1.example.com.",
		}}},
	)
	for _, cl := range site.UCM {
		for _, n := range cl.Nodes {
			p.Roles = append(p.Roles, Role{Name: n, Kind: KindUCM, Zones: []string{ZoneInside}, DNSNames: []string{n},
				UCM: &UCMRole{ClusterNodes: cl.Nodes}})
		}
	}
	p.Roles = append(p.Roles, Role{Name: "expe1.example.com", Kind: KindEdge, Zones: []string{ZoneDMZ, ZoneOutside},
		DNSNames: []string{"expe1.example.com", "collab-edge.example.com"},
		SRVNames: []string{"_collab-edge._tls.emea.example.com"},
		Edge:     &EdgeRole{}})
	// The clients: inside reaches the inside network and the DMZ, outside
	// only the outside network (where Expressway-E also has a leg).
	p.Roles = append(p.Roles,
		Role{Name: "client-inside", Kind: KindProxy, Zones: []string{ZoneInside, ZoneDMZ}, Proxy: &ProxyRole{View: "inside"}},
		Role{Name: "client-outside", Kind: KindProxy, Zones: []string{ZoneOutside}, Proxy: &ProxyRole{View: "outside"}},
	)
	return p
}

// Role returns the role named name, for editing.
func (p *Plan) Role(name string) *Role {
	for i := range p.Roles {
		if p.Roles[i].Name == name {
			return &p.Roles[i]
		}
	}
	return nil
}

// RolesOf returns every role of a kind, for editing.
func (p *Plan) RolesOf(kind string) []*Role {
	var out []*Role
	for i := range p.Roles {
		if p.Roles[i].Kind == kind {
			out = append(out, &p.Roles[i])
		}
	}
	return out
}

// DNSView returns the DNS role serving a vantage point.
func (p *Plan) DNSView(view string) *DNSRole {
	for _, r := range p.RolesOf(KindDNS) {
		if r.DNS.View == view {
			return r.DNS
		}
	}
	return nil
}

// Apply injects faults by name.
func (p *Plan) Apply(faults ...string) error {
	for _, name := range faults {
		f, ok := Lookup(name)
		if !ok {
			return fmt.Errorf("%w %q (known: %s)", ErrUnknownFault, name, strings.Join(Names(), ", "))
		}
		f.apply(p)
		p.Faults = append(p.Faults, name)
	}
	return nil
}

// Settings are what every way of running the fake site takes: the faults
// to inject and the few site values a caller may change.
type Settings struct {
	// Name labels reports. Default: the runner's base name, with
	// "+fault,…" when faults are injected.
	Name   string
	Faults []string
	// Timeout bounds each network call (default 3s); Budget bounds each
	// client discovery (default 5s: nothing here needs the real 20s).
	Timeout, Budget time.Duration
}

// Build makes the Default plan with the settings applied and issues its
// bundle; the site's trust roots come from the bundle. base names the way
// it runs ("embedded", "containers").
func Build(base string, s Settings) (*Plan, *Bundle, error) {
	p := Default()
	if err := p.Apply(s.Faults...); err != nil {
		return nil, nil, err
	}
	site := p.Site
	site.Name = base
	if len(p.Faults) > 0 {
		site.Name += "+" + strings.Join(p.Faults, ",")
	}
	if s.Name != "" {
		site.Name = s.Name
	}
	if s.Timeout > 0 {
		site.Limits.Timeout = target.Duration(s.Timeout)
	}
	if s.Budget > 0 {
		site.Discovery.Budget = target.Duration(s.Budget)
	}
	b, err := NewBundle(p)
	if err != nil {
		return nil, nil, err
	}
	if site.Roots, err = b.Roots(); err != nil {
		return nil, nil, err
	}
	site.CAPEM = b.CAPEM
	return p, b, nil
}

// Records returns a DNS view's records with the host addresses added: the
// inside view knows every host, the outside view the hosts in the DMZ and
// outside zones.
func (p *Plan) Records(r *Role) []string {
	out := append([]string(nil), r.DNS.Records...)
	var hosts []string
	for h := range p.Hosts {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		if r.DNS.View == "outside" && !p.public(h) {
			continue
		}
		out = append(out, fmt.Sprintf("%s. 300 IN A %s", h, p.Hosts[h]))
	}
	return out
}

// public reports whether a host sits in the DMZ or outside.
func (p *Plan) public(host string) bool {
	r := p.Role(host)
	if r == nil {
		return false
	}
	for _, z := range r.Zones {
		if z == ZoneDMZ || z == ZoneOutside {
			return true
		}
	}
	return false
}

// randomSecret makes a fresh password per run: nothing real can depend on it.
func randomSecret() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails on Linux (crypto/rand)
	return "pw-" + hex.EncodeToString(b)
}
