// Package ucm fakes the Unified CM User Data Service (UDS) over HTTPS and
// holds the UDS client the discovery checks use against the fake, a
// container or a lab cluster. See README.md for what is faked.
package ucm

import (
	"context"
	"crypto/subtle"
	"encoding/xml"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"example.com/cutover/harness/httpx"
)

const (
	// contentType is what UDS answers with.
	contentType = "application/xml"

	// ErrStatus is wrapped by every *StatusError from the client.
	ErrStatus = httpx.ErrStatus
	// ErrUnexpected is returned by Close when the fake saw requests it does
	// not implement.
	ErrUnexpected = httpx.Sentinel("ucm: unexpected requests")
	// ErrBadReply wraps every reason a UDS reply does not parse.
	ErrBadReply = httpx.Sentinel("ucm: malformed reply")
)

// Evidence records one client exchange; see httpx.Evidence.
type Evidence = httpx.Evidence

// StatusError is a non-200 reply; see httpx.StatusError.
type StatusError = httpx.StatusError

// Auth is what UserDevices presents: Basic (Username, Password) or Bearer;
// the zero value is unauthenticated.
type Auth = httpx.Auth

// Request is one request the fake received (no Authorization values).
type Request = httpx.Request

// Server is a running UDS fake.
type Server struct {
	cfg  config
	http *httpx.Serving

	rec httpx.Recorder
}

// New validates opts and returns UDS as an http.Handler that does not
// listen: a host mounts it at /cucm-uds/ beside other services on its
// 8443 listener.
func New(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	if err := httpx.Configure(context.Background(), "ucm", &cfg, opts); err != nil {
		return nil, err
	}
	if len(cfg.nodes) == 0 {
		cfg.nodes = []string{cfg.Hostname}
	}
	return &Server{cfg: cfg}, nil
}

// Start validates opts and serves UDS over HTTPS on its own listener,
// returning once the socket listens. WithCertificate is required.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ucm: start: %w", err)
	}
	s, err := New(opts...)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.RequireCert("ucm"); err != nil {
		return nil, err
	}
	hs, err := httpx.ServeTLS(s.cfg.Addr, *s.cfg.Cert, s)
	if err != nil {
		return nil, fmt.Errorf("ucm: listen: %w", err)
	}
	s.http = hs
	return s, nil
}

// Addr is the bound 127.0.0.1:<port> of a started fake ("" for New).
func (s *Server) Addr() string {
	if s.http == nil {
		return ""
	}
	return s.http.Addr()
}

// Close stops the fake; it is idempotent. It reports ErrUnexpected if the
// fake answered methods or paths that UDS does not have, so a check that
// probes the wrong thing fails loudly.
func (s *Server) Close() error {
	if s.http != nil {
		if err := s.http.Close(); err != nil {
			return fmt.Errorf("ucm: close: %w", err)
		}
	}
	return s.rec.Err(ErrUnexpected)
}

// Received returns a copy of the requests so far, oldest first.
func (s *Server) Received() []Request { return s.rec.Received() }

// ServeHTTP routes a UDS request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.rec.Record(r)
	if code, ok := httpx.MatchStatus(s.cfg.statusRules, r.URL.Path); ok {
		http.Error(w, http.StatusText(code), code)
		return
	}
	if r.Method != http.MethodGet {
		s.rec.Unexpected(r)
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case p == "/cucm-uds/version":
		s.writeXML(w, xmlVersion{VersionAttr: s.cfg.version, URI: s.uri("/cucm-uds/version"), Version: s.cfg.version})
	case p == "/cucm-uds/clusterUser":
		s.clusterUser(w, r)
	case p == "/cucm-uds/servers":
		s.writeXML(w, xmlServers{VersionAttr: s.cfg.version, URI: s.uri("/cucm-uds/servers"), Servers: s.cfg.nodes})
	case strings.HasPrefix(p, "/cucm-uds/user/"):
		name, sub, _ := strings.Cut(strings.TrimPrefix(p, "/cucm-uds/user/"), "/")
		if sub != "" && sub != "devices" {
			s.rec.Unexpected(r)
			http.NotFound(w, r)
			return
		}
		s.user(w, r, name, sub == "devices")
	default:
		s.rec.Unexpected(r)
		http.NotFound(w, r)
	}
}

func (s *Server) uri(path string) string {
	return "https://" + net.JoinHostPort(s.cfg.Hostname, strconv.Itoa(s.cfg.port)) + path
}

func (s *Server) lookup(match func(User) bool) (User, bool) {
	for _, u := range s.cfg.users {
		if match(u) {
			return u, true
		}
	}
	return User{}, false
}

func (s *Server) clusterUser(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var match func(User) bool
	switch {
	case q.Has("username"):
		v := q.Get("username")
		match = func(u User) bool { return strings.EqualFold(u.Username, v) }
	case q.Has("email"):
		v := q.Get("email")
		match = func(u User) bool { return u.Email != "" && strings.EqualFold(u.Email, v) }
	case q.Has("useridentifier"):
		v := q.Get("useridentifier")
		match = func(u User) bool {
			return strings.EqualFold(u.Username, v) || (u.Email != "" && strings.EqualFold(u.Email, v))
		}
	default:
		http.Error(w, "username, email or useridentifier required", http.StatusBadRequest)
		return
	}
	u, ok := s.lookup(match)
	if !ok && s.cfg.unknownCode != 0 {
		http.Error(w, http.StatusText(s.cfg.unknownCode), s.cfg.unknownCode)
		return
	}
	if !ok || s.cfg.hidden[strings.ToLower(u.Username)] {
		s.writeXML(w, xmlClusterUser{Result: &xmlResult{Found: "false"}})
		return
	}
	home := u.HomeCluster
	if home == "" {
		home = s.cfg.Hostname
	}
	if s.cfg.wrongHome != "" {
		home = s.cfg.wrongHome
	}
	s.writeXML(w, xmlClusterUser{
		Result:   &xmlResult{Found: "true", URI: s.uri("/cucm-uds/user/" + url.PathEscape(u.Username))},
		UserName: u.Username,
		HomeCluster: &xmlHome{
			ServersURI: "https://" + net.JoinHostPort(home, strconv.Itoa(s.cfg.port)) + "/cucm-uds/servers",
			Name:       home,
		},
	})
}

func (s *Server) user(w http.ResponseWriter, r *http.Request, name string, devices bool) {
	u, ok := s.lookup(func(u User) bool { return strings.EqualFold(u.Username, name) })
	if !s.cfg.devicesOpen && (!ok || !s.authorized(r, u)) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", s.cfg.realm))
		http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	base := "/cucm-uds/user/" + url.PathEscape(u.Username)
	if !devices {
		s.writeXML(w, xmlUser{URI: s.uri(base), UserName: u.Username, Email: u.Email,
			Devices: &xmlLink{URI: s.uri(base + "/devices")}})
		return
	}
	out := xmlDevices{URI: s.uri(base + "/devices")}
	for _, d := range u.Devices {
		out.Devices = append(out.Devices, xmlDevice(d))
	}
	s.writeXML(w, out)
}

// authorized accepts the user's own Basic password or a Bearer token the
// validator maps to that user.
func (s *Server) authorized(r *http.Request, u User) bool {
	if name, pass, ok := r.BasicAuth(); ok {
		return u.Password != "" && strings.EqualFold(name, u.Username) &&
			subtle.ConstantTimeCompare([]byte(pass), []byte(u.Password)) == 1
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || s.cfg.validate == nil {
		return false
	}
	name, ok := s.cfg.validate(strings.TrimSpace(tok))
	return ok && strings.EqualFold(name, u.Username)
}

func (s *Server) writeXML(w http.ResponseWriter, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

// Client speaks UDS with an http.Client supplied by the caller, which
// carries the trust roots, resolver and timeouts.
type Client struct {
	hc *http.Client
}

// NewClient wraps hc; nil means a client with httpx.DefaultTimeout and
// the system roots.
func NewClient(hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: httpx.DefaultTimeout}
	}
	return &Client{hc: hc}
}

// VersionInfo is the /cucm-uds/version answer.
type VersionInfo struct {
	Version string
}

// ClusterUser is the /cucm-uds/clusterUser answer.
type ClusterUser struct {
	Found                                  bool
	URI, UserName, HomeCluster, ServersURI string
}

// Version fetches base+"/cucm-uds/version"; base is like
// "https://ucm1.example.com:8443".
func (c *Client) Version(ctx context.Context, base string) (VersionInfo, Evidence, error) {
	body, ev, err := httpx.Get(ctx, c.hc, strings.TrimRight(base, "/")+"/cucm-uds/version", Auth{})
	if err != nil {
		return VersionInfo{}, ev, fmt.Errorf("ucm: version: %w", err)
	}
	v, err := ParseVersion(body)
	if err != nil {
		ev.Err = err.Error()
	}
	return v, ev, err
}

// ClusterUser asks which cluster homes a user, without authentication.
// param is "username", "email" or "useridentifier".
func (c *Client) ClusterUser(ctx context.Context, base, param, value string) (ClusterUser, Evidence, error) {
	switch param {
	case "username", "email", "useridentifier":
	default:
		return ClusterUser{}, Evidence{}, fmt.Errorf("ucm: cluster user: bad parameter %q", param)
	}
	u := strings.TrimRight(base, "/") + "/cucm-uds/clusterUser?" + url.Values{param: {value}}.Encode()
	body, ev, err := httpx.Get(ctx, c.hc, u, Auth{})
	if err != nil {
		return ClusterUser{}, ev, fmt.Errorf("ucm: cluster user: %w", err)
	}
	cu, err := ParseClusterUser(body)
	if err != nil {
		ev.Err = err.Error()
	}
	return cu, ev, err
}

// Servers fetches the node list at serversURI, as given in <homeCluster
// serversUri>.
func (c *Client) Servers(ctx context.Context, serversURI string) ([]string, Evidence, error) {
	body, ev, err := httpx.Get(ctx, c.hc, serversURI, Auth{})
	if err != nil {
		return nil, ev, fmt.Errorf("ucm: servers: %w", err)
	}
	s, err := ParseServers(body)
	if err != nil {
		ev.Err = err.Error()
	}
	return s, ev, err
}

// UserDevices fetches /cucm-uds/user/U/devices with auth; the zero Auth
// probes unauthenticated, where a healthy UDS answers 401 (a *StatusError
// carrying WWW-Authenticate).
func (c *Client) UserDevices(ctx context.Context, base, username string, auth Auth) ([]Device, Evidence, error) {
	u := strings.TrimRight(base, "/") + "/cucm-uds/user/" + url.PathEscape(username) + "/devices"
	body, ev, err := httpx.Get(ctx, c.hc, u, auth)
	if err != nil {
		return nil, ev, fmt.Errorf("ucm: user devices: %w", err)
	}
	d, err := ParseDevices(body)
	if err != nil {
		ev.Err = err.Error()
	}
	return d, ev, err
}

// XML shapes, shared by the fake (marshal) and the parsers (unmarshal).

type xmlVersion struct {
	XMLName     xml.Name `xml:"versionInformation"`
	VersionAttr string   `xml:"version,attr"`
	URI         string   `xml:"uri,attr,omitempty"`
	Version     string   `xml:"version,omitempty"`
}

type xmlResult struct {
	Found string `xml:"found,attr"`
	URI   string `xml:"uri,attr,omitempty"`
}

type xmlHome struct {
	ServersURI string `xml:"serversUri,attr,omitempty"`
	Name       string `xml:",chardata"`
}

type xmlClusterUser struct {
	XMLName     xml.Name   `xml:"clusterUser"`
	Result      *xmlResult `xml:"result"`
	UserName    string     `xml:"userName,omitempty"`
	HomeCluster *xmlHome   `xml:"homeCluster,omitempty"`
}

type xmlServers struct {
	XMLName     xml.Name `xml:"servers"`
	VersionAttr string   `xml:"version,attr,omitempty"`
	URI         string   `xml:"uri,attr,omitempty"`
	Servers     []string `xml:"server"`
}

type xmlLink struct {
	URI string `xml:"uri,attr"`
}

type xmlUser struct {
	XMLName  xml.Name `xml:"user"`
	URI      string   `xml:"uri,attr,omitempty"`
	UserName string   `xml:"userName"`
	Email    string   `xml:"email,omitempty"`
	Devices  *xmlLink `xml:"devices,omitempty"`
}

type xmlDevice struct {
	Name  string `xml:"name"`
	Model string `xml:"model,omitempty"`
	Type  string `xml:"type,omitempty"`
}

type xmlDevices struct {
	XMLName xml.Name    `xml:"devices"`
	URI     string      `xml:"uri,attr,omitempty"`
	Devices []xmlDevice `xml:"device"`
}

// ParseVersion parses a <versionInformation> document; the version
// attribute wins over the <version> element.
func ParseVersion(b []byte) (VersionInfo, error) {
	var v xmlVersion
	if err := httpx.DecodeXML(b, "versionInformation", &v); err != nil {
		return VersionInfo{}, fmt.Errorf("%w: parse version: %w", ErrBadReply, err)
	}
	ver := strings.TrimSpace(v.VersionAttr)
	if ver == "" {
		ver = strings.TrimSpace(v.Version)
	}
	if ver == "" {
		return VersionInfo{}, fmt.Errorf("%w: parse version: no version", ErrBadReply)
	}
	return VersionInfo{Version: ver}, nil
}

// ParseClusterUser parses a <clusterUser> document. <result found> must
// be "true" or "false".
func ParseClusterUser(b []byte) (ClusterUser, error) {
	var v xmlClusterUser
	if err := httpx.DecodeXML(b, "clusterUser", &v); err != nil {
		return ClusterUser{}, fmt.Errorf("%w: parse cluster user: %w", ErrBadReply, err)
	}
	if v.Result == nil {
		return ClusterUser{}, fmt.Errorf("%w: parse cluster user: no <result>", ErrBadReply)
	}
	cu := ClusterUser{URI: v.Result.URI, UserName: strings.TrimSpace(v.UserName)}
	switch v.Result.Found {
	case "true":
		cu.Found = true
	case "false":
	default:
		return ClusterUser{}, fmt.Errorf("%w: parse cluster user: found=%q, want true or false", ErrBadReply, v.Result.Found)
	}
	if v.HomeCluster != nil {
		cu.HomeCluster = strings.TrimSpace(v.HomeCluster.Name)
		cu.ServersURI = v.HomeCluster.ServersURI
	}
	return cu, nil
}

// ParseServers parses a <servers> document into its node FQDNs, in order.
func ParseServers(b []byte) ([]string, error) {
	var v xmlServers
	if err := httpx.DecodeXML(b, "servers", &v); err != nil {
		return nil, fmt.Errorf("%w: parse servers: %w", ErrBadReply, err)
	}
	out := make([]string, 0, len(v.Servers))
	for i, s := range v.Servers {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("%w: parse servers: empty <server> %d", ErrBadReply, i+1)
		}
		out = append(out, s)
	}
	return out, nil
}

// ParseDevices parses a <devices> document; every device needs a name.
func ParseDevices(b []byte) ([]Device, error) {
	var v xmlDevices
	if err := httpx.DecodeXML(b, "devices", &v); err != nil {
		return nil, fmt.Errorf("%w: parse devices: %w", ErrBadReply, err)
	}
	out := make([]Device, 0, len(v.Devices))
	for i, d := range v.Devices {
		dev := Device{Name: strings.TrimSpace(d.Name), Model: strings.TrimSpace(d.Model), Type: strings.TrimSpace(d.Type)}
		if dev.Name == "" {
			return nil, fmt.Errorf("%w: parse devices: device %d has no <name>", ErrBadReply, i+1)
		}
		out = append(out, dev)
	}
	return out, nil
}
