// Package embedded starts the whole example site of harness/fakesite —
// inside and outside DNS, the UCM nodes' UDS, Expressway-E — in-process on
// 127.0.0.1 with kernel-chosen ports, optionally broken by named faults, and
// returns it as a target.Target like any lab site. Nothing to install.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"example.com/cutover/harness/fakesite"
	"example.com/cutover/harness/target"
)

// ErrUnknownFault names a fault that is not in the catalogue.
var ErrUnknownFault = fakesite.ErrUnknownFault

// Option tunes the embedded site.
type Option func(*config)

type config = fakesite.Settings

// WithFaults injects faults by catalogue name (fakesite.Catalogue).
func WithFaults(names ...string) Option {
	return func(c *config) { c.Faults = append(c.Faults, names...) }
}

// WithName names the site in reports (default "embedded", or
// "embedded+fault,…" with faults).
func WithName(name string) Option { return func(c *config) { c.Name = name } }

// WithTimeout sets the per-call timeout of the target (default 3s).
func WithTimeout(d time.Duration) Option { return func(c *config) { c.Timeout = d } }

// WithBudget sets the client discovery budget (default 5s: nothing here
// needs the real 20s; the budget still bounds every discovery).
func WithBudget(d time.Duration) Option { return func(c *config) { c.Budget = d } }

// Start builds the site with the given faults and starts every fake. The
// returned Target's Close stops them.
func Start(ctx context.Context, opts ...Option) (*target.Target, error) {
	t, _, err := StartPlan(ctx, opts...)
	return t, err
}

// StartPlan is Start that also returns the plan it started (for writing
// the zones or inspecting the roles).
func StartPlan(ctx context.Context, opts ...Option) (_ *target.Target, _ *fakesite.Plan, err error) {
	c := &config{}
	for _, o := range opts {
		o(c)
	}
	plan, bundle, err := fakesite.Build("embedded", *c)
	if err != nil {
		return nil, nil, err
	}
	site := plan.Site
	t := target.New(site)
	defer func() {
		if err != nil {
			err = errors.Join(err, t.Close())
		}
	}()
	for _, r := range plan.Roles {
		if r.Down {
			// A dead node: its address maps to a port nothing listens on.
			addr, err := closedPort()
			if err != nil {
				return nil, nil, err
			}
			site.ConnectTo = append(site.ConnectTo, target.ConnectTo{From: plan.Hosts[r.Name] + ":8443", To: addr})
			continue
		}
		run, err := bundle.StartRole(ctx, r.Name, "127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("embedded: %w", err)
		}
		t.OnClose(run.Close)
		switch r.Kind {
		case fakesite.KindDNS:
			vantage(site, r.DNS.View).Resolver = run.Addr()
		case fakesite.KindProxy:
			vantage(site, r.Proxy.View).Proxy = run.Addr()
		default:
			site.ConnectTo = append(site.ConnectTo, target.ConnectTo{From: plan.Hosts[r.Name] + ":8443", To: run.Addr()})
		}
	}
	return t, plan, nil
}

// vantage is the site's vantage point named view.
func vantage(site *target.Site, view string) *target.Vantage {
	if view == "outside" {
		return &site.Vantage.Outside
	}
	return &site.Vantage.Inside
}

// closedPort returns a loopback address nothing listens on: a dead node.
func closedPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("embedded: reserve port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}
