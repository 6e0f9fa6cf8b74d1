package fakesite

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"example.com/cutover/harness/clock"
	"example.com/cutover/harness/httpx"
	"example.com/cutover/harness/target"
)

// Env is what every service gets to start with: its host and plan, the
// site's clock, its credentials by purpose, and a dialer and resolver that
// reach the site the way the host itself would (through the plan's DNS view
// for the host and the connect map), so that fakes can reach each other.
type Env struct {
	Plan   *Plan
	Host   *Host
	Clock  *clock.Clock
	Bundle *Bundle

	netReady <-chan struct{}
	once     sync.Once
	net      *target.Target

	sharedMu sync.Mutex
	shared   map[string]any
}

// Shared returns the value the host's services share under key, made by
// mk on first use: state that one machine's services hold together (UCM's
// OAuth server and its SIP registrar validate the same tokens, IM&P's
// XMPP and AXL serve the same users). It is per host in both launchers:
// in-process each host has its own Env, in containers each host is its own
// process. A failed mk is not remembered.
func (e *Env) Shared(key string, mk func() (any, error)) (any, error) {
	e.sharedMu.Lock()
	defer e.sharedMu.Unlock()
	if v, ok := e.shared[key]; ok {
		return v, nil
	}
	v, err := mk()
	if err != nil {
		return nil, err
	}
	if e.shared == nil {
		e.shared = map[string]any{}
	}
	e.shared[key] = v
	return v, nil
}

// NewEnv is the environment of host h of b's plan. netReady, when not nil,
// is closed once the launcher has filled the plan's Net (in-process, the
// connect map is known only once every host listens).
func NewEnv(b *Bundle, h *Host, netReady <-chan struct{}) *Env {
	return &Env{Plan: b.Plan, Host: h, Clock: clock.New(b.Plan.ClockOffset), Bundle: b, netReady: netReady}
}

// Now is the site's time.
func (e *Env) Now() time.Time { return e.Clock.Now() }

// ServerCert is the host's TLS server certificate.
func (e *Env) ServerCert() (tls.Certificate, error) { return e.Bundle.Credential(e.Host.Name) }

// Credential is a credential of the plan by name (see KeySpec).
func (e *Env) Credential(name string) (tls.Certificate, error) { return e.Bundle.Credential(name) }

// Roots is the pool of the site's trusted CA.
func (e *Env) Roots() (*x509.CertPool, error) { return e.Bundle.Roots() }

// Timeout bounds each network call a fake makes.
func (e *Env) Timeout() time.Duration {
	if d := e.Plan.Site.Limits.Timeout.D(); d > 0 {
		return d
	}
	return 3 * time.Second
}

// network is the site as this host sees it, built on first use, once the
// launcher has filled Plan.Net.
func (e *Env) network(ctx context.Context) (*target.Target, error) {
	if e.netReady != nil {
		select {
		case <-e.netReady:
		case <-ctx.Done():
			return nil, fmt.Errorf("fakesite: %s: the site network is not ready: %w", e.Host.Name, ctx.Err())
		}
	}
	e.once.Do(func() {
		site := &target.Site{
			Name: "network of " + e.Host.Name,
			Vantage: target.Vantages{
				Inside:  target.Vantage{Resolver: e.Plan.resolverFor(e.Host, ZoneInside)},
				Outside: target.Vantage{Resolver: e.Plan.resolverFor(e.Host, ZoneOutside)},
			},
			ConnectTo: e.Plan.Net.ConnectTo,
			Limits:    target.Limits{Timeout: target.Duration(e.Timeout())},
		}
		e.net = target.New(site, target.Unbounded())
	})
	return e.net, nil
}

// View is the site as the host sees it: resolve (SRV, A/AAAA) and dial.
func (e *Env) View(ctx context.Context) (target.View, error) {
	n, err := e.network(ctx)
	if err != nil {
		return target.View{}, err
	}
	return n.From(target.Where(e.Host.View())), nil
}

// Dial connects like the host would: names through its DNS view, then the
// connect map.
func (e *Env) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	v, err := e.View(ctx)
	if err != nil {
		return nil, err
	}
	return v.Dial(ctx, network, addr)
}

// resolverFor is the address at which host h reaches the DNS view: on a
// network h shares with the DNS host when hosts have an address per zone
// (containers), else the one the launcher recorded.
func (p *Plan) resolverFor(h *Host, view string) string {
	for _, hs := range p.Services(KindDNS) {
		d, ok := hs.Service.Settings.(*DNSSettings)
		if !ok || d.View != view {
			continue
		}
		for _, z := range h.Zones {
			if a := hs.Host.Addresses[z]; a != "" {
				return net.JoinHostPort(a, strconv.Itoa(hs.Service.Port))
			}
		}
	}
	return p.Net.Resolvers[view]
}

// RunningHost is a started host: where each of its ports listens.
type RunningHost struct {
	Host *Host
	// Addrs maps each service port to the address it is bound to.
	Addrs map[int]string

	closers  []func() error
	settlers []Settler
	timeout  time.Duration
	once     sync.Once
	err      error
}

// Settle waits until every service of the host that must first reach
// another host has (see Settler), for at most the site's timeout: the
// launchers call it once every host listens, before the site is handed to
// the checks. A service that does not settle in time is left as it is
// (its checks then see it as it is) and its error is returned.
func (r *RunningHost) Settle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var errs []error
	for _, s := range r.settlers {
		if err := s.Settled(ctx); err != nil {
			errs = append(errs, fmt.Errorf("fakesite: %s not settled: %w", r.Host.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Close stops every service of the host, idempotently, and reports what
// the fakes report (unexpected requests among them).
func (r *RunningHost) Close() error {
	r.once.Do(func() {
		var errs []error
		for i := len(r.closers) - 1; i >= 0; i-- {
			errs = append(errs, r.closers[i]())
		}
		r.err = errors.Join(errs...)
	})
	return r.err
}

// HostOptions say where a host's services bind.
type HostOptions struct {
	// Bind gives the address each port binds: "127.0.0.1:0" in-process,
	// ":port" in a container.
	Bind func(port int) string
	// NetReady, when not nil, is closed once the plan's Net is final.
	NetReady <-chan struct{}
	// Clock is the site clock the host's services share with the rest of
	// the site; nil: a clock of the host's own at the plan's offset.
	Clock *clock.Clock
}

// StartHost starts every service of the host named name. HTTP services
// sharing a port are mounted on one listener; a socket service binds its
// own. A host that is Down is not startable: the launcher leaves its
// addresses dead.
func StartHost(ctx context.Context, reg *Registry, b *Bundle, name string, o HostOptions) (_ *RunningHost, err error) {
	h, err := b.Plan.Host(name)
	if err != nil {
		return nil, err
	}
	if h.Down {
		return nil, fmt.Errorf("fakesite: host %s is down by plan", name)
	}
	bind := o.Bind
	env := NewEnv(b, h, o.NetReady)
	if o.Clock != nil {
		env.Clock = o.Clock
	}
	run := &RunningHost{Host: h, Addrs: map[int]string{}, timeout: env.Timeout()}
	defer func() {
		if err != nil {
			err = errors.Join(err, run.Close())
		}
	}()
	for _, port := range h.Ports() {
		var mounted []*Service
		for _, s := range h.Services {
			if s.Port != port {
				continue
			}
			k, ok := reg.Lookup(s.Kind)
			if !ok {
				return nil, fmt.Errorf("%w: host %s: unknown service kind %q", ErrPlan, name, s.Kind)
			}
			if k.Start != nil {
				r, err := k.Start(ctx, env, s, bind(port))
				if err != nil {
					return nil, fmt.Errorf("fakesite: %s %s on %d: %w", name, s.Kind, port, err)
				}
				run.closers = append(run.closers, r.Close)
				run.Addrs[port] = r.Addr()
				if st, ok := r.(Settler); ok {
					run.settlers = append(run.settlers, st)
				}
				continue
			}
			mounted = append(mounted, s)
		}
		if len(mounted) == 0 {
			continue
		}
		addr, closer, err := serveHTTP(reg, env, mounted, bind(port))
		if err != nil {
			return nil, fmt.Errorf("fakesite: %s port %d: %w", name, port, err)
		}
		run.closers = append(run.closers, closer)
		run.Addrs[port] = addr
	}
	return run, nil
}

// ErrUnexpected is reported by a host whose listener was asked for a path
// no mounted service owns.
var ErrUnexpected = errors.New("fakesite: unexpected requests")

// serveHTTP mounts the services' handlers at their paths on one listener
// of the services' transport.
func serveHTTP(reg *Registry, env *Env, svcs []*Service, addr string) (string, func() error, error) {
	mux := http.NewServeMux()
	var handlers []Handler
	closeAll := func() error {
		var errs []error
		for _, h := range handlers {
			errs = append(errs, h.Close())
		}
		return errors.Join(errs...)
	}
	catchAll := false
	for _, s := range svcs {
		k, _ := reg.Lookup(s.Kind)
		h, err := k.Handler(env, s)
		if err != nil {
			return "", nil, errors.Join(fmt.Errorf("%s: %w", s.Kind, err), closeAll())
		}
		handlers = append(handlers, h)
		for _, p := range k.Paths {
			mux.Handle(p, h)
			catchAll = catchAll || p == "/"
		}
	}
	var stray strayPaths
	if !catchAll {
		mux.Handle("/", &stray)
	}
	tr := reg.transport(svcs[0])
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, errors.Join(err, closeAll())
	}
	switch tr {
	case TLS, MTLS:
		cert, err := env.ServerCert()
		if err != nil {
			return "", nil, errors.Join(err, ln.Close(), closeAll())
		}
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if tr == MTLS {
			roots, err := env.Roots()
			if err != nil {
				return "", nil, errors.Join(err, ln.Close(), closeAll())
			}
			cfg.ClientAuth, cfg.ClientCAs = tls.RequireAndVerifyClientCert, roots
		}
		ln = tls.NewListener(ln, cfg)
	case HTTP:
	default:
		return "", nil, errors.Join(fmt.Errorf("transport %q cannot carry HTTP", tr), ln.Close(), closeAll())
	}
	srv := httpx.Serve(ln, mux)
	return srv.Addr(), func() error { return errors.Join(srv.Close(), closeAll(), stray.err()) }, nil
}

// strayPaths answers 404 for paths no service owns and remembers them.
type strayPaths struct {
	mu    sync.Mutex
	paths map[string]bool
}

func (s *strayPaths) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.paths == nil {
		s.paths = map[string]bool{}
	}
	s.paths[r.Method+" "+r.URL.Path] = true
	s.mu.Unlock()
	http.NotFound(w, r)
}

func (s *strayPaths) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.paths) == 0 {
		return nil
	}
	var list []string
	for p := range s.paths {
		list = append(list, p)
	}
	sort.Strings(list)
	return fmt.Errorf("%w: %s", ErrUnexpected, strings.Join(list, ", "))
}
