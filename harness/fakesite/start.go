package fakesite

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"example.com/cutover/harness/connectproxy"
	"example.com/cutover/harness/dnsfake"
	"example.com/cutover/harness/expressway"
	"example.com/cutover/harness/pki"
	"example.com/cutover/harness/ucm"
)

// Bundle is a Plan with its key material: everything a role needs to
// start, in-process or in a container (it marshals to JSON).
type Bundle struct {
	Plan  *Plan              `json:"plan"`
	CAPEM []byte             `json:"ca_pem"`
	Certs map[string]PEMPair `json:"certs"`
}

// PEMPair is a certificate chain and its private key.
type PEMPair struct {
	Cert []byte `json:"cert"`
	Key  []byte `json:"key"`
}

// NewBundle makes the site's test CA (and a rogue one nobody trusts) and
// issues every HTTPS role its certificate as the plan says.
func NewBundle(p *Plan) (*Bundle, error) {
	ca, err := pki.NewCA("cutover test CA")
	if err != nil {
		return nil, fmt.Errorf("fakesite: %w", err)
	}
	rogue, err := pki.NewCA("rogue CA (not trusted)")
	if err != nil {
		return nil, fmt.Errorf("fakesite: %w", err)
	}
	b := &Bundle{Plan: p, CAPEM: ca.CertPEM, Certs: map[string]PEMPair{}}
	for _, r := range p.Roles {
		if r.Kind == KindDNS || r.Kind == KindProxy {
			continue
		}
		issuer := ca
		opts := []pki.LeafOption{pki.WithDNSNames(r.DNSNames...), pki.WithSRVNames(r.SRVNames...)}
		switch r.Cert {
		case CertRogue:
			issuer = rogue
		case CertExpired:
			now := time.Now()
			opts = append(opts, pki.WithValidity(now.Add(-48*time.Hour), now.Add(-24*time.Hour)))
		}
		cert, err := issuer.Issue(r.Name, opts...)
		if err != nil {
			return nil, fmt.Errorf("fakesite: certificate for %s: %w", r.Name, err)
		}
		pair, err := encodePair(cert)
		if err != nil {
			return nil, err
		}
		b.Certs[r.Name] = pair
	}
	return b, nil
}

func encodePair(c tls.Certificate) (PEMPair, error) {
	var p PEMPair
	for _, der := range c.Certificate {
		p.Cert = append(p.Cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return p, fmt.Errorf("fakesite: marshal key: %w", err)
	}
	p.Key = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})
	return p, nil
}

// Roots is the pool of the site's trusted CA.
func (b *Bundle) Roots() (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b.CAPEM) {
		return nil, errors.New("fakesite: bundle has no CA certificate")
	}
	return pool, nil
}

// Marshal encodes the bundle for a container.
func (b *Bundle) Marshal() ([]byte, error) { return json.Marshal(b) }

// UnmarshalBundle decodes what Marshal wrote.
func UnmarshalBundle(data []byte) (*Bundle, error) {
	var b Bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("fakesite: bundle: %w", err)
	}
	if b.Plan == nil || b.Plan.Site == nil {
		return nil, errors.New("fakesite: bundle has no plan")
	}
	return &b, nil
}

// Running is a started role.
type Running interface {
	Addr() string
	Close() error
}

// StartRole starts the role named name listening on addr ("127.0.0.1:0"
// in-process, ":8443" or ":53" in a container). A Down role is not
// startable: the caller leaves its address dead.
func (b *Bundle) StartRole(ctx context.Context, name, addr string) (Running, error) {
	r := b.Plan.Role(name)
	if r == nil {
		return nil, fmt.Errorf("fakesite: no role %q", name)
	}
	if r.Down {
		return nil, fmt.Errorf("fakesite: role %s is down by plan", name)
	}
	switch r.Kind {
	case KindDNS:
		var rrs []dns.RR
		for _, l := range b.Plan.Records(r) {
			rr, err := dns.NewRR(l)
			if err != nil {
				return nil, fmt.Errorf("fakesite: %s record %q: %w", name, l, err)
			}
			if rr != nil {
				rrs = append(rrs, rr)
			}
		}
		opts := []dnsfake.Option{dnsfake.WithAddr(addr), dnsfake.WithRecords(rrs...)}
		if r.DNS.NoTCP {
			opts = append(opts, dnsfake.NoTCP())
		}
		return dnsfake.Start(ctx, opts...)
	case KindUCM:
		cert, err := b.cert(name)
		if err != nil {
			return nil, err
		}
		return ucm.Start(ctx, b.ucmOptions(r, cert, addr)...)
	case KindEdge:
		cert, err := b.cert(name)
		if err != nil {
			return nil, err
		}
		return expressway.Start(ctx, b.edgeOptions(r, cert, addr)...)
	case KindProxy:
		return connectproxy.Start(ctx, connectproxy.WithAddr(addr), connectproxy.WithTimeout(b.Plan.Site.Limits.Timeout.D()))
	}
	return nil, fmt.Errorf("fakesite: role %s: unknown kind %q", name, r.Kind)
}

func (b *Bundle) cert(name string) (tls.Certificate, error) {
	p, ok := b.Certs[name]
	if !ok {
		return tls.Certificate{}, fmt.Errorf("fakesite: no certificate for %s", name)
	}
	c, err := tls.X509KeyPair(p.Cert, p.Key)
	if err != nil {
		return c, fmt.Errorf("fakesite: certificate for %s: %w", name, err)
	}
	return c, nil
}

func (b *Bundle) ucmOptions(r *Role, cert tls.Certificate, addr string) []ucm.Option {
	site := b.Plan.Site
	var users []ucm.User
	for _, u := range site.Users {
		cl, _ := site.Cluster(u.HomeCluster)
		var devs []ucm.Device
		if !slices.Contains(r.UCM.HideDevicesOf, u.Username) {
			for _, d := range u.Devices {
				devs = append(devs, ucm.Device{Name: d, Model: DeviceModel(d), Type: "device"})
			}
		}
		users = append(users, ucm.User{Username: u.Username, Email: u.Email, Password: u.Password, HomeCluster: cl.Publisher(), Devices: devs})
	}
	opts := []ucm.Option{
		ucm.WithAddr(addr), ucm.WithCertificate(cert), ucm.WithHostname(r.Name),
		ucm.WithClusterNodes(r.UCM.ClusterNodes...), ucm.WithUsers(users...),
	}
	for _, u := range r.UCM.HideUsers {
		opts = append(opts, ucm.HideUser(u))
	}
	if r.UCM.UnknownUserStatus != 0 {
		opts = append(opts, ucm.UnknownUserStatus(r.UCM.UnknownUserStatus))
	}
	if r.UCM.DevicesOpen {
		opts = append(opts, ucm.DevicesOpen())
	}
	if r.UCM.Realm != "" {
		opts = append(opts, ucm.WithRealm(r.UCM.Realm))
	}
	if r.UCM.WrongHomeCluster != "" {
		opts = append(opts, ucm.WrongHomeCluster(r.UCM.WrongHomeCluster))
	}
	return opts
}

func (b *Bundle) edgeOptions(r *Role, cert tls.Certificate, addr string) []expressway.Option {
	site := b.Plan.Site
	var users []expressway.User
	for _, u := range site.Users {
		users = append(users, expressway.User{Username: u.Username, Password: u.Password})
	}
	targets := func(nodes []string) []expressway.Target {
		out := make([]expressway.Target, len(nodes))
		for i, n := range nodes {
			out[i] = expressway.Target{Priority: 10 * (i + 1), Weight: 50, Port: 8443, Address: n}
		}
		return out
	}
	hp := func(port int) []expressway.HostPort { return []expressway.HostPort{{Address: r.Name, Port: port}} }
	opts := []expressway.Option{
		expressway.WithAddr(addr),
		expressway.WithCertificate(cert),
		expressway.WithHostname(r.Name),
		expressway.WithDomains(site.Domains.VoiceServices...),
		expressway.WithUsers(users...),
		expressway.WithServices(
			expressway.Service{Name: "_cisco-uds", Servers: targets(site.UCM[0].Nodes)},
			expressway.Service{Name: "_cuplogin", Servers: targets(site.IMP.Nodes)},
		),
		expressway.WithEdge(expressway.Edge{
			SIPEdgeServers: hp(5061), XMPPEdgeServers: hp(5222), HTTPEdgeServers: hp(8443), TURNEdgeServers: hp(3478),
			SIPRequestRoute: fmt.Sprintf("<sip:%s:5061;transport=tls;lr>", b.Plan.Hosts[r.Name]),
			UserUDSServer:   site.UCM[0].Publisher(),
		}),
	}
	if r.Edge.AcceptAnyCredentials {
		opts = append(opts, expressway.AcceptAnyCredentials())
	}
	for _, s := range r.Edge.OmitServices {
		opts = append(opts, expressway.OmitService(s))
	}
	if r.Edge.PaddedPathOnly {
		opts = append(opts, expressway.PaddedPathOnly())
	}
	if r.Edge.Status != 0 {
		opts = append(opts, expressway.WithStatus("/", r.Edge.Status))
	}
	return opts
}

// DeviceModel names the UCM model of a device by its name prefix.
func DeviceModel(name string) string {
	switch {
	case strings.HasPrefix(name, "CSF"):
		return "Cisco Unified Client Services Framework"
	case strings.HasPrefix(name, "BOT"):
		return "Cisco Dual Mode for Android"
	case strings.HasPrefix(name, "TCT"):
		return "Cisco Dual Mode for iPhone"
	case strings.HasPrefix(name, "TAB"):
		return "Cisco Jabber for Tablet"
	}
	return "unknown"
}
