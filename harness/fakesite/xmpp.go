package fakesite

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"example.com/cutover/harness/dnsclient"
	"example.com/cutover/harness/xmpps2s"
)

// Service kinds of XMPP federation.
const (
	// KindS2S is an XMPP server-to-server service (harness/xmpps2s): the
	// org's federation host (IM&P / Expressway-E before the cutover, Webex
	// after) or a partner domain's server. STARTTLS on its port, or direct
	// TLS (XEP-0368) with DirectTLS; every s2s service of a host is one
	// server.
	KindS2S = "xmpp-s2s"
	// KindFederationAgent is a partner's federation test agent: HTTPS
	// beside the host's s2s server, which it drives (xmpps2s.AgentHandler).
	KindFederationAgent = "xfed-agent"
)

// S2SSettings is one s2s service. The server of a host takes its settings
// from the host's first s2s service that is not DirectTLS; a DirectTLS
// service only adds its port.
type S2SSettings struct {
	// DirectTLS serves XEP-0368 direct TLS (ALPN xmpp-server) on this
	// port instead of STARTTLS.
	DirectTLS bool `yaml:"direct_tls,omitempty" json:"direct_tls,omitempty"`
	// Domain is the XMPP domain served. Default: the site's xmpp.domain.
	Domain string `yaml:"domain,omitempty" json:"domain,omitempty"`
	// SiteUsers: the site's test users are local users here, by their JIDs'
	// local parts, and answer every message (a test bot on the org's side).
	SiteUsers bool `yaml:"site_users,omitempty" json:"site_users,omitempty"`
	// Users are further local users (a partner's test user); they receive
	// and never answer.
	Users []string `yaml:"users,omitempty" json:"users,omitempty"`
	// Allow is the external domain allow list (none: no allow list); Block
	// the block list (the org's federation policy).
	Allow []string `yaml:"allow,omitempty" json:"allow,omitempty"`
	Block []string `yaml:"block,omitempty" json:"block,omitempty"`
	// RefuseGroupchat answers type="groupchat" with service-unavailable
	// (Webex federates 1:1 only).
	RefuseGroupchat bool `yaml:"refuse_groupchat,omitempty" json:"refuse_groupchat,omitempty"`
	// RequireAuthenticatedTLS: SASL EXTERNAL only, never dialback
	// (a strict partner).
	RequireAuthenticatedTLS bool `yaml:"require_authenticated_tls,omitempty" json:"require_authenticated_tls,omitempty"`

	// Faults.
	NeverDeliver    bool `yaml:"never_deliver,omitempty" json:"never_deliver,omitempty"`
	AcceptGroupchat bool `yaml:"accept_groupchat,omitempty" json:"accept_groupchat,omitempty"`
	NoDialback      bool `yaml:"no_dialback,omitempty" json:"no_dialback,omitempty"`
	NoStartTLS      bool `yaml:"no_starttls,omitempty" json:"no_starttls,omitempty"`
}

// AgentSettings is a federation test agent; it has nothing to set.
type AgentSettings struct{}

// xmppKinds are the service kinds of XMPP federation.
func xmppKinds() []Kind {
	return []Kind{
		{
			Name: KindS2S, Transport: TCP,
			Settings: func() any { return &S2SSettings{} },
			Start: func(ctx context.Context, env *Env, svc *Service, addr string) (Running, error) {
				hs, err := s2sServer(ctx, env)
				if err != nil {
					return nil, err
				}
				direct := svc.Settings.(*S2SSettings).DirectTLS
				return hs.serve(addr, direct)
			},
		},
		{
			Name: KindFederationAgent, Transport: TLS, Paths: []string{"/xfed/"},
			Settings: func() any { return &AgentSettings{} },
			Handler: func(env *Env, _ *Service) (Handler, error) {
				hs, err := s2sServer(context.Background(), env)
				if err != nil {
					return nil, err
				}
				// The probe gives up before the check's HTTP call does, so a
				// site that never answers is a verdict, not a timeout. The
				// check bounds the wait for the reply itself
				// (ProbeMessage.Wait, the target's delivery timeout).
				return agentHandler{xmpps2s.AgentHandler(hs.srv, env.Timeout()*2/3)}, nil
			},
		},
	}
}

// agentHandler is the agent mounted on the host's HTTPS port; the s2s
// server it drives is closed with the host's s2s services.
type agentHandler struct{ http.Handler }

func (agentHandler) Close() error { return nil }

// hostS2S is the one s2s server of a host, fed by the listeners of its
// s2s services (STARTTLS and direct TLS) through channel listeners.
type hostS2S struct {
	srv            *xmpps2s.Server
	plain, directL *chanListener

	mu      sync.Mutex
	serving int
	closed  bool
}

// s2sServer is the host's s2s server, started on first use.
func s2sServer(ctx context.Context, env *Env) (*hostS2S, error) {
	v, err := env.Shared(KindS2S, func() (any, error) { return startS2S(ctx, env) })
	if err != nil {
		return nil, err
	}
	return v.(*hostS2S), nil
}

func startS2S(ctx context.Context, env *Env) (*hostS2S, error) {
	var set *S2SSettings
	direct := false
	for _, s := range env.Host.Services {
		if st, ok := s.Settings.(*S2SSettings); ok && s.Kind == KindS2S {
			if st.DirectTLS {
				direct = true
			} else if set == nil {
				set = st
			}
		}
	}
	if set == nil {
		return nil, fmt.Errorf("%w: host %s has no STARTTLS %s service", ErrPlan, env.Host.Name, KindS2S)
	}
	site := env.Plan.Site
	domain := set.Domain
	if domain == "" {
		domain = site.XMPP.Domain
	}
	if domain == "" {
		return nil, fmt.Errorf("%w: host %s: %s service has no domain and the site no xmpp.domain", ErrPlan, env.Host.Name, KindS2S)
	}
	cert, err := env.ServerCert()
	if err != nil {
		return nil, err
	}
	roots, err := env.Roots()
	if err != nil {
		return nil, err
	}
	hs := &hostS2S{plain: newChanListener()}
	opts := []xmpps2s.Option{
		xmpps2s.WithListener(hs.plain), xmpps2s.WithDomains(domain),
		xmpps2s.WithCertificate(cert), xmpps2s.WithRoots(roots),
		xmpps2s.WithDialer(env.Dial), xmpps2s.WithResolver(envResolver{env}),
		xmpps2s.WithClock(env.Now), xmpps2s.WithTimeout(env.Timeout()),
	}
	if direct {
		hs.directL = newChanListener()
		opts = append(opts, xmpps2s.WithDirectTLSListener(hs.directL))
	}
	// The site's test users answer (the bots the probes prove delivery
	// by); a partner's users only receive: two echoing ends would answer
	// each other's answers for as long as the site runs.
	var echo []string
	if set.SiteUsers {
		x := site.XMPP
		for _, u := range site.Users {
			local, dom, _ := strings.Cut(x.JIDOf(u), "@")
			if dom == domain && !slices.Contains(echo, local) {
				echo = append(echo, local)
			}
		}
	}
	if len(echo) > 0 {
		opts = append(opts, xmpps2s.WithEcho(echo...))
	}
	if len(set.Users) > 0 {
		opts = append(opts, xmpps2s.WithUsers(set.Users...))
	}
	if len(set.Allow) > 0 {
		opts = append(opts, xmpps2s.WithAllowList(set.Allow...))
	}
	if len(set.Block) > 0 {
		opts = append(opts, xmpps2s.WithBlockList(set.Block...))
	}
	if set.RefuseGroupchat {
		opts = append(opts, xmpps2s.RefuseGroupchat())
	}
	if set.RequireAuthenticatedTLS {
		opts = append(opts, xmpps2s.RequireAuthenticatedTLS())
	}
	if set.NeverDeliver {
		opts = append(opts, xmpps2s.NeverDeliver())
	}
	if set.AcceptGroupchat {
		opts = append(opts, xmpps2s.AcceptGroupchat())
	}
	if set.NoDialback {
		opts = append(opts, xmpps2s.NoDialback())
	}
	if set.NoStartTLS {
		opts = append(opts, xmpps2s.NoStartTLS())
	}
	hs.srv, err = xmpps2s.Start(ctx, opts...)
	if err != nil {
		return nil, err
	}
	return hs, nil
}

// serve binds addr and feeds what it accepts to the server; the server
// stops when the last of the host's s2s services closes.
func (hs *hostS2S) serve(addr string, direct bool) (Running, error) {
	cl := hs.plain
	if direct {
		cl = hs.directL
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	hs.mu.Lock()
	hs.serving++
	hs.mu.Unlock()
	go cl.feed(ln)
	return &s2sRunning{hs: hs, ln: ln}, nil
}

type s2sRunning struct {
	hs   *hostS2S
	ln   net.Listener
	once sync.Once
	err  error
}

func (r *s2sRunning) Addr() string { return r.ln.Addr().String() }

func (r *s2sRunning) Close() error {
	r.once.Do(func() {
		r.err = r.ln.Close()
		if errors.Is(r.err, net.ErrClosed) {
			r.err = nil
		}
		hs := r.hs
		hs.mu.Lock()
		hs.serving--
		last := hs.serving == 0 && !hs.closed
		if last {
			hs.closed = true
		}
		hs.mu.Unlock()
		if last {
			r.err = errors.Join(r.err, hs.srv.Close())
		}
	})
	return r.err
}

// chanListener is a net.Listener fed by other listeners.
type chanListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// feed hands every connection ln accepts to l, until either closes.
func (l *chanListener) feed(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		select {
		case l.ch <- c:
		case <-l.done:
			c.Close()
			ln.Close()
			return
		}
	}
}

// envResolver resolves through the host's DNS view, which exists only
// once the launcher has started every host: it is looked up per call.
type envResolver struct{ env *Env }

func (r envResolver) LookupSRV(ctx context.Context, name string) ([]dnsclient.SRV, *dnsclient.Answer, error) {
	v, err := r.env.View(ctx)
	if err != nil {
		return nil, nil, err
	}
	return v.LookupSRV(ctx, name)
}

func (r envResolver) LookupHost(ctx context.Context, host string) ([]netip.Addr, []string, error) {
	v, err := r.env.View(ctx)
	if err != nil {
		return nil, nil, err
	}
	return v.LookupHost(ctx, host)
}
