package fakesite

import (
	"errors"
	"net/http"
	"sort"
	"strings"
)

// Fault is one way a site can be broken. Every check must be killed by at
// least one fault (cutover selftest proves it); Kills lists the checks that
// must fail when the fault is injected alone.
type Fault struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Kills       []string `json:"kills"`
	apply       func(*Plan)
}

// The catalogue: one place that maps each fake's fault options to the
// checks they must break. Grouped by the component the fault breaks.
// A fault naming a role or view the plan lacks changes nothing, and
// selftest then reports the checks it should kill as survived.
var catalogue = []Fault{
	{Name: "uds-srv-missing", Kills: []string{"DISC-01", "DISC-05", "DISC-06", "DISC-08", "DISC-16", "DISC-20"},
		Description: "inside DNS has no _cisco-uds._tcp record for the sign-in domain",
		apply:       func(p *Plan) { p.drop("inside", "_cisco-uds._tcp.example.com.") }},
	{Name: "uds-srv-wrong-port", Kills: []string{"DISC-01", "DISC-05", "DISC-06", "DISC-08", "DISC-16", "DISC-20"},
		Description: "_cisco-uds._tcp points at port 8080 instead of 8443",
		apply:       func(p *Plan) { p.replace("inside", "_cisco-uds._tcp.example.com.", " 8443 ", " 8080 ") }},
	{Name: "uds-srv-target-not-fqdn", Kills: []string{"DISC-01"},
		Description: "one _cisco-uds target is a single-label name (ucm3.) instead of an FQDN",
		apply:       func(p *Plan) { p.replace("inside", "_cisco-uds._tcp.example.com.", "ucm3.example.com.", "ucm3.") }},
	{Name: "edge-srv-inside-only", Kills: []string{"DISC-02", "DISC-09", "DISC-10", "DISC-17", "DISC-18", "DISC-19"},
		Description: "_collab-edge._tls is published in the inside DNS only, not in public DNS",
		apply: func(p *Plan) {
			p.copy("outside", "inside", "_collab-edge._tls.example.com.")
			p.drop("outside", "_collab-edge._tls.example.com.")
		}},
	{Name: "edge-srv-wrong-port", Kills: []string{"DISC-02", "DISC-09", "DISC-10", "DISC-17", "DISC-18", "DISC-19"},
		Description: "_collab-edge._tls points at port 443 instead of 8443",
		apply:       func(p *Plan) { p.replace("outside", "_collab-edge._tls.example.com.", " 8443 ", " 443 ") }},
	{Name: "uds-srv-visible-outside", Kills: []string{"DISC-03", "DISC-17"},
		Description: "_cisco-uds._tcp is resolvable from the public DNS (split DNS broken)",
		apply:       func(p *Plan) { p.copy("inside", "outside", "_cisco-uds._tcp.example.com.") }},
	{Name: "edge-target-ip", Kills: []string{"DISC-02", "DISC-04", "DISC-09", "DISC-17", "DISC-18", "DISC-19"},
		Description: "the _collab-edge target is an IP address written as a name (127.0.2.1.)",
		apply: func(p *Plan) {
			ip := p.Hosts["expe1.example.com"]
			p.replace("outside", "_collab-edge._tls.example.com.", "expe1.example.com.", ip+".")
			p.add("outside", ip+". 300 IN A "+ip)
		}},
	{Name: "edge-target-unresolvable", Kills: []string{"DISC-04", "DISC-09", "DISC-10", "DISC-17", "DISC-18", "DISC-19"},
		Description: "the _collab-edge target name has no A/AAAA record in public DNS",
		apply: func(p *Plan) {
			p.replace("outside", "_collab-edge._tls.example.com.", "expe1.example.com.", "expe9.example.com.")
		}},
	{Name: "uds-top2-dead", Kills: []string{"DISC-05", "DISC-06", "DISC-07", "DISC-08", "DISC-12", "DISC-16", "DISC-20"},
		Description: "the two highest-priority _cisco-uds nodes are down; only the third answers",
		apply:       func(p *Plan) { p.edit(func(r *Role) { r.Down = true }, "ucm1.example.com", "ucm2.example.com") }},
	{Name: "uds-user-hidden", Kills: []string{"DISC-06", "DISC-16", "DISC-20"},
		Description: "UDS answers found=\"false\" for test user alice (not synced from LDAP)",
		apply:       func(p *Plan) { p.allUCM(func(u *UCMRole) { u.HideUsers = append(u.HideUsers, "alice") }) }},
	{Name: "uds-unknown-user-401", Kills: []string{"DISC-06"},
		Description: "clusterUser answers 401 instead of found=\"false\" for an unknown user",
		apply:       func(p *Plan) { p.allUCM(func(u *UCMRole) { u.UnknownUserStatus = http.StatusUnauthorized }) }},
	{Name: "uds-node-dead", Kills: []string{"DISC-07", "DISC-12"},
		Description: "ucm3, listed by /cucm-uds/servers, does not answer",
		apply:       func(p *Plan) { p.edit(func(r *Role) { r.Down = true }, "ucm3.example.com") }},
	{Name: "uds-devices-open", Kills: []string{"DISC-08"},
		Description: "/cucm-uds/user/U/devices answers without authentication",
		apply:       func(p *Plan) { p.allUCM(func(u *UCMRole) { u.DevicesOpen = true }) }},
	{Name: "uds-wrong-realm", Kills: []string{"DISC-08"},
		Description: "UDS challenges with a realm other than \"Cisco Web Services Realm\"",
		apply:       func(p *Plan) { p.allUCM(func(u *UCMRole) { u.Realm = "Tomcat" }) }},
	{Name: "edge-accepts-any-credentials", Kills: []string{"DISC-09"},
		Description: "Expressway-E answers get_edge_config for bad credentials",
		apply:       func(p *Plan) { p.allEdge(func(e *EdgeRole) { e.AcceptAnyCredentials = true }) }},
	{Name: "edge-padded-path-only", Kills: []string{"DISC-09", "DISC-17", "DISC-19"},
		Description: "Expressway-E only serves the '='-padded base64 domain path",
		apply:       func(p *Plan) { p.allEdge(func(e *EdgeRole) { e.PaddedPathOnly = true }) }},
	{Name: "edge-config-missing-uds", Kills: []string{"DISC-09", "DISC-19"},
		Description: "get_edge_config has NameError for _cisco-uds (Expressway-C cannot resolve UCM)",
		apply:       func(p *Plan) { p.allEdge(func(e *EdgeRole) { e.OmitServices = append(e.OmitServices, "_cisco-uds") }) }},
	{Name: "edge-san-missing-domain", Kills: []string{"DISC-10"},
		Description: "the Expressway-E certificate has no SAN form for emea.example.com",
		apply:       func(p *Plan) { p.edit(func(r *Role) { r.SRVNames = nil }, "expe1.example.com") }},
	{Name: "profile-vsd-records-missing", Kills: []string{"DISC-11", "DISC-17", "DISC-20"},
		Description: "the UC Manager Profile domain emea.example.com has no _cisco-uds inside nor _collab-edge outside",
		apply: func(p *Plan) {
			p.drop("inside", "_cisco-uds._tcp.emea.example.com.")
			p.drop("outside", "_collab-edge._tls.emea.example.com.")
		}},
	{Name: "ucm-cert-untrusted", Kills: []string{"DISC-07", "DISC-12"},
		Description: "ucm3's Tomcat certificate is issued by a CA the clients do not trust",
		apply:       func(p *Plan) { p.edit(func(r *Role) { r.Cert = CertRogue }, "ucm3.example.com") }},
	{Name: "ucm-cert-expired", Kills: []string{"DISC-07", "DISC-12"},
		Description: "ucm3's Tomcat certificate has expired",
		apply:       func(p *Plan) { p.edit(func(r *Role) { r.Cert = CertExpired }, "ucm3.example.com") }},
	{Name: "config-url-no-services-domain", Kills: []string{"DISC-13", "DISC-17", "DISC-20"},
		Description: "the configuration URL handed to users lacks ServicesDomain",
		apply: func(p *Plan) {
			p.Site.Discovery.ConfigURL = "ciscojabber://provision?VoiceServicesDomain=example.com"
		}},
	{Name: "config-url-bad-exclusion", Kills: []string{"DISC-13", "DISC-17", "DISC-20"},
		Description: "the configuration URL excludes an unknown service (CUCM,VOICEMAIL)",
		apply: func(p *Plan) {
			p.Site.Discovery.ConfigURL = "ciscojabber://provision?ServicesDomain=example.com&ServiceDiscoveryExcludedServices=CUCM,VOICEMAIL"
		}},
	{Name: "cuplogin-srv-missing", Kills: []string{"DISC-14"},
		Description: "inside DNS has no _cuplogin._tcp record",
		apply:       func(p *Plan) { p.drop("inside", "_cuplogin._tcp.example.com.") }},
	{Name: "dns-tcp-refused", Kills: []string{"DISC-15"},
		Description: "the inside DNS does not answer over TCP (firewall blocks 53/tcp)",
		apply:       func(p *Plan) { p.editDNS("inside", func(d *DNSRole) { d.NoTCP = true }) }},
	{Name: "uds-wrong-home-cluster", Kills: []string{"DISC-16", "DISC-20"},
		Description: "clusterUser names ucmb1 as every user's home cluster (ILS misconfigured)",
		apply:       func(p *Plan) { p.allUCM(func(u *UCMRole) { u.WrongHomeCluster = "ucmb1.example.com" }) }},
	{Name: "edge-down", Kills: []string{"DISC-09", "DISC-17", "DISC-19"},
		Description: "Expressway-E answers 503 to every MRA request",
		apply:       func(p *Plan) { p.allEdge(func(e *EdgeRole) { e.Status = http.StatusServiceUnavailable }) }},
	{Name: "edge-cert-expired", Kills: []string{"DISC-09", "DISC-17", "DISC-18", "DISC-19"},
		Description: "the Expressway-E certificate has expired",
		apply:       func(p *Plan) { p.edit(func(r *Role) { r.Cert = CertExpired }, "expe1.example.com") }},
	{Name: "edge-config-missing-cuplogin", Kills: []string{"DISC-19"},
		Description: "get_edge_config has NameError for _cuplogin (IM&P not resolvable by Expressway-C)",
		apply:       func(p *Plan) { p.allEdge(func(e *EdgeRole) { e.OmitServices = append(e.OmitServices, "_cuplogin") }) }},
	{Name: "uds-devices-missing", Kills: []string{"DISC-20"},
		Description: "alice has no devices in UCM",
		apply:       func(p *Plan) { p.allUCM(func(u *UCMRole) { u.HideDevicesOf = append(u.HideDevicesOf, "alice") }) }},
}

// Catalogue returns every fault, sorted by name.
func Catalogue() []Fault {
	out := append([]Fault(nil), catalogue...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup finds a fault by name.
func Lookup(name string) (Fault, bool) {
	for _, f := range catalogue {
		if f.Name == name {
			return f, true
		}
	}
	return Fault{}, false
}

// Names lists every fault name, sorted.
func Names() []string {
	var out []string
	for _, f := range Catalogue() {
		out = append(out, f.Name)
	}
	return out
}

// FaultsFor returns the names of the faults that must kill check id.
func FaultsFor(id string) []string {
	var out []string
	for _, f := range Catalogue() {
		for _, k := range f.Kills {
			if k == id {
				out = append(out, f.Name)
			}
		}
	}
	return out
}

// ErrUnknownFault names a fault that is not in the catalogue.
var ErrUnknownFault = errors.New("fakesite: unknown fault")

// edit applies f to the named roles that exist.
func (p *Plan) edit(f func(*Role), names ...string) {
	for _, n := range names {
		if r := p.Role(n); r != nil {
			f(r)
		}
	}
}

// editDNS applies f to a DNS view if the plan has it.
func (p *Plan) editDNS(view string, f func(*DNSRole)) {
	if v := p.DNSView(view); v != nil {
		f(v)
	}
}

func (p *Plan) allUCM(f func(*UCMRole)) {
	for _, r := range p.RolesOf(KindUCM) {
		f(r.UCM)
	}
}

func (p *Plan) allEdge(f func(*EdgeRole)) {
	for _, r := range p.RolesOf(KindEdge) {
		f(r.Edge)
	}
}

// drop removes every record owned by owner from a view.
func (p *Plan) drop(view, owner string) {
	v := p.DNSView(view)
	if v == nil {
		return
	}
	var out []string
	for _, l := range v.Records {
		if !strings.HasPrefix(l, owner+" ") {
			out = append(out, l)
		}
	}
	v.Records = out
}

// copy copies the records owned by owner from one view to another.
func (p *Plan) copy(from, to, owner string) {
	src := p.DNSView(from)
	if src == nil {
		return
	}
	for _, l := range src.Records {
		if strings.HasPrefix(l, owner+" ") {
			p.add(to, l)
		}
	}
}

func (p *Plan) add(view string, rr string) {
	v := p.DNSView(view)
	if v == nil {
		return
	}
	v.Records = append(v.Records, rr)
}

// replace rewrites old to new in the records owned by owner.
func (p *Plan) replace(view, owner, old, new string) {
	v := p.DNSView(view)
	if v == nil {
		return
	}
	for i, l := range v.Records {
		if strings.HasPrefix(l, owner+" ") {
			v.Records[i] = strings.Replace(l, old, new, 1)
		}
	}
}
