// Package devcfg fakes UCM's device configuration files as the TFTP
// service serves them over HTTP (http://UCM:6970/<device>.cnf.xml), with
// the SIP OAuth settings Jabber and the Webex App read (Cisco TN215572
// "Jabber and SIP OAuth Mode", Overall Architecture), and holds the client
// and parser the SIPO-05 check uses. See README.md.
package devcfg

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"example.com/cutover/harness/httpx"
)

const (
	// ErrParse is wrapped by every parse error.
	ErrParse = httpx.Sentinel("devcfg: bad device configuration")
	// ErrNotOAuth is wrapped by CheckOAuth's findings.
	ErrNotOAuth = httpx.Sentinel("devcfg: not set up for SIP OAuth")
	// ErrUnexpected is returned by Close for requests the fake does not
	// serve.
	ErrUnexpected = httpx.Sentinel("devcfg: unexpected requests")
	// ErrStatus is wrapped by non-200 replies (a *httpx.StatusError).
	ErrStatus = httpx.ErrStatus

	// Suffix ends every configuration file name.
	Suffix = ".cnf.xml"
	// MinPort and MaxPort bound the OAuth ports UCM accepts (TN215572,
	// "Configure OAuth Ports").
	MinPort = 1024
	MaxPort = 49151
)

// Node is one UCM node (callManager) in a device's configuration.
type Node struct {
	// Name is the node's name (host name or address), as in <name> and
	// <processNodeName>.
	Name        string
	Description string
	SIPPort     int
	SecuredPort int
	// OAuthPort and MRAOAuthPort are <sipOAuthPort> and
	// <sipMRAOAuthPort>; 0 when absent.
	OAuthPort    int
	MRAOAuthPort int
}

// DefaultNode is a node with UCM's default ports: 5060, 5061, 5090, 5091.
func DefaultNode(name string) Node {
	return Node{Name: name, Description: name, SIPPort: 5060, SecuredPort: 5061, OAuthPort: 5090, MRAOAuthPort: 5091}
}

// Config is what a device's configuration file says about SIP OAuth.
type Config struct {
	Device string
	// OAuthMode is <sipOAuthMode>: 1 enabled, 0 disabled; HasOAuthMode is
	// false when the element is missing.
	OAuthMode    int
	HasOAuthMode bool
	Nodes        []Node
}

// CheckOAuth reports what keeps the configuration from SIP OAuth: mode
// not 1, no node, a node without both OAuth ports or with one out of
// 1024–49151. Nil means ready. Each finding wraps ErrNotOAuth.
func (c Config) CheckOAuth() error {
	var errs []error
	switch {
	case !c.HasOAuthMode:
		errs = append(errs, fmt.Errorf("%w: %s: no <sipOAuthMode>", ErrNotOAuth, c.Device))
	case c.OAuthMode != 1:
		errs = append(errs, fmt.Errorf("%w: %s: want <sipOAuthMode>1</sipOAuthMode>, got %d", ErrNotOAuth, c.Device, c.OAuthMode))
	}
	if len(c.Nodes) == 0 {
		errs = append(errs, fmt.Errorf("%w: %s: no <callManager>", ErrNotOAuth, c.Device))
	}
	for _, n := range c.Nodes {
		for _, p := range []struct {
			name string
			port int
		}{{"sipOAuthPort", n.OAuthPort}, {"sipMRAOAuthPort", n.MRAOAuthPort}} {
			switch {
			case p.port == 0:
				errs = append(errs, fmt.Errorf("%w: %s: node %s has no <%s>", ErrNotOAuth, c.Device, n.Name, p.name))
			case p.port < MinPort || p.port > MaxPort:
				errs = append(errs, fmt.Errorf("%w: %s: node %s <%s> %d outside %d–%d", ErrNotOAuth, c.Device, n.Name, p.name, p.port, MinPort, MaxPort))
			}
		}
	}
	return errors.Join(errs...)
}

// XML shapes: the fake writes the nesting UCM uses (device > devicePool >
// callManagerGroup > members > member > callManager); the parser finds
// <callManager> and <sipOAuthMode> at any depth below <device>.

type xmlPorts struct {
	EthernetPhonePort int     `xml:"ethernetPhonePort"`
	SIPPort           *string `xml:"sipPort"`
	SecuredSIPPort    *string `xml:"securedSipPort"`
	SIPOAuthPort      *string `xml:"sipOAuthPort"`
	SIPMRAOAuthPort   *string `xml:"sipMRAOAuthPort"`
}

type xmlCallManager struct {
	Name            string   `xml:"name"`
	Description     string   `xml:"description,omitempty"`
	Ports           xmlPorts `xml:"ports"`
	ProcessNodeName string   `xml:"processNodeName,omitempty"`
}

type xmlMember struct {
	Priority    int            `xml:"priority,attr"`
	CallManager xmlCallManager `xml:"callManager"`
}

type xmlDevice struct {
	XMLName        xml.Name    `xml:"device"`
	FullConfig     bool        `xml:"fullConfig"`
	DeviceProtocol string      `xml:"deviceProtocol"`
	Members        []xmlMember `xml:"devicePool>callManagerGroup>members>member"`
	SIPOAuthMode   *int        `xml:"sipOAuthMode,omitempty"`
	SecurityMode   int         `xml:"deviceSecurityMode"`
}

// Parse reads a device configuration file (at most httpx.MaxBody bytes).
// device names the file for messages.
func Parse(device string, b []byte) (Config, error) {
	cfg := Config{Device: device}
	if len(b) > httpx.MaxBody {
		return cfg, fmt.Errorf("%w: %d bytes (limit %d)", ErrParse, len(b), httpx.MaxBody)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	depth, sawRoot := 0, false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return cfg, fmt.Errorf("%w: %v", ErrParse, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if sawRoot || t.Name.Local != "device" {
					return cfg, fmt.Errorf("%w: root <%s>, want one <device>", ErrParse, t.Name.Local)
				}
				sawRoot = true
				depth++
				continue
			}
			switch t.Name.Local {
			case "callManager":
				var cm xmlCallManager
				if err := d.DecodeElement(&cm, &t); err != nil {
					return cfg, fmt.Errorf("%w: <callManager>: %v", ErrParse, err)
				}
				n, err := nodeOf(cm)
				if err != nil {
					return cfg, err
				}
				cfg.Nodes = append(cfg.Nodes, n)
			case "sipOAuthMode":
				var v string
				if err := d.DecodeElement(&v, &t); err != nil {
					return cfg, fmt.Errorf("%w: <sipOAuthMode>: %v", ErrParse, err)
				}
				if cfg.HasOAuthMode {
					return cfg, fmt.Errorf("%w: two <sipOAuthMode>", ErrParse)
				}
				n, err := strconv.Atoi(strings.TrimSpace(v))
				if err != nil || n < 0 || n > 1 {
					return cfg, fmt.Errorf("%w: <sipOAuthMode> %q, want 0 or 1", ErrParse, clip(v))
				}
				cfg.OAuthMode, cfg.HasOAuthMode = n, true
			default:
				depth++
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return cfg, fmt.Errorf("%w: text outside <device>", ErrParse)
			}
		}
	}
	if !sawRoot {
		return cfg, fmt.Errorf("%w: no <device>", ErrParse)
	}
	return cfg, nil
}

func nodeOf(cm xmlCallManager) (Node, error) {
	n := Node{Name: strings.TrimSpace(cm.Name), Description: strings.TrimSpace(cm.Description)}
	if n.Name == "" {
		n.Name = strings.TrimSpace(cm.ProcessNodeName)
	}
	if n.Name == "" {
		return n, fmt.Errorf("%w: <callManager> without <name>", ErrParse)
	}
	for _, p := range []struct {
		tag string
		v   *string
		out *int
	}{
		{"sipPort", cm.Ports.SIPPort, &n.SIPPort},
		{"securedSipPort", cm.Ports.SecuredSIPPort, &n.SecuredPort},
		{"sipOAuthPort", cm.Ports.SIPOAuthPort, &n.OAuthPort},
		{"sipMRAOAuthPort", cm.Ports.SIPMRAOAuthPort, &n.MRAOAuthPort},
	} {
		if p.v == nil {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(*p.v))
		if err != nil || v < 1 || v > 65535 {
			return n, fmt.Errorf("%w: node %s <%s> %q is not a port", ErrParse, clip(n.Name), p.tag, clip(*p.v))
		}
		*p.out = v
	}
	return n, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Marshal writes cfg as the fake serves it.
func Marshal(cfg Config) ([]byte, error) {
	d := xmlDevice{FullConfig: true, DeviceProtocol: "SIP", SecurityMode: 1}
	if cfg.HasOAuthMode {
		m := cfg.OAuthMode
		d.SIPOAuthMode = &m
	}
	port := func(p int) *string {
		if p == 0 {
			return nil
		}
		s := strconv.Itoa(p)
		return &s
	}
	for i, n := range cfg.Nodes {
		d.Members = append(d.Members, xmlMember{Priority: i, CallManager: xmlCallManager{
			Name: n.Name, Description: n.Description, ProcessNodeName: n.Name,
			Ports: xmlPorts{EthernetPhonePort: 2000, SIPPort: port(n.SIPPort), SecuredSIPPort: port(n.SecuredPort),
				SIPOAuthPort: port(n.OAuthPort), SIPMRAOAuthPort: port(n.MRAOAuthPort)},
		}})
	}
	b, err := xml.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("devcfg: marshal: %w", err)
	}
	return append([]byte(xml.Header), b...), nil
}

// Server serves configuration files; it implements http.Handler and
// does not listen. It owns every path ending in ".cnf.xml" directly under
// "/" (mount it at "/" of the TFTP HTTP port, 6970).
type Server struct {
	cfg serverConfig
	rec httpx.Recorder
}

// New validates opts.
func New(opts ...Option) (*Server, error) {
	cfg := defaultServerConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, fmt.Errorf("devcfg: option: %w", err)
		}
	}
	if len(cfg.nodes) == 0 {
		cfg.nodes = []Node{DefaultNode("ucm1.example.com")}
	}
	return &Server{cfg: cfg}, nil
}

// Config is what the fake serves for device (faults applied), and
// whether it knows the device.
func (s *Server) Config(device string) (Config, bool) {
	if !s.cfg.devices[strings.ToLower(device)] {
		return Config{}, false
	}
	c := Config{Device: device, OAuthMode: 1, HasOAuthMode: true}
	if s.cfg.modeOff["*"] || s.cfg.modeOff[strings.ToLower(device)] {
		c.OAuthMode = 0
	}
	for _, n := range s.cfg.nodes {
		if s.cfg.noOAuthPort["*"] || s.cfg.noOAuthPort[strings.ToLower(n.Name)] {
			n.OAuthPort = 0
		}
		if s.cfg.noMRAPort["*"] || s.cfg.noMRAPort[strings.ToLower(n.Name)] {
			n.MRAOAuthPort = 0
		}
		c.Nodes = append(c.Nodes, n)
	}
	return c, true
}

// ServeHTTP answers GET /<device>.cnf.xml.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.rec.Record(r)
	name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), Suffix)
	if r.Method != http.MethodGet || !ok || name == "" || strings.Contains(name, "/") {
		s.rec.Unexpected(r)
		http.NotFound(w, r)
		return
	}
	if code, ok := httpx.MatchStatus(s.cfg.statusRules, r.URL.Path); ok {
		http.Error(w, http.StatusText(code), code)
		return
	}
	cfg, ok := s.Config(name)
	if !ok {
		http.NotFound(w, r) // an unknown device is a finding, not a probe error
		return
	}
	b, err := Marshal(cfg)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write(b)
}

// Received returns the requests so far.
func (s *Server) Received() []httpx.Request { return s.rec.Received() }

// Close reports ErrUnexpected for requests the fake does not serve; the
// handler itself holds nothing to release.
func (s *Server) Close() error { return s.rec.Err(ErrUnexpected) }

// Serving is a Server listening on plain HTTP, for standalone tests.
type Serving struct {
	*Server
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
	once sync.Once
}

// Start serves New(opts...) over plain HTTP on addr ("127.0.0.1:0"),
// returning once it listens. UCM's TFTP HTTP port is plain HTTP.
func Start(ctx context.Context, addr string, opts ...Option) (*Serving, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("devcfg: start: %w", err)
	}
	s, err := New(opts...)
	if err != nil {
		return nil, err
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("devcfg: listen: %w", err)
	}
	sv := &Serving{Server: s, srv: httpx.NewServer(s), ln: ln, done: make(chan struct{})}
	go func() {
		defer close(sv.done)
		_ = sv.srv.Serve(ln)
	}()
	return sv, nil
}

// Addr is the bound address.
func (sv *Serving) Addr() string { return sv.ln.Addr().String() }

// Close stops listening (idempotent) and reports unexpected requests.
func (sv *Serving) Close() error {
	var err error
	sv.once.Do(func() {
		err = sv.srv.Close()
		<-sv.done
	})
	if err != nil {
		return fmt.Errorf("devcfg: close: %w", err)
	}
	return sv.Server.Close()
}

// Fetch gets base + "/" + device + ".cnf.xml" with hc (base like
// "http://ucm1.example.com:6970") and parses it. The body is capped at
// httpx.MaxBody; any content type is accepted (the file is judged by its
// content). A ctx without a deadline gets httpx.DefaultTimeout.
func Fetch(ctx context.Context, hc *http.Client, base, device string) (Config, httpx.Evidence, error) {
	u := strings.TrimRight(base, "/") + "/" + url.PathEscape(device) + Suffix
	ev := httpx.Evidence{Method: http.MethodGet, URL: u}
	fail := func(err error) (Config, httpx.Evidence, error) {
		ev.Err = err.Error()
		return Config{Device: device}, ev, err
	}
	if device == "" || strings.ContainsAny(device, "/?#") {
		return fail(fmt.Errorf("devcfg: fetch: bad device name %q", device))
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, httpx.DefaultTimeout)
		defer cancel()
	}
	if hc == nil {
		hc = &http.Client{}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fail(fmt.Errorf("devcfg: fetch: %w", err))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fail(fmt.Errorf("devcfg: fetch: %w", err))
	}
	defer resp.Body.Close()
	ev.Status = resp.StatusCode
	ev.Header = httpx.Redact(resp.Header)
	body, rerr := httpx.ReadCapped(resp.Body, httpx.MaxBody)
	ev.Body = string(body[:min(len(body), httpx.EvidenceBody)])
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("devcfg: fetch %s: %w", device, &httpx.StatusError{Code: resp.StatusCode, Server: resp.Header.Get("Server")}))
	}
	if rerr != nil {
		return fail(fmt.Errorf("devcfg: fetch %s: %w", device, rerr))
	}
	cfg, err := Parse(device, body)
	if err != nil {
		return fail(err)
	}
	return cfg, ev, nil
}
