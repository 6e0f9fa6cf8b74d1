package fakesite

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"example.com/cutover/harness/connectproxy"
	"example.com/cutover/harness/dnsfake"
	"example.com/cutover/harness/expressway"
	"example.com/cutover/harness/target"
	"example.com/cutover/harness/ucm"
)

// The service kinds of the discovery capability: DNS views, UDS,
// Expressway-E's MRA service and the client vantage points.

// DNSSettings is one DNS view (harness/dnsfake). The fields after Records
// are faults; the zero value is a healthy server.
type DNSSettings struct {
	// View is the vantage point it serves: "inside" or "outside".
	View string `yaml:"view" json:"view"`
	// Records are zone lines; every FQDN host of the view gets its A
	// record added (Plan.Records).
	Records []string `yaml:"records" json:"records"`
	// NoTCP refuses DNS over TCP.
	NoTCP bool `yaml:"no_tcp,omitempty" json:"no_tcp,omitempty"`
	// NoTruncate sends UDP answers over 512 bytes whole, without TC.
	NoTruncate bool `yaml:"no_truncate,omitempty" json:"no_truncate,omitempty"`
	// Garbage answers every query with bytes that are not DNS.
	Garbage bool `yaml:"garbage,omitempty" json:"garbage,omitempty"`
	// DropEvery drops every Nth query unanswered (1: a silent server).
	DropEvery int `yaml:"drop_every,omitempty" json:"drop_every,omitempty"`
	// Delay holds every answer back this long.
	Delay target.Duration `yaml:"delay,omitempty" json:"delay,omitempty"`
	// Rcodes answers the names listed with an rcode ("SERVFAIL", "REFUSED").
	Rcodes map[string]string `yaml:"rcodes,omitempty" json:"rcodes,omitempty"`
}

func dnsKind() Kind {
	return Kind{
		Name: KindDNS, Transport: UDPTCP,
		Settings: func() any { return &DNSSettings{} },
		Start: func(ctx context.Context, env *Env, svc *Service, addr string) (Running, error) {
			d := svc.Settings.(*DNSSettings)
			var rrs []dns.RR
			for _, l := range env.Plan.Records(d) {
				rr, err := dns.NewRR(l)
				if err != nil {
					return nil, fmt.Errorf("record %q: %w", l, err)
				}
				if rr != nil {
					rrs = append(rrs, rr)
				}
			}
			opts := []dnsfake.Option{dnsfake.WithAddr(addr), dnsfake.WithRecords(rrs...)}
			if d.NoTCP {
				opts = append(opts, dnsfake.NoTCP())
			}
			if d.NoTruncate {
				opts = append(opts, dnsfake.NoTruncate())
			}
			if d.Garbage {
				opts = append(opts, dnsfake.Garbage())
			}
			if d.DropEvery > 0 {
				opts = append(opts, dnsfake.DropEvery(d.DropEvery))
			}
			if d.Delay > 0 {
				opts = append(opts, dnsfake.WithDelay(d.Delay.D()))
			}
			for name, rc := range d.Rcodes {
				code, ok := dns.StringToRcode[strings.ToUpper(rc)]
				if !ok {
					return nil, fmt.Errorf("%w: rcode %q for %s", ErrPlan, rc, name)
				}
				opts = append(opts, dnsfake.WithRcode(name, code))
			}
			return dnsfake.Start(ctx, opts...)
		},
	}
}

// UDSSettings is one UCM node's UDS (harness/ucm). Users, devices and the
// cluster's nodes come from the site; every field here is a fault.
type UDSSettings struct {
	HideUsers         []string `yaml:"hide_users,omitempty" json:"hide_users,omitempty"`
	HideDevicesOf     []string `yaml:"hide_devices_of,omitempty" json:"hide_devices_of,omitempty"`
	UnknownUserStatus int      `yaml:"unknown_user_status,omitempty" json:"unknown_user_status,omitempty"`
	DevicesOpen       bool     `yaml:"devices_open,omitempty" json:"devices_open,omitempty"`
	Realm             string   `yaml:"realm,omitempty" json:"realm,omitempty"`
	WrongHomeCluster  string   `yaml:"wrong_home_cluster,omitempty" json:"wrong_home_cluster,omitempty"`
	// ExtraNodes are listed by /cucm-uds/servers beside the cluster's own.
	ExtraNodes []string `yaml:"extra_nodes,omitempty" json:"extra_nodes,omitempty"`
}

func udsKind() Kind {
	return Kind{
		Name: KindUDS, Transport: TLS, Paths: []string{"/cucm-uds/"},
		Settings: func() any { return &UDSSettings{} },
		Handler: func(env *Env, svc *Service) (Handler, error) {
			u := svc.Settings.(*UDSSettings)
			site := env.Plan.Site
			var nodes []string
			for _, cl := range site.UCM {
				if slices.Contains(cl.Nodes, env.Host.Name) {
					nodes = cl.Nodes
				}
			}
			var users []ucm.User
			for _, su := range site.Users {
				cl, _ := site.Cluster(su.HomeCluster)
				var devs []ucm.Device
				if !slices.Contains(u.HideDevicesOf, su.Username) {
					for _, d := range su.Devices {
						devs = append(devs, ucm.Device{Name: d, Model: DeviceModel(d), Type: "device"})
					}
				}
				users = append(users, ucm.User{Username: su.Username, Email: su.Email, Password: su.Password, HomeCluster: cl.Publisher(), Devices: devs})
			}
			opts := []ucm.Option{ucm.WithHostname(env.Host.Name), ucm.WithPort(svc.Port), ucm.WithClusterNodes(append(slices.Clone(nodes), u.ExtraNodes...)...), ucm.WithUsers(users...)}
			for _, name := range u.HideUsers {
				opts = append(opts, ucm.HideUser(name))
			}
			if u.UnknownUserStatus != 0 {
				opts = append(opts, ucm.UnknownUserStatus(u.UnknownUserStatus))
			}
			if u.DevicesOpen {
				opts = append(opts, ucm.DevicesOpen())
			}
			if u.Realm != "" {
				opts = append(opts, ucm.WithRealm(u.Realm))
			}
			if u.WrongHomeCluster != "" {
				opts = append(opts, ucm.WrongHomeCluster(u.WrongHomeCluster))
			}
			// UDS accepts the access tokens of the host's UCM OAuth server
			// (the sso capability's oauth service), if it has one.
			node, err := oauthNode(env)
			if err != nil {
				return nil, err
			}
			if node != nil {
				opts = append(opts, ucm.WithTokenValidator(node.UDSValidator()))
			}
			return ucm.New(opts...)
		},
	}
}

// EdgeSettings is one Expressway-E's MRA service (harness/expressway).
// Users, domains and the services it resolves come from the site; every
// field here is a fault.
type EdgeSettings struct {
	AcceptAnyCredentials bool `yaml:"accept_any_credentials,omitempty" json:"accept_any_credentials,omitempty"`
	// RefuseUsers refuses the test users' own passwords (the fake knows
	// other ones).
	RefuseUsers    bool     `yaml:"refuse_users,omitempty" json:"refuse_users,omitempty"`
	OmitServices   []string `yaml:"omit_services,omitempty" json:"omit_services,omitempty"`
	PaddedPathOnly bool     `yaml:"padded_path_only,omitempty" json:"padded_path_only,omitempty"`
	Status         int      `yaml:"status,omitempty" json:"status,omitempty"`
	// OAuthRefreshOff turns "Authorize by OAuth token with refresh" Off:
	// UCM access tokens are refused (the sso capability).
	OAuthRefreshOff bool `yaml:"oauth_refresh_off,omitempty" json:"oauth_refresh_off,omitempty"`
}

func edgeKind() Kind {
	return Kind{
		Name: KindEdge, Transport: TLS, Paths: []string{"/"},
		Settings: func() any { return &EdgeSettings{} },
		Handler: func(env *Env, svc *Service) (Handler, error) {
			e := svc.Settings.(*EdgeSettings)
			site := env.Plan.Site
			var users []expressway.User
			for _, u := range site.Users {
				pw := u.Password
				if e.RefuseUsers {
					pw = "not-" + pw
				}
				users = append(users, expressway.User{Username: u.Username, Password: pw})
			}
			targets := func(nodes []string) []expressway.Target {
				out := make([]expressway.Target, len(nodes))
				for i, n := range nodes {
					out[i] = expressway.Target{Priority: 10 * (i + 1), Weight: 50, Port: 8443, Address: n}
				}
				return out
			}
			hp := func(port int) []expressway.HostPort {
				return []expressway.HostPort{{Address: env.Host.Name, Port: port}}
			}
			var publisher string
			var udsNodes []string
			if len(site.UCM) > 0 {
				publisher, udsNodes = site.UCM[0].Publisher(), site.UCM[0].Nodes
			}
			opts := []expressway.Option{
				expressway.WithHostname(env.Host.Name),
				expressway.WithDomains(site.Domains.VoiceServices...),
				expressway.WithUsers(users...),
				expressway.WithServices(
					expressway.Service{Name: "_cisco-uds", Servers: targets(udsNodes)},
					expressway.Service{Name: "_cuplogin", Servers: targets(site.IMP.Nodes)},
				),
				expressway.WithEdge(expressway.Edge{
					SIPEdgeServers: hp(5061), XMPPEdgeServers: hp(5222), HTTPEdgeServers: hp(svc.Port), TURNEdgeServers: hp(3478),
					SIPRequestRoute: fmt.Sprintf("<sip:%s;transport=tls;lr>", net.JoinHostPort(env.Host.Name, strconv.Itoa(5061))),
					UserUDSServer:   publisher,
				}),
			}
			if e.AcceptAnyCredentials {
				opts = append(opts, expressway.AcceptAnyCredentials())
			}
			for _, s := range e.OmitServices {
				opts = append(opts, expressway.OmitService(s))
			}
			if e.PaddedPathOnly {
				opts = append(opts, expressway.PaddedPathOnly())
			}
			if e.Status != 0 {
				opts = append(opts, expressway.WithStatus("/", e.Status))
			}
			// Bearer: the UCM clusters' access tokens (the sso capability).
			validate, err := ucmTokenValidator(env)
			if err != nil {
				return nil, err
			}
			if validate != nil {
				opts = append(opts, expressway.WithTokenValidator(validate))
			}
			if e.OAuthRefreshOff {
				opts = append(opts, expressway.OAuthRefreshOff())
			}
			return expressway.New(opts...)
		},
	}
}

// ProxySettings is a client vantage point: where a client stands.
type ProxySettings struct {
	// Vantage is "inside" or "outside".
	Vantage string `yaml:"vantage" json:"vantage"`
}

func proxyKind() Kind {
	return Kind{
		Name: KindProxy, Transport: TCP,
		Settings: func() any { return &ProxySettings{} },
		Start: func(ctx context.Context, env *Env, _ *Service, addr string) (Running, error) {
			return connectproxy.Start(ctx, connectproxy.WithAddr(addr), connectproxy.WithTimeout(env.Timeout()))
		},
	}
}

// DeviceModel names the UCM model of a device by its name prefix (the
// device types of the Webex App: CSF, BOT, TCT, TAB).
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
