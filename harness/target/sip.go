package target

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// SIP is the site's part for SIP OAuth registration (the sip capability). Its YAML key is
// "sip"; unknown keys are an error.
type SIP struct {
	// OAuthPort is the SIP Phone OAuth Port of every UCM node, where
	// clients register over TLS with a bearer token. Default 5090
	// (Cisco TN215572).
	OAuthPort int `yaml:"oauth_port,omitempty"`
	// MRAOAuthPort is the SIP Mobile and Remote Access Port, mutual TLS
	// from Expressway-C. Default 5091.
	MRAOAuthPort int `yaml:"mra_oauth_port,omitempty"`
	// TFTPPort is where the nodes serve device configuration files over
	// HTTP (<device>.cnf.xml). Default 6970.
	TFTPPort int `yaml:"tftp_port,omitempty"`
	// DeviceTypes are the softphone device types every test user must have
	// (CSF: Windows and Mac, BOT: Android phone, TCT: iPhone, TAB:
	// tablets). Default all four.
	DeviceTypes []string `yaml:"device_types,omitempty"`
	// MRAClient is the Expressway-C client certificate the MRA check
	// presents on the MRA port (PEM files, relative to the target file).
	// Without it that check could not test.
	MRAClient MRAClient `yaml:"mra_client,omitempty"`
	// RFC8898 is a standard SIP registrar with RFC 8898 bearer
	// challenges, when the site has one.
	RFC8898 *RFC8898 `yaml:"rfc8898,omitempty"`

	// MRACert is the loaded MRAClient (the fakes give theirs from the
	// bundle).
	MRACert *tls.Certificate `yaml:"-" json:"-"`
}

// MRAClient names the PEM files of a client certificate and its key.
type MRAClient struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// RFC8898 is a registrar challenging with WWW-Authenticate: Bearer.
type RFC8898 struct {
	// Registrar is host:port of its SIP over TLS port.
	Registrar string `yaml:"registrar"`
	// TrustedAuthzServers are the authorization servers a client may
	// follow (RFC 8898 §2.1.1); https URLs.
	TrustedAuthzServers []string `yaml:"trusted_authz_servers"`
}

// SIPUser holds a test user's fields for SIP OAuth registration (the sip capability),
// inline in the user's entry.
type SIPUser struct {
	// DeviceTypes overrides sip.device_types for the user (a desktop-only
	// user: [CSF]).
	DeviceTypes []string `yaml:"device_types,omitempty"`
}

// Default SIP OAuth ports (Cisco TN215572).
const (
	DefaultSIPOAuthPort    = 5090
	DefaultSIPMRAOAuthPort = 5091
	DefaultTFTPPort        = 6970
)

// The device types of the Webex App ("Transitioning from Jabber to Webex"
// guide, Table 4).
var sipDeviceTypes = []string{"CSF", "BOT", "TCT", "TAB"}

// Host is the registrar's host name.
func (r *RFC8898) Host() string {
	h, _, err := net.SplitHostPort(r.Registrar)
	if err != nil {
		return r.Registrar
	}
	return h
}

func (x *SIP) hosts() []string {
	if x.RFC8898 == nil {
		return nil
	}
	return []string{x.RFC8898.Host()}
}

func (x *SIP) domains() []string { return nil }

func (x *SIP) validate(v *validator) {
	if x.OAuthPort == 0 {
		x.OAuthPort = DefaultSIPOAuthPort
	}
	if x.MRAOAuthPort == 0 {
		x.MRAOAuthPort = DefaultSIPMRAOAuthPort
	}
	if x.TFTPPort == 0 {
		x.TFTPPort = DefaultTFTPPort
	} else {
		v.port("sip.tftp_port", x.TFTPPort, false)
	}
	// TN215572: the OAuth ports are configurable from 1024 to 49151.
	for _, p := range []struct {
		path string
		port int
	}{{"sip.oauth_port", x.OAuthPort}, {"sip.mra_oauth_port", x.MRAOAuthPort}} {
		if p.port < 1024 || p.port > 49151 {
			v.fail(p.path, "port %d out of range 1024-49151 (the range UCM allows for SIP OAuth ports)", p.port)
		}
	}
	if x.OAuthPort == x.MRAOAuthPort {
		v.fail("sip.mra_oauth_port", "must differ from sip.oauth_port (%d)", x.OAuthPort)
	}
	if len(x.DeviceTypes) == 0 {
		x.DeviceTypes = slices.Clone(sipDeviceTypes)
	}
	for i, t := range x.DeviceTypes {
		u := strings.ToUpper(t)
		if !slices.Contains(sipDeviceTypes, u) {
			v.fail(fmt.Sprintf("sip.device_types[%d]", i), "want one of %v, got %q", sipDeviceTypes, t)
		}
		x.DeviceTypes[i] = u
	}
	for i := range v.site.Users {
		u := &v.site.Users[i]
		if len(u.DeviceTypes) == 0 {
			u.DeviceTypes = slices.Clone(x.DeviceTypes)
			continue
		}
		for j, t := range u.DeviceTypes {
			up := strings.ToUpper(t)
			if !slices.Contains(sipDeviceTypes, up) {
				v.fail(fmt.Sprintf("users[%d].device_types[%d]", i, j), "want one of %v, got %q", sipDeviceTypes, t)
			}
			u.DeviceTypes[j] = up
		}
	}
	x.mraClient(v)
	if r := x.RFC8898; r != nil {
		v.hostPort("sip.rfc8898.registrar", r.Registrar, false, true)
		if h := r.Host(); h != "" && r.Registrar != "" {
			v.domain("sip.rfc8898.registrar", h, true)
		}
		if len(r.TrustedAuthzServers) == 0 {
			v.fail("sip.rfc8898.trusted_authz_servers", "at least one https URL is required (RFC 8898 §2.1.1: a client follows only listed servers)")
		}
		for i, s := range r.TrustedAuthzServers {
			if u, err := url.Parse(s); err != nil || u.Scheme != "https" || u.Host == "" {
				v.fail(fmt.Sprintf("sip.rfc8898.trusted_authz_servers[%d]", i), "want an https URL, got %q", s)
			}
		}
	}
}

// mraClient loads the Expressway-C client certificate, when given.
func (x *SIP) mraClient(v *validator) {
	c := x.MRAClient
	if c.CertFile == "" && c.KeyFile == "" {
		return
	}
	if c.CertFile == "" || c.KeyFile == "" {
		v.fail("sip.mra_client", "want both cert_file and key_file")
		return
	}
	rel := func(f string) string {
		if !filepath.IsAbs(f) && v.site.File != "" {
			return filepath.Join(filepath.Dir(v.site.File), f)
		}
		return f
	}
	cb, err := ReadFile(rel(c.CertFile), maxFileSize)
	if err != nil {
		v.fail("sip.mra_client.cert_file", "unreadable: %s", strings.TrimPrefix(err.Error(), "target: "))
		return
	}
	kb, err := ReadFile(rel(c.KeyFile), maxFileSize)
	if err != nil {
		v.fail("sip.mra_client.key_file", "unreadable: %s", strings.TrimPrefix(err.Error(), "target: "))
		return
	}
	cert, err := tls.X509KeyPair(cb, kb)
	if err != nil {
		// The error of X509KeyPair names no key material.
		v.fail("sip.mra_client", "not a certificate and its key: %v", err)
		return
	}
	x.MRACert = &cert
}

// OAuthAddr is host:port of a node's SIP OAuth port.
func (x *SIP) OAuthAddr(node string) string {
	return net.JoinHostPort(strings.TrimSuffix(node, "."), strconv.Itoa(x.OAuthPort))
}

// MRAAddr is host:port of a node's MRA OAuth port.
func (x *SIP) MRAAddr(node string) string {
	return net.JoinHostPort(strings.TrimSuffix(node, "."), strconv.Itoa(x.MRAOAuthPort))
}
