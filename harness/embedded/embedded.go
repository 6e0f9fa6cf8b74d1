// Package embedded runs a fake site (harness/fakesite; by default the
// example site) in-process: every host's services on 127.0.0.1 with
// kernel-chosen ports, optionally broken by named faults, wired into a
// target.Target like any lab site. Nothing to install.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"example.com/cutover/harness/clock"
	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/target"
)

// ErrUnknownFault names a fault that is not in the catalogue.
var ErrUnknownFault = fakesite.ErrUnknownFault

// Start runs the site in-process. The returned Target's Close stops it.
func Start(ctx context.Context, o fakesite.Options) (*target.Target, error) {
	t, _, err := StartPlan(ctx, o)
	return t, err
}

// StartPlan is Start that also returns the plan it started (for writing
// the zones or inspecting the hosts).
func StartPlan(ctx context.Context, o fakesite.Options) (*target.Target, *fakesite.Plan, error) {
	return fakesite.Open(ctx, Launcher{}, o)
}

// Launcher starts every host of a plan in this process.
type Launcher struct{}

// Name is "embedded".
func (Launcher) Name() string { return target.KindEmbedded }

// Launch keeps the plan's loopback addresses (the connect map sends them to
// the real ports), starts every host that is not down, and gives each
// service of a down host an address that refuses connections until the
// site closes (deadPort).
func (Launcher) Launch(ctx context.Context, p *fakesite.Plan, reg *fakesite.Registry) (_ *fakesite.Launched, err error) {
	b, err := fakesite.NewBundle(p, reg)
	if err != nil {
		return nil, err
	}
	var (
		mu      sync.Mutex
		running []*fakesite.RunningHost
		dead    []*deadPort
	)
	out := &fakesite.Launched{Bundle: b, Addrs: map[string]string{}, Close: func() error {
		mu.Lock()
		defer mu.Unlock()
		var errs []error
		for i := len(running) - 1; i >= 0; i-- {
			errs = append(errs, running[i].Close())
		}
		for _, d := range dead {
			errs = append(errs, d.Close())
		}
		return errors.Join(errs...)
	}}
	defer func() {
		if err != nil {
			err = errors.Join(err, out.Close())
		}
	}()
	ready := make(chan struct{})
	out.Clock = clock.New(p.ClockOffset)
	loopback := func(int) string { return "127.0.0.1:0" }
	for _, h := range p.Hosts {
		if h.Down {
			for _, port := range h.Ports() {
				d, err := reserveDeadPort()
				if err != nil {
					return nil, err
				}
				mu.Lock()
				dead = append(dead, d)
				mu.Unlock()
				out.Addrs[fakesite.ServiceKey(h.Name, port)] = d.addr
			}
			continue
		}
		rh, err := fakesite.StartHost(ctx, reg, b, h.Name, fakesite.HostOptions{Bind: loopback, NetReady: ready, Clock: out.Clock})
		if err != nil {
			return nil, fmt.Errorf("embedded: %w", err)
		}
		mu.Lock()
		running = append(running, rh)
		mu.Unlock()
		for port, addr := range rh.Addrs {
			out.Addrs[fakesite.ServiceKey(h.Name, port)] = addr
		}
	}
	p.Net = fakesite.NetOf(p, out.Addrs)
	close(ready)
	// The fakes reach each other only now: a service that must (the
	// connector its IM&P link) settles before the checks run. One that
	// cannot within the site's timeout is left as it is, for the checks
	// to see.
	for _, rh := range running {
		_ = rh.Settle(ctx)
	}
	return out, nil
}
