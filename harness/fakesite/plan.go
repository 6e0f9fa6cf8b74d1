// Package fakesite is the fake site as data: hosts on the site's networks
// (inside, DMZ, outside), each carrying services (a kind, a port, a
// transport and the kind's settings), the site data the checks see, and the
// named faults that edit all of it. The example site is a fixture file
// (fixtures/sites/example.yaml) loaded by the target file's strict decoder.
//
// One table (Kinds) maps each service kind to its start function; HTTPS
// services on one host and port share a listener. StartHost starts one
// host, in-process or inside a container. A Launcher (harness/embedded,
// harness/containers) runs every host of a plan, and Open wires what it
// started into a target.Target once, the same way for every launcher.
package fakesite

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"example.com/cutover/harness/target"
)

// Network zones of the site (containers put hosts on these networks).
const (
	ZoneInside  = "inside"
	ZoneDMZ     = "dmz"
	ZoneOutside = "outside"
)

// Transport is how a service is reached.
type Transport string

// Transports.
const (
	UDPTCP Transport = "udp+tcp" // DNS
	TCP    Transport = "tcp"     // plain TCP (a CONNECT proxy, SIP over TCP)
	TLS    Transport = "tls"     // TLS with the host's certificate
	MTLS   Transport = "mtls"    // TLS that demands a client certificate
	HTTP   Transport = "http"    // plain HTTP (UCM's TFTP on 6970)
)

// Plan is the whole fake site.
type Plan struct {
	// Site is the site data the checks see (users carry passwords).
	Site *target.Site `json:"site"`
	// Hosts are the machines of the site, DNS views and client vantage
	// points among them.
	Hosts []*Host `json:"hosts"`
	// Keys are credentials issued for a purpose other than a host's TLS
	// server certificate: a client certificate for mutual TLS, a SAML or
	// JWT signing key.
	Keys []KeySpec `json:"keys,omitempty"`
	// ClockOffset moves the site's clock (fakes, clients, checks) from the
	// real time; it travels with the bundle.
	ClockOffset time.Duration `json:"clock_offset,omitempty"`
	// Net is how the fakes themselves resolve and connect (dialback, a
	// partner's reply); the launcher fills it.
	Net Net `json:"net"`
	// Faults applied, for the record.
	Faults []string `json:"faults,omitempty"`
}

// Net is the fakes' own view of the site network: the resolver of each DNS
// view and the connect map that sends a plan address to where the service
// really listens.
type Net struct {
	Resolvers map[string]string  `json:"resolvers,omitempty"`
	ConnectTo []target.ConnectTo `json:"connect_to,omitempty"`
}

// Host is one machine of the site.
type Host struct {
	// Name is unique in the plan: the host's FQDN, or a label such as
	// "dns-inside" for a host that is not itself in DNS.
	Name string `yaml:"name" json:"name"`
	// Address is where the plan says the host is: a loopback address for
	// the embedded launcher, the container's address for containers. DNS
	// views publish it for FQDN hosts.
	Address string `yaml:"address,omitempty" json:"address,omitempty"`
	// Zones are the networks the host is on.
	Zones []string `yaml:"zones" json:"zones"`
	// Addresses are the host's addresses per zone when it has one on each
	// network (containers); Address is then its most public one. A DNS
	// view publishes the address its clients reach (AddrFor).
	Addresses map[string]string `yaml:"-" json:"addresses,omitempty"`
	// Aliases are other names of the host (container network aliases).
	Aliases []string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	// Down means the host exists in DNS but nothing answers (a dead node).
	Down bool `yaml:"down,omitempty" json:"down,omitempty"`
	// Resolver is the DNS view the host's own lookups use. Default: inside
	// for a host on the inside network or the DMZ, else outside.
	Resolver string `yaml:"resolver,omitempty" json:"resolver,omitempty"`
	// Cert is the host's TLS server certificate (needed by TLS services).
	Cert *CertSpec `yaml:"cert,omitempty" json:"cert,omitempty"`
	// Services are what the host runs.
	Services []*Service `yaml:"-" json:"services"`
}

// CertSpec says how a certificate is made.
type CertSpec struct {
	// Names are the DNS SANs. Default: the host's name.
	Names []string `yaml:"names,omitempty" json:"names,omitempty"`
	// SRVNames are RFC 4985 SRVName SANs (_collab-edge._tls.D).
	SRVNames []string `yaml:"srv_names,omitempty" json:"srv_names,omitempty"`
	// Issuer is "" (the site's trusted test CA) or "rogue" (a CA nobody
	// trusts).
	Issuer string `yaml:"issuer,omitempty" json:"issuer,omitempty"`
	// Validity is "" (valid for a year), "expired" (yesterday) or
	// "expiring" (within 30 days), against the site's clock.
	Validity string `yaml:"validity,omitempty" json:"validity,omitempty"`
}

// Certificate issuers and validities.
const (
	IssuerTrusted = ""
	IssuerRogue   = "rogue"

	ValidityGood     = ""
	ValidityExpired  = "expired"
	ValidityExpiring = "expiring"
)

// Key purposes.
const (
	PurposeTLSServer   = "tls-server"
	PurposeTLSClient   = "tls-client"
	PurposeSAMLSigning = "saml-signing"
	PurposeJWTSigning  = "jwt-signing"
)

// KeySpec is one credential a fake holds for a purpose.
type KeySpec struct {
	// Name identifies the key in the bundle, e.g. "expc1.example.com/tls-client".
	Name    string   `yaml:"name" json:"name"`
	Purpose string   `yaml:"purpose" json:"purpose"`
	Cert    CertSpec `yaml:"cert,omitempty" json:"cert,omitempty"`
}

// Service is one thing a host runs.
type Service struct {
	// Kind names the entry of the Kinds table that starts it.
	Kind string `yaml:"kind" json:"kind"`
	Port int    `yaml:"port" json:"port"`
	// Transport defaults to the kind's.
	Transport Transport `yaml:"transport,omitempty" json:"transport,omitempty"`
	// Settings is the kind's settings value (a pointer to its type, see
	// Kind.Settings); faults edit it through Each.
	Settings any `yaml:"-" json:"-"`
}

// Host returns the host named name.
func (p *Plan) Host(name string) (*Host, error) {
	for _, h := range p.Hosts {
		if h.Name == name {
			return h, nil
		}
	}
	return nil, fmt.Errorf("%w: no host %q in the plan", ErrPlan, name)
}

// User returns the site's test user named username.
func (p *Plan) User(username string) (*target.User, error) {
	for i := range p.Site.Users {
		if p.Site.Users[i].Username == username {
			return &p.Site.Users[i], nil
		}
	}
	return nil, fmt.Errorf("%w: no test user %q in the plan", ErrPlan, username)
}

// Services returns every service of a kind with its host.
func (p *Plan) Services(kind string) []HostService {
	var out []HostService
	for _, h := range p.Hosts {
		for _, s := range h.Services {
			if s.Kind == kind {
				out = append(out, HostService{h, s})
			}
		}
	}
	return out
}

// HostService is a service with the host it runs on.
type HostService struct {
	Host    *Host
	Service *Service
}

// Each applies f to the settings of every service of kind (whose settings
// type must be T) and fails when the plan has no such service: a fault that
// edits nothing is a mistake, not a healthy site.
func Each[T any](p *Plan, kind string, f func(h *Host, s *T) error) error {
	svcs := p.Services(kind)
	if len(svcs) == 0 {
		return fmt.Errorf("%w: no %s service in the plan", ErrPlan, kind)
	}
	for _, hs := range svcs {
		s, ok := hs.Service.Settings.(*T)
		if !ok {
			return fmt.Errorf("%w: %s service on %s has settings %T, not %T", ErrPlan, kind, hs.Host.Name, hs.Service.Settings, s)
		}
		if err := f(hs.Host, s); err != nil {
			return err
		}
	}
	return nil
}

// SettingsOf returns the settings of host's first service of kind.
func SettingsOf[T any](p *Plan, host, kind string) (*T, error) {
	h, err := p.Host(host)
	if err != nil {
		return nil, err
	}
	for _, s := range h.Services {
		if s.Kind == kind {
			if v, ok := s.Settings.(*T); ok {
				return v, nil
			}
			return nil, fmt.Errorf("%w: %s service on %s has settings %T", ErrPlan, kind, host, s.Settings)
		}
	}
	return nil, fmt.Errorf("%w: host %s runs no %s service", ErrPlan, host, kind)
}

// ErrPlan marks a plan that is inconsistent, or a fault that names a host,
// user or service the plan lacks.
var ErrPlan = errors.New("fakesite: plan")

// FQDN reports whether the host is itself in DNS (its name has a dot).
func (h *Host) FQDN() bool { return strings.Contains(h.Name, ".") }

// Public reports whether the host sits in the DMZ or outside.
func (h *Host) Public() bool {
	return slices.Contains(h.Zones, ZoneDMZ) || slices.Contains(h.Zones, ZoneOutside)
}

// View is the DNS view the host's own lookups use.
func (h *Host) View() string {
	if h.Resolver != "" {
		return h.Resolver
	}
	if slices.Contains(h.Zones, ZoneInside) || slices.Contains(h.Zones, ZoneDMZ) {
		return ZoneInside
	}
	return ZoneOutside
}

// Ports are the ports the host's services listen on, sorted, once each.
func (h *Host) Ports() []int {
	var out []int
	for _, s := range h.Services {
		if !slices.Contains(out, s.Port) {
			out = append(out, s.Port)
		}
	}
	sort.Ints(out)
	return out
}

// PlanAddr is "address:port" of a service as the plan has it.
func (h *Host) PlanAddr(port int) string {
	return net.JoinHostPort(h.Address, strconv.Itoa(port))
}

// CertNames are the DNS SANs of the host's certificate.
func (h *Host) CertNames() []string {
	if h.Cert == nil || len(h.Cert.Names) == 0 {
		return []string{h.Name}
	}
	return h.Cert.Names
}

// Records returns a DNS view's records with the host addresses added: the
// inside view knows every FQDN host, the outside view those in the DMZ and
// outside zones.
func (p *Plan) Records(d *DNSSettings) []string {
	out := append([]string(nil), d.Records...)
	var hosts []*Host
	for _, h := range p.Hosts {
		if h.FQDN() && h.Address != "" && (d.View != ZoneOutside || h.Public()) {
			hosts = append(hosts, h)
		}
	}
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].Name < hosts[j].Name })
	for _, h := range hosts {
		out = append(out, fmt.Sprintf("%s. 300 IN A %s", h.Name, h.AddrFor(d.View)))
	}
	return out
}

// AddrFor is the host's address as a client of a DNS view reaches it: for
// the inside view its inside, else DMZ, address; for the outside view its
// outside one; Address when the host has one address for all.
func (h *Host) AddrFor(view string) string {
	order := []string{ZoneOutside}
	if view != ZoneOutside {
		order = []string{ZoneInside, ZoneDMZ, ZoneOutside}
	}
	for _, z := range order {
		if a := h.Addresses[z]; a != "" {
			return a
		}
	}
	return h.Address
}

// DNS returns the settings of the DNS service serving view.
func (p *Plan) DNS(view string) (*DNSSettings, error) {
	for _, hs := range p.Services(KindDNS) {
		if d, ok := hs.Service.Settings.(*DNSSettings); ok && d.View == view {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: no DNS service for the %s view", ErrPlan, view)
}
