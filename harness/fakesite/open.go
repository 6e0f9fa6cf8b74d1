package fakesite

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"example.com/cutover/harness/clock"
	"example.com/cutover/harness/target"
)

// Options are what every way of running the fake site takes (embedded and
// containers take exactly these).
type Options struct {
	// Plan is the site to run. Default: the example site (Example).
	Plan *Plan
	// Kinds starts the services. Default: Kinds().
	Kinds *Registry
	// Faults to inject, by catalogue name.
	Faults []string
	// Name labels reports. Default: the launcher's name, with
	// "+fault,…" when faults are injected.
	Name string
	// Timeout bounds each network call (default: the plan's, 3s).
	Timeout time.Duration
	// Budget bounds each client discovery (default: the plan's, 5s).
	Budget time.Duration
}

// Launcher runs every host of a plan somewhere: in-process
// (harness/embedded) or in containers (harness/containers).
type Launcher interface {
	// Name labels the site in reports: "embedded", "containers".
	Name() string
	// Launch may give the hosts their addresses, must issue the bundle
	// (NewBundle) once the addresses are final, starts every host that is
	// not down, and returns where each service listens.
	Launch(ctx context.Context, p *Plan, reg *Registry) (*Launched, error)
}

// Launched is what a launcher started.
type Launched struct {
	Bundle *Bundle
	// Addrs maps "host:port" (the plan's name for a service) to where it
	// really listens. A service of a down host maps to an address where
	// nothing listens; a service reachable at its plan address maps to that.
	Addrs map[string]string
	// Close stops everything the launcher started.
	Close func() error
	// Clock, when set, is the clock every fake reads (in-process): the
	// Target shares it, so moving the site's time moves the fakes' at once.
	Clock *clock.Clock
	// SetOffset, when set, puts every fake's clock at the site clock's
	// new offset (fakes in other processes, e.g. containers).
	SetOffset func(ctx context.Context, offset time.Duration) error
}

// ServiceKey is the key of a service in Launched.Addrs.
func ServiceKey(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// Prepare builds the plan a launch runs: the given or example plan, the
// faults applied, the options' values set.
func Prepare(base string, o Options) (*Plan, *Registry, error) {
	reg := o.Kinds
	if reg == nil {
		reg = Kinds()
	}
	p := o.Plan
	if p == nil {
		var err error
		if p, err = Example(); err != nil {
			return nil, nil, err
		}
	}
	if err := reg.check(p); err != nil {
		return nil, nil, err
	}
	if err := p.Apply(o.Faults...); err != nil {
		return nil, nil, err
	}
	site := p.Site
	site.Name = base
	if len(p.Faults) > 0 {
		site.Name += "+" + strings.Join(p.Faults, ",")
	}
	if o.Name != "" {
		site.Name = o.Name
	}
	site.Kind = base
	if o.Timeout > 0 {
		site.Limits.Timeout = target.Duration(o.Timeout)
	}
	if o.Budget > 0 {
		site.Discovery.Budget = target.Duration(o.Budget)
	}
	return p, reg, nil
}

// Open prepares the plan, has the launcher start it and wires what it
// started into a Target: the resolvers and proxies of the vantage points,
// and a connect entry for every service that does not listen where the plan
// says. The Target's Close stops everything, also when Open fails.
func Open(ctx context.Context, l Launcher, o Options) (_ *target.Target, _ *Plan, err error) {
	p, reg, err := Prepare(l.Name(), o)
	if err != nil {
		return nil, nil, err
	}
	run, err := l.Launch(ctx, p, reg)
	if err != nil {
		return nil, nil, err
	}
	t := target.New(p.Site)
	t.Clock = run.Clock
	if t.Clock == nil {
		t.Clock = clock.New(p.ClockOffset)
	}
	if run.SetOffset != nil {
		t.OnClockMove(run.SetOffset)
	} else if run.Clock != nil {
		t.OnClockMove(func(context.Context, time.Duration) error { return nil })
	}
	t.OnClose(run.Close)
	defer func() {
		if err != nil {
			err = errors.Join(err, t.Close())
		}
	}()
	if err := Wire(p, run); err != nil {
		return nil, nil, err
	}
	return t, p, nil
}

// Wire points the plan's site at what was launched: each DNS view's
// resolver, each vantage point's proxy, and connect_to entries from every
// plan address to where the service listens. It also fills the trust
// store from the bundle.
func Wire(p *Plan, run *Launched) error {
	site := p.Site
	for _, h := range p.Hosts {
		for _, s := range h.Services {
			actual, ok := run.Addrs[ServiceKey(h.Name, s.Port)]
			if !ok {
				return fmt.Errorf("%w: the launcher did not report %s %s on port %d", ErrPlan, h.Name, s.Kind, s.Port)
			}
			if px, ok := s.Settings.(*ProxySettings); ok {
				vantage(site, px.Vantage).Proxy = actual
			}
		}
	}
	n := NetOf(p, run.Addrs)
	site.Vantage.Inside.Resolver = n.Resolvers[ZoneInside]
	site.Vantage.Outside.Resolver = n.Resolvers[ZoneOutside]
	site.ConnectTo = n.ConnectTo
	roots, err := run.Bundle.Roots()
	if err != nil {
		return err
	}
	site.Roots, site.CAPEM = roots, run.Bundle.CAPEM
	return wireSIP(p, run.Bundle)
}

// vantage is the site's vantage point named view.
func vantage(site *target.Site, view string) *target.Vantage {
	if view == ZoneOutside {
		return &site.Vantage.Outside
	}
	return &site.Vantage.Inside
}
