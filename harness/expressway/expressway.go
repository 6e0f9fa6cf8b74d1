// Package expressway fakes the Expressway-E Mobile and Remote Access
// get_edge_config endpoint over HTTPS and holds the client the discovery
// checks use against the fake or a lab edge. See README.md.
package expressway

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"example.com/cutover/harness/httpauth"
	"example.com/cutover/harness/httpx"
)

const (
	// serverHeader is what Expressway-E puts on every reply.
	serverHeader = "CE_C ECS"
	contentType  = "application/xml"
	// nameError is the <error> of a service Expressway-C could not resolve.
	nameError = "NameError"
	endpoint  = "/get_edge_config"
	// The MRA OAuth paths under /<b64 D>/ and UCM's paths they map to.
	oauthAuthorize   = "/authorize"
	oauthToken       = "/token"
	ucmAuthorizePath = "/ssosp/oauth/authorize"
	ucmTokenPath     = "/ssosp/oauth/token"

	// ErrStatus is wrapped by every *StatusError from the client.
	ErrStatus = httpx.ErrStatus
	// ErrUnexpected is returned by Close when the fake saw requests it does
	// not implement.
	ErrUnexpected = httpx.Sentinel("expressway: unexpected requests")
	// ErrBadReply wraps every reason a get_edge_config reply does not parse.
	ErrBadReply = httpx.Sentinel("expressway: malformed reply")
)

// Evidence records one client exchange; PeerCert is the edge certificate
// for SAN (pki.EdgeSANForm) and expiry checks.
type Evidence = httpx.Evidence

// StatusError is a non-200 reply; Server carries the Server header.
type StatusError = httpx.StatusError

// Credentials are the MRA user's Basic credentials.
type Credentials struct {
	Username, Password string
}

// Target is one SRV target Expressway-C resolved for a service.
type Target struct {
	Priority, Weight, Port int
	Address                string
}

// Service is one <service> of <serviceConfig>; Error is "NameError" when
// the name did not resolve.
type Service struct {
	Name    string
	Servers []Target
	Error   string
}

// HostPort is one edge server.
type HostPort struct {
	Address string
	Port    int
}

// Edge is the <edgeConfig> the fake announces.
type Edge struct {
	SIPEdgeServers  []HostPort // tlsPort, standard 5061
	XMPPEdgeServers []HostPort // tlsPort, standard 5222
	HTTPEdgeServers []HostPort // tlsPort, standard 8443
	TURNEdgeServers []HostPort // udpPort, standard 3478
	SIPRequestRoute string
	UserUDSServer   string
}

// EdgeConfig is a parsed getEdgeConfigResponse.
type EdgeConfig struct {
	Services                              []Service
	SIPEdge, XMPPEdge, HTTPEdge, TURNEdge []HostPort
	SIPRoute, UserUDSServer               string
}

// Service returns the named service, if the response has it.
func (e EdgeConfig) Service(name string) (Service, bool) {
	for _, s := range e.Services {
		if s.Name == name {
			return s, true
		}
	}
	return Service{}, false
}

// EncodeDomain is the path segment for a discovery domain: standard
// base64 with the '=' padding stripped.
func EncodeDomain(domain string) string {
	return base64.RawStdEncoding.EncodeToString([]byte(domain))
}

// Request is one request the fake received (no Authorization values).
type Request = httpx.Request

// Server is a running Expressway-E fake.
type Server struct {
	cfg  config
	edge Edge
	http *httpx.Serving

	rec httpx.Recorder
}

// New validates opts and returns Expressway-E's MRA service as an
// http.Handler that does not listen: a host mounts it (it owns every path:
// the first segment is the base64 domain).
func New(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	if err := httpx.Configure(context.Background(), "expressway", &cfg, opts); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, edge: defaultEdge(cfg.Hostname)}
	if cfg.edge != nil {
		s.edge = withPorts(*cfg.edge)
	}
	return s, nil
}

// Start validates opts and serves get_edge_config over HTTPS on its own
// listener, returning once the socket listens. WithCertificate is required.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("expressway: start: %w", err)
	}
	s, err := New(opts...)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.RequireCert("expressway"); err != nil {
		return nil, err
	}
	hs, err := httpx.ServeTLS(s.cfg.Addr, *s.cfg.Cert, s)
	if err != nil {
		return nil, fmt.Errorf("expressway: listen: %w", err)
	}
	s.http = hs
	return s, nil
}

func withPorts(e Edge) Edge {
	fill := func(in []HostPort, port int) []HostPort {
		out := append([]HostPort(nil), in...)
		for i := range out {
			if out[i].Port == 0 {
				out[i].Port = port
			}
		}
		return out
	}
	e.SIPEdgeServers = fill(e.SIPEdgeServers, 5061)
	e.XMPPEdgeServers = fill(e.XMPPEdgeServers, 5222)
	e.HTTPEdgeServers = fill(e.HTTPEdgeServers, 8443)
	e.TURNEdgeServers = fill(e.TURNEdgeServers, 3478)
	return e
}

// Addr is the bound 127.0.0.1:<port> of a started fake ("" for New).
func (s *Server) Addr() string {
	if s.http == nil {
		return ""
	}
	return s.http.Addr()
}

// Close stops the fake; it is idempotent. It reports ErrUnexpected if the
// fake answered methods or paths Expressway-E does not serve here.
func (s *Server) Close() error {
	if s.http != nil {
		if err := s.http.Close(); err != nil {
			return fmt.Errorf("expressway: close: %w", err)
		}
	}
	return s.rec.Err(ErrUnexpected)
}

// Received returns a copy of the requests so far, oldest first.
func (s *Server) Received() []Request { return s.rec.Received() }

// ServeHTTP answers GET /<b64 domain>/get_edge_config.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.rec.Record(r)
	w.Header().Set("Server", serverHeader)
	if code, ok := httpx.MatchStatus(s.cfg.statusRules, r.URL.Path); ok {
		http.Error(w, http.StatusText(code), code)
		return
	}
	if r.Method != http.MethodGet && !(r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, oauthToken)) {
		s.rec.Unexpected(r)
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	if s.oauthPath(w, r) {
		return
	}
	seg, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), endpoint)
	if !ok || seg == "" {
		s.rec.Unexpected(r)
		http.NotFound(w, r)
		return
	}
	// A base64 segment may itself hold '/', so the domain is matched as
	// a whole rather than split on slashes.
	if !s.servesSegment(seg) {
		http.NotFound(w, r)
		return
	}
	if !s.cfg.acceptAny && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Basic realm=%q", s.cfg.realm))
		http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
		return
	}
	b, err := xml.Marshal(s.response(r.URL.Query()["service_name"]))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

func (s *Server) servesSegment(seg string) bool {
	for _, d := range s.cfg.domains {
		padded := base64.StdEncoding.EncodeToString([]byte(d))
		if s.cfg.paddedOnly {
			if seg == padded {
				return true
			}
			continue
		}
		if seg == EncodeDomain(d) {
			return true
		}
	}
	return false
}

func (s *Server) authorized(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); s.cfg.validate != nil && s.cfg.refreshOn && h != "" {
		if cred, err := httpauth.ParseCredentials(h); err == nil && cred.Is("Bearer") {
			tok, err := httpauth.BearerToken(cred)
			if err != nil {
				return false
			}
			_, err = s.cfg.validate(tok, s.cfg.clock())
			return err == nil
		}
	}
	name, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	for _, u := range s.cfg.users {
		if strings.EqualFold(u.Username, name) && subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) == 1 {
			return true
		}
	}
	return false
}

func (s *Server) response(names []string) xmlResponse {
	out := xmlResponse{Version: "1.0", UserUDSServer: s.edge.UserUDSServer}
	for _, n := range names {
		svc := xmlService{Name: n, Error: nameError}
		for _, have := range s.cfg.services {
			if have.Name == n && !s.cfg.omit[n] && have.Error == "" {
				svc.Error = ""
				for _, t := range have.Servers {
					svc.Servers = append(svc.Servers, xmlTarget(t))
				}
				break
			}
		}
		out.Services = append(out.Services, svc)
	}
	edge := &xmlEdge{}
	conv := func(in []HostPort, turn bool) []xmlEdgeServer {
		var o []xmlEdgeServer
		for _, hp := range in {
			if turn {
				o = append(o, xmlEdgeServer{Address: hp.Address, UDPPort: hp.Port})
			} else {
				o = append(o, xmlEdgeServer{Address: hp.Address, TLSPort: hp.Port})
			}
		}
		return o
	}
	edge.SIP = conv(s.edge.SIPEdgeServers, false)
	if s.edge.SIPRequestRoute != "" {
		edge.SIPRoute = &s.edge.SIPRequestRoute
	}
	edge.XMPP = conv(s.edge.XMPPEdgeServers, false)
	edge.HTTP = conv(s.edge.HTTPEdgeServers, false)
	edge.TURN = conv(s.edge.TURNEdgeServers, true)
	out.Edge = edge
	return out
}

// Client fetches get_edge_config with an http.Client supplied by the
// caller, which carries the trust roots, resolver and timeouts.
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

// GetEdgeConfig asks the edge at base (e.g.
// "https://expe1.example.com:8443") for domain's configuration with
// Basic creds. Without services it asks for _cisco-uds and _cuplogin, as
// Jabber does. A 401 is a *StatusError with WWWAuthenticate and Server.
func (c *Client) GetEdgeConfig(ctx context.Context, base, domain string, creds Credentials, services ...string) (EdgeConfig, Evidence, error) {
	if len(services) == 0 {
		services = []string{"_cisco-uds", "_cuplogin"}
	}
	q := url.Values{"service_name": services}.Encode()
	u := strings.TrimRight(base, "/") + "/" + EncodeDomain(domain) + endpoint + "?" + q
	return c.getEdgeConfig(ctx, u, httpx.Auth{Username: creds.Username, Password: creds.Password})
}

// GetEdgeConfigBearer is GetEdgeConfig authorized by a UCM access token
// ("Authorization: Bearer"), as the apps do once signed in.
func (c *Client) GetEdgeConfigBearer(ctx context.Context, base, domain, token string, services ...string) (EdgeConfig, Evidence, error) {
	if len(services) == 0 {
		services = []string{"_cisco-uds", "_cuplogin"}
	}
	q := url.Values{"service_name": services}.Encode()
	u := strings.TrimRight(base, "/") + "/" + EncodeDomain(domain) + endpoint + "?" + q
	return c.getEdgeConfig(ctx, u, httpx.Auth{Bearer: token})
}

func (c *Client) getEdgeConfig(ctx context.Context, u string, auth httpx.Auth) (EdgeConfig, Evidence, error) {
	body, ev, err := httpx.Get(ctx, c.hc, u, auth)
	if err != nil {
		return EdgeConfig{}, ev, fmt.Errorf("expressway: get edge config: %w", err)
	}
	ec, err := ParseEdgeConfig(body)
	if err != nil {
		ev.Err = err.Error()
	}
	return ec, ev, err
}

// XML shapes, shared by the fake (marshal) and ParseEdgeConfig.

type xmlTarget struct {
	Priority int    `xml:"priority"`
	Weight   int    `xml:"weight"`
	Port     int    `xml:"port"`
	Address  string `xml:"address"`
}

type xmlService struct {
	Name    string      `xml:"name"`
	Servers []xmlTarget `xml:"server"`
	Error   string      `xml:"error,omitempty"`
}

type xmlEdgeServer struct {
	Address string `xml:"address"`
	TLSPort int    `xml:"tlsPort,omitempty"`
	TCPPort int    `xml:"tcpPort,omitempty"`
	UDPPort int    `xml:"udpPort,omitempty"`
}

type xmlEdge struct {
	SIP      []xmlEdgeServer `xml:"sipEdgeServer>server"`
	SIPRoute *string         `xml:"sipRequest>route"`
	XMPP     []xmlEdgeServer `xml:"xmppEdgeServer>server"`
	HTTP     []xmlEdgeServer `xml:"httpEdgeServer>server"`
	TURN     []xmlEdgeServer `xml:"turnEdgeServer>server"`
	// UserUDSServer inside edgeConfig is accepted when parsing; the fake
	// writes it at the top level.
	UserUDSServer string `xml:"userUdsServer,omitempty"`
}

type xmlResponse struct {
	XMLName       xml.Name     `xml:"getEdgeConfigResponse"`
	Version       string       `xml:"version,attr"`
	Services      []xmlService `xml:"serviceConfig>service"`
	Edge          *xmlEdge     `xml:"edgeConfig"`
	UserUDSServer string       `xml:"userUdsServer,omitempty"`
}

// ParseEdgeConfig parses a getEdgeConfigResponse. Services need a name;
// SRV targets need an address and a port in 1..65535; edge servers need
// an address and a port: tlsPort, else tcpPort, else udpPort, except TURN,
// which prefers udpPort.
func ParseEdgeConfig(b []byte) (EdgeConfig, error) {
	var v xmlResponse
	if err := httpx.DecodeXML(b, "getEdgeConfigResponse", &v); err != nil {
		return EdgeConfig{}, fmt.Errorf("%w: parse edge config: %w", ErrBadReply, err)
	}
	fail := func(format string, a ...any) (EdgeConfig, error) {
		return EdgeConfig{}, fmt.Errorf("%w: parse edge config: %s", ErrBadReply, fmt.Sprintf(format, a...))
	}
	var ec EdgeConfig
	for i, s := range v.Services {
		svc := Service{Name: strings.TrimSpace(s.Name), Error: strings.TrimSpace(s.Error)}
		if svc.Name == "" {
			return fail("service %d has no <name>", i+1)
		}
		for _, t := range s.Servers {
			t.Address = strings.TrimSpace(t.Address)
			if t.Address == "" || t.Port < 1 || t.Port > 65535 || t.Priority < 0 || t.Weight < 0 {
				return fail("service %s: bad server %+v", svc.Name, t)
			}
			svc.Servers = append(svc.Servers, Target(t))
		}
		ec.Services = append(ec.Services, svc)
	}
	ec.UserUDSServer = strings.TrimSpace(v.UserUDSServer)
	if v.Edge == nil {
		return ec, nil
	}
	conv := func(kind string, in []xmlEdgeServer) ([]HostPort, error) {
		var out []HostPort
		for _, s := range in {
			ports := []int{s.TLSPort, s.TCPPort, s.UDPPort}
			if kind == "turnEdgeServer" {
				ports = []int{s.UDPPort, s.TCPPort, s.TLSPort}
			}
			hp := HostPort{Address: strings.TrimSpace(s.Address)}
			for _, p := range ports {
				if hp.Port == 0 {
					hp.Port = p
				}
			}
			if hp.Address == "" || hp.Port < 1 || hp.Port > 65535 {
				return nil, fmt.Errorf("%s: bad server %+v", kind, s)
			}
			out = append(out, hp)
		}
		return out, nil
	}
	var err error
	if ec.SIPEdge, err = conv("sipEdgeServer", v.Edge.SIP); err != nil {
		return fail("%v", err)
	}
	if ec.XMPPEdge, err = conv("xmppEdgeServer", v.Edge.XMPP); err != nil {
		return fail("%v", err)
	}
	if ec.HTTPEdge, err = conv("httpEdgeServer", v.Edge.HTTP); err != nil {
		return fail("%v", err)
	}
	if ec.TURNEdge, err = conv("turnEdgeServer", v.Edge.TURN); err != nil {
		return fail("%v", err)
	}
	if v.Edge.SIPRoute != nil {
		ec.SIPRoute = strings.TrimSpace(*v.Edge.SIPRoute)
	}
	if ec.UserUDSServer == "" {
		ec.UserUDSServer = strings.TrimSpace(v.Edge.UserUDSServer)
	}
	return ec, nil
}

// oauthPath serves /<b64 D>/authorize and /<b64 D>/token when an OAuth
// upstream is configured; it reports whether it answered.
func (s *Server) oauthPath(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.upstream == nil {
		return false
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	var seg, target string
	switch {
	case strings.HasSuffix(p, oauthAuthorize) && r.Method == http.MethodGet:
		seg, target = strings.TrimSuffix(p, oauthAuthorize), ucmAuthorizePath
	case strings.HasSuffix(p, oauthToken) && r.Method == http.MethodPost:
		seg, target = strings.TrimSuffix(p, oauthToken), ucmTokenPath
	default:
		return false
	}
	if seg == "" || !s.servesSegment(seg) {
		return false
	}
	if !s.cfg.refreshOn {
		if target == ucmTokenPath {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"unsupported_grant_type","error_description":"Authorize by OAuth token with refresh is off"}` + "\n"))
			return true
		}
		if q := r.URL.Query(); q.Get("response_type") == "code" {
			ru, err := url.Parse(q.Get("redirect_uri"))
			if err != nil || q.Get("redirect_uri") == "" {
				http.Error(w, "expressway: authorize: redirect_uri required", http.StatusBadRequest)
				return true
			}
			v := ru.Query()
			v.Set("error", "unsupported_response_type")
			v.Set("error_description", "Authorize by OAuth token with refresh is off")
			if st := q.Get("state"); st != "" {
				v.Set("state", st)
			}
			ru.RawQuery = v.Encode()
			http.Redirect(w, r, ru.String(), http.StatusFound)
			return true
		}
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = target, ""
	r2.RequestURI = ""
	s.cfg.upstream.ServeHTTP(w, r2)
	return true
}
