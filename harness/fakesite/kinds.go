package fakesite

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
)

// Service kinds of the example site. A capability adds its kinds to
// builtinKinds, next to these.
const (
	KindDNS   = "dns"   // one DNS view (harness/dnsfake)
	KindUDS   = "uds"   // UCM User Data Service (harness/ucm)
	KindEdge  = "edge"  // Expressway-E MRA: get_edge_config (harness/expressway)
	KindProxy = "proxy" // a client vantage point: an HTTP CONNECT proxy (harness/connectproxy)
)

// Kind is one entry of the table that starts services. A kind is either an
// HTTP kind (Handler set: the host mounts it at Paths on the listener of
// its port, shared with the port's other HTTP services) or a socket kind
// (Start set: it binds its own sockets).
type Kind struct {
	Name string
	// Transport is the default transport of the kind's services.
	Transport Transport
	// Settings returns a new zero settings value, a pointer, that a service
	// of this kind is decoded into; nil for a kind without settings.
	Settings func() any
	// Paths are the URL path prefixes an HTTP kind's handler owns ("/" is
	// the catch-all). Two services on one listener must not claim the same.
	Paths []string
	// Handler makes an HTTP kind's handler. Close is called when the host
	// stops (a fake reports unexpected requests there).
	Handler func(env *Env, svc *Service) (Handler, error)
	// Start serves a socket kind on addr ("127.0.0.1:0" in-process, ":53"
	// in a container) and returns once it serves.
	Start func(ctx context.Context, env *Env, svc *Service, addr string) (Running, error)
}

// Handler is a mounted HTTP service.
type Handler interface {
	http.Handler
	Close() error
}

// Running is a started socket service or host.
type Running interface {
	Addr() string
	Close() error
}

// Settler is a Running that is not ready when Start returns because it
// must first reach another host of the site (the Hybrid Message
// connector's XMPP link to IM&P). Settled returns once it has, or ctx's
// error. The launchers wait for it (RunningHost.Settle) before the site
// is handed to the checks, so that a check never runs against a service
// still starting.
type Settler interface {
	Settled(ctx context.Context) error
}

// Registry is a set of kinds. Kinds() is the product's; a test or a custom
// build extends it with With and hands it to the launchers (Options.Kinds)
// and to ServeHost.
type Registry struct {
	kinds map[string]Kind
}

// Kinds returns the registry of every kind the product has.
func Kinds() *Registry {
	r := &Registry{kinds: map[string]Kind{}}
	for _, k := range builtinKinds() {
		r.kinds[k.Name] = k
	}
	return r
}

// builtinKinds is the table: one entry per service kind.
func builtinKinds() []Kind {
	return slices.Concat(
		[]Kind{dnsKind(), udsKind(), edgeKind(), proxyKind()},
		ssoKinds(),
		sipKinds(),
		xmppKinds(),
		hybridKinds(),
	)
}

// With returns a copy of r that also has k (replacing a kind of that name).
func (r *Registry) With(k Kind) (*Registry, error) {
	if k.Name == "" || (k.Handler == nil) == (k.Start == nil) {
		return nil, fmt.Errorf("%w: kind %q: want a name and exactly one of Handler and Start", ErrPlan, k.Name)
	}
	if k.Handler != nil && len(k.Paths) == 0 {
		return nil, fmt.Errorf("%w: kind %q: an HTTP kind needs Paths", ErrPlan, k.Name)
	}
	out := &Registry{kinds: map[string]Kind{}}
	for n, v := range r.kinds {
		out.kinds[n] = v
	}
	out.kinds[k.Name] = k
	return out, nil
}

// Lookup returns the kind named name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
}

// Names lists the kinds, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.kinds))
	for n := range r.kinds {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// transport is the service's transport, or its kind's default.
func (r *Registry) transport(s *Service) Transport {
	if s.Transport != "" {
		return s.Transport
	}
	if k, ok := r.kinds[s.Kind]; ok {
		return k.Transport
	}
	return ""
}

// check verifies that every service names a known kind, carries settings
// of the kind's type, and that the services sharing a port can share it.
func (r *Registry) check(p *Plan) error {
	names := map[string]bool{}
	addrs := map[string]string{}
	for _, h := range p.Hosts {
		if names[h.Name] {
			return fmt.Errorf("%w: host %q twice", ErrPlan, h.Name)
		}
		names[h.Name] = true
		if other, ok := addrs[h.Address]; ok && h.Address != "" {
			return fmt.Errorf("%w: hosts %s and %s both have address %s (the connect map and the DNS views could not tell them apart)", ErrPlan, other, h.Name, h.Address)
		}
		addrs[h.Address] = h.Name
		if len(h.Zones) == 0 {
			return fmt.Errorf("%w: host %s is in no zone", ErrPlan, h.Name)
		}
		for _, port := range h.Ports() {
			var tr Transport
			paths := map[string]bool{}
			for _, s := range h.Services {
				if s.Port != port {
					continue
				}
				k, ok := r.kinds[s.Kind]
				if !ok {
					return fmt.Errorf("%w: host %s: unknown service kind %q (known: %v)", ErrPlan, h.Name, s.Kind, r.Names())
				}
				if k.Settings != nil && s.Settings == nil {
					s.Settings = k.Settings()
				}
				if k.Settings != nil {
					if want := fmt.Sprintf("%T", k.Settings()); fmt.Sprintf("%T", s.Settings) != want {
						return fmt.Errorf("%w: host %s: %s service has settings %T, want %s", ErrPlan, h.Name, s.Kind, s.Settings, want)
					}
				}
				if s.Port == ControlPort {
					return fmt.Errorf("%w: host %s: %s service on port %d, the fakes' control port", ErrPlan, h.Name, s.Kind, s.Port)
				}
				if s.Port < 1 || s.Port > 65535 {
					return fmt.Errorf("%w: host %s: %s service port %d out of range", ErrPlan, h.Name, s.Kind, s.Port)
				}
				t := r.transport(s)
				if k.Start != nil {
					if tr != "" || len(paths) > 0 {
						return fmt.Errorf("%w: host %s port %d: %s cannot share a port", ErrPlan, h.Name, port, s.Kind)
					}
					tr = "socket"
					continue
				}
				if tr == "socket" || tr != "" && tr != t {
					return fmt.Errorf("%w: host %s port %d: %s (%s) cannot share the port with a %s service", ErrPlan, h.Name, port, s.Kind, t, tr)
				}
				tr = t
				for _, path := range k.Paths {
					if paths[path] {
						return fmt.Errorf("%w: host %s port %d: two services claim %s", ErrPlan, h.Name, port, path)
					}
					paths[path] = true
				}
			}
		}
	}
	return nil
}
